//! COMMAND: the server describes its commands (Redis's `commandCommand` and
//! friends in `server.c`, `getKeysUsingKeySpecs` in `db.c`).
//!
//! Clients read this at connect time: cluster clients to find which
//! arguments are keys, redis-cli to complete and hint command names, ACL
//! tooling to list categories. So every reply is shaped exactly as Redis
//! 7.0 shapes it, and it describes the commands reddish really has: the
//! names, arities, flags and ACL categories come from our own table
//! (`table.rs`), so COMMAND COUNT is our count and COMMAND LIST our list.
//!
//! Redis's table carries more than ours does: command tips, key
//! specifications (where keys sit in argv and how the command uses them)
//! and the documentation COMMAND DOCS returns (complexity, arguments,
//! history). Rather than retype that for every command, `meta/` holds
//! Redis 7.0.15's own answers to `COMMAND` and `COMMAND DOCS`, captured in
//! RESP3 from a running redis-server: send `HELLO 3`, then `COMMAND` (its
//! raw reply bytes are `command_info.resp3`) and `COMMAND DOCS`
//! (`command_docs.resp3`). They are parsed once, on first use, into a small
//! tree, and spliced into our replies for the commands we share. A command
//! Redis does not have gets a key spec derived from its `keys` triple and
//! documentation from its summary, since and group.
//!
//! GETKEYS walks the key specs as Redis does: a begin-search step (a fixed
//! index, or a keyword searched for) then a find-keys step (a range, or a
//! count read from argv).

use std::collections::HashMap;
use std::sync::OnceLock;

use super::table::{flags::*, CommandDef};
use super::{err, CmdError, CmdResult, Ctx};
use crate::protocol::reply::Reply;
use crate::server::Server;
use crate::util::glob;

const SUBCOMMANDS: &[CommandDef] = &[
    CommandDef::new("count", 2, LOADING | STALE, count)
        .acl("slow connection")
        .group("server")
        .since("2.8.13")
        .summary("Get total number of Redis commands"),
    CommandDef::new("docs", -2, LOADING | STALE, docs)
        .acl("slow connection")
        .group("server")
        .since("7.0.0")
        .summary("Get array of specific Redis command documentation"),
    CommandDef::new("getkeys", -4, LOADING | STALE, getkeys)
        .acl("slow connection")
        .group("server")
        .since("2.8.13")
        .summary("Extract keys given a full Redis command"),
    CommandDef::new("getkeysandflags", -4, LOADING | STALE, getkeysandflags)
        .acl("slow connection")
        .group("server")
        .since("7.0.0")
        .summary("Extract keys and access flags given a full Redis command"),
    CommandDef::new("help", 2, LOADING | STALE, help)
        .acl("slow connection")
        .group("server")
        .since("5.0.0")
        .summary("Show helpful text about the different subcommands"),
    CommandDef::new("info", -2, LOADING | STALE, info)
        .acl("slow connection")
        .group("server")
        .since("2.8.13")
        .summary("Get array of specific Redis command details, or all when no argument is given."),
    CommandDef::new("list", -2, LOADING | STALE, list)
        .acl("slow connection")
        .group("server")
        .since("7.0.0")
        .summary("Get an array of Redis command names"),
];

pub static COMMANDS: &[CommandDef] = &[CommandDef::new("command", -1, LOADING | STALE, all)
    .acl("slow connection")
    .group("server")
    .since("2.8.13")
    .summary("Get array of Redis command details")
    .subs(SUBCOMMANDS)];

// ---------------------------------------------------------------------------
// Redis's metadata: a RESP3 tree parsed from the captured replies.

static INFO_DUMP: &[u8] = include_bytes!("meta/command_info.resp3");
static DOCS_DUMP: &[u8] = include_bytes!("meta/command_docs.resp3");

/// One RESP3 value of the captured replies; strings borrow from the dump.
#[derive(Debug)]
enum Node {
    Bulk(&'static [u8]),
    Simple(&'static [u8]),
    Int(i64),
    Null,
    Array(Vec<Node>),
    Set(Vec<Node>),
    Map(Vec<(Node, Node)>),
}

impl Node {
    fn bytes(&self) -> &'static [u8] {
        match self {
            Node::Bulk(b) | Node::Simple(b) => b,
            _ => b"",
        }
    }

    fn int(&self) -> i64 {
        match self {
            Node::Int(n) => *n,
            _ => 0,
        }
    }

    fn items(&self) -> &[Node] {
        match self {
            Node::Array(v) | Node::Set(v) => v,
            _ => &[],
        }
    }

    fn pairs(&self) -> &[(Node, Node)] {
        match self {
            Node::Map(v) => v,
            _ => &[],
        }
    }

    fn get(&self, key: &str) -> Option<&Node> {
        self.pairs()
            .iter()
            .find(|(k, _)| k.bytes() == key.as_bytes())
            .map(|(_, v)| v)
    }

    /// Writes the value in the client's protocol (maps and sets fall back
    /// to arrays in RESP2, as Redis's own replies do).
    fn emit(&self, r: &mut Reply) {
        match self {
            Node::Bulk(b) => r.bulk(b),
            Node::Simple(b) => r.simple(b),
            Node::Int(n) => r.int(*n),
            Node::Null => r.null(),
            Node::Array(v) => {
                r.array(v.len());
                v.iter().for_each(|n| n.emit(r));
            }
            Node::Set(v) => {
                r.set(v.len());
                v.iter().for_each(|n| n.emit(r));
            }
            Node::Map(v) => {
                r.map(v.len());
                for (k, val) in v {
                    k.emit(r);
                    val.emit(r);
                }
            }
        }
    }
}

/// Parses one RESP3 value at `*pos`. The input is our own captured data,
/// so a malformed dump is a build defect; it parses to `Null` rather than
/// panicking.
fn parse(d: &'static [u8], pos: &mut usize) -> Node {
    let Some(nl) = d[(*pos).min(d.len())..]
        .windows(2)
        .position(|w| w == b"\r\n")
    else {
        *pos = d.len();
        return Node::Null;
    };
    let kind = d[*pos];
    let body = &d[*pos + 1..*pos + nl];
    *pos += nl + 2;
    let num = || {
        std::str::from_utf8(body)
            .ok()
            .and_then(|s| s.parse::<i64>().ok())
            .unwrap_or(0)
    };
    match kind {
        b'$' => {
            let n = num().max(0) as usize;
            let end = (*pos + n).min(d.len());
            let s = &d[*pos..end];
            *pos = end + 2;
            Node::Bulk(s)
        }
        b'+' => Node::Simple(body),
        b':' => Node::Int(num()),
        b'*' | b'~' => {
            let v = (0..num().max(0)).map(|_| parse(d, pos)).collect();
            if kind == b'*' {
                Node::Array(v)
            } else {
                Node::Set(v)
            }
        }
        b'%' => Node::Map(
            (0..num().max(0))
                .map(|_| (parse(d, pos), parse(d, pos)))
                .collect(),
        ),
        _ => Node::Null,
    }
}

struct Meta {
    /// COMMAND INFO entries by full name (`get`, `config|get`).
    info: HashMap<&'static [u8], Node>,
    /// COMMAND DOCS maps by full name, subcommands included.
    docs: HashMap<&'static [u8], Node>,
}

fn meta() -> &'static Meta {
    static META: OnceLock<Meta> = OnceLock::new();
    META.get_or_init(|| {
        let mut m = Meta {
            info: HashMap::new(),
            docs: HashMap::new(),
        };
        fn add_info(m: &mut Meta, entry: Node) {
            let Node::Array(mut v) = entry else { return };
            if v.len() < 10 {
                return;
            }
            let subs = std::mem::replace(&mut v[9], Node::Null);
            if let Node::Array(subs) = subs {
                for s in subs {
                    add_info(m, s);
                }
            }
            let name = v[0].bytes();
            m.info.insert(name, Node::Array(v));
        }
        fn add_docs(m: &mut Meta, name: &'static [u8], doc: Node) {
            let Node::Map(mut pairs) = doc else { return };
            if let Some(i) = pairs.iter().position(|(k, _)| k.bytes() == b"subcommands") {
                let (_, subs) = pairs.remove(i);
                if let Node::Map(subs) = subs {
                    for (k, v) in subs {
                        add_docs(m, k.bytes(), v);
                    }
                }
            }
            m.docs.insert(name, Node::Map(pairs));
        }
        let mut pos = 0;
        if let Node::Array(entries) = parse(INFO_DUMP, &mut pos) {
            for e in entries {
                add_info(&mut m, e);
            }
        }
        pos = 0;
        if let Node::Map(pairs) = parse(DOCS_DUMP, &mut pos) {
            for (k, v) in pairs {
                add_docs(&mut m, k.bytes(), v);
            }
        }
        m
    })
}

// ---------------------------------------------------------------------------
// Key specs.

enum Begin {
    Index(i64),
    /// Keyword, and where the search starts (negative: from the end, backwards).
    Keyword(&'static [u8], i64),
    Unknown,
}

enum Find {
    Range { lastkey: i64, step: i64, limit: i64 },
    Keynum { idx: i64, first: i64, step: i64 },
    Unknown,
}

struct KeySpec {
    /// Redis's free-text remark on a spec (SET's "RW and ACCESS due to...").
    notes: Option<&'static [u8]>,
    flags: Vec<&'static [u8]>,
    begin: Begin,
    find: Find,
}

fn spec_from_node(n: &Node) -> KeySpec {
    let flags = n
        .get("flags")
        .map(|f| f.items().iter().map(|x| x.bytes()).collect())
        .unwrap_or_default();
    let int = |n: Option<&Node>, k: &str| n.and_then(|s| s.get(k)).map(|v| v.int()).unwrap_or(0);
    let bs = n.get("begin_search");
    let bspec = bs.and_then(|b| b.get("spec"));
    let begin = match bs.and_then(|b| b.get("type")).map(|t| t.bytes()) {
        Some(b"index") => Begin::Index(int(bspec, "index")),
        Some(b"keyword") => Begin::Keyword(
            bspec
                .and_then(|s| s.get("keyword"))
                .map(|k| k.bytes())
                .unwrap_or(b""),
            int(bspec, "startfrom"),
        ),
        _ => Begin::Unknown,
    };
    let fk = n.get("find_keys");
    let fspec = fk.and_then(|f| f.get("spec"));
    let find = match fk.and_then(|f| f.get("type")).map(|t| t.bytes()) {
        Some(b"range") => Find::Range {
            lastkey: int(fspec, "lastkey"),
            step: int(fspec, "keystep"),
            limit: int(fspec, "limit"),
        },
        Some(b"keynum") => Find::Keynum {
            idx: int(fspec, "keynumidx"),
            first: int(fspec, "firstkey"),
            step: int(fspec, "keystep"),
        },
        _ => Find::Unknown,
    };
    let notes = n.get("notes").map(|v| v.bytes());
    KeySpec {
        notes,
        flags,
        begin,
        find,
    }
}

/// The one range spec a plain `(first, last, step)` triple describes.
fn derived_spec(def: &CommandDef) -> Option<KeySpec> {
    let (first, last, step) = def.keys;
    if first == 0 {
        return None;
    }
    let flags: Vec<&'static [u8]> = if def.flags & WRITE != 0 {
        vec![b"RW", b"update"]
    } else {
        vec![b"RO", b"access"]
    };
    Some(KeySpec {
        notes: None,
        flags,
        begin: Begin::Index(first as i64),
        find: Find::Range {
            lastkey: if last < 0 {
                last as i64
            } else {
                (last - first) as i64
            },
            step: step.max(1) as i64,
            limit: 0,
        },
    })
}

fn key_specs(srv: &Server, idx: usize) -> Vec<KeySpec> {
    let name = srv.table.fullname(idx);
    match meta().info.get(name.as_bytes()) {
        Some(entry) => entry
            .items()
            .get(8)
            .map(|s| s.items().iter().map(spec_from_node).collect())
            .unwrap_or_default(),
        None => derived_spec(srv.table.def(idx)).into_iter().collect(),
    }
}

fn emit_spec(spec: &KeySpec, r: &mut Reply) {
    r.map(3 + spec.notes.is_some() as usize);
    if let Some(notes) = spec.notes {
        r.bulk(b"notes");
        r.bulk(notes);
    }
    r.bulk(b"flags");
    r.set(spec.flags.len());
    for f in &spec.flags {
        r.simple(f);
    }
    r.bulk(b"begin_search");
    r.map(2);
    r.bulk(b"type");
    match spec.begin {
        Begin::Index(i) => {
            r.bulk(b"index");
            r.bulk(b"spec");
            r.map(1);
            r.bulk(b"index");
            r.int(i);
        }
        Begin::Keyword(k, from) => {
            r.bulk(b"keyword");
            r.bulk(b"spec");
            r.map(2);
            r.bulk(b"keyword");
            r.bulk(k);
            r.bulk(b"startfrom");
            r.int(from);
        }
        Begin::Unknown => {
            r.bulk(b"unknown");
            r.bulk(b"spec");
            r.map(0);
        }
    }
    r.bulk(b"find_keys");
    r.map(2);
    r.bulk(b"type");
    match spec.find {
        Find::Range {
            lastkey,
            step,
            limit,
        } => {
            r.bulk(b"range");
            r.bulk(b"spec");
            r.map(3);
            r.bulk(b"lastkey");
            r.int(lastkey);
            r.bulk(b"keystep");
            r.int(step);
            r.bulk(b"limit");
            r.int(limit);
        }
        Find::Keynum { idx, first, step } => {
            r.bulk(b"keynum");
            r.bulk(b"spec");
            r.map(3);
            r.bulk(b"keynumidx");
            r.int(idx);
            r.bulk(b"firstkey");
            r.int(first);
            r.bulk(b"keystep");
            r.int(step);
        }
        Find::Unknown => {
            r.bulk(b"unknown");
            r.bulk(b"spec");
            r.map(0);
        }
    }
}

/// Argument positions of the keys in `argv` (argv[0] is the command name),
/// with the flags of the spec that found each; None if the arguments do not
/// fit a spec (Redis's `getKeysUsingKeySpecs`).
fn find_keys(specs: &[KeySpec], argv: &[&[u8]]) -> Option<Found> {
    let argc = argv.len() as i64;
    let mut out = Vec::new();
    for (si, spec) in specs.iter().enumerate() {
        let mut first = match spec.begin {
            Begin::Index(i) => i,
            Begin::Keyword(kw, from) => {
                let start = if from > 0 { from } else { argc + from };
                let end = if from > 0 { argc - 1 } else { 0 };
                let mut found = 0;
                let mut i = start;
                while i != end {
                    if i >= argc || i < 1 {
                        break;
                    }
                    if argv[i as usize].eq_ignore_ascii_case(kw) {
                        found = i + 1;
                        break;
                    }
                    i = if start <= end { i + 1 } else { i - 1 };
                }
                if found == 0 {
                    continue;
                }
                found
            }
            Begin::Unknown => return None,
        };
        let (last, step) = match spec.find {
            Find::Range {
                lastkey,
                step,
                limit,
            } => {
                let last = if lastkey >= 0 {
                    first + lastkey
                } else if limit == 0 {
                    argc + lastkey
                } else {
                    first + ((argc - first) / limit + lastkey)
                };
                (last, step)
            }
            Find::Keynum {
                idx,
                first: fk,
                step,
            } => {
                let at = first + idx;
                if at < 0 || at >= argc {
                    return None;
                }
                let n = crate::util::numbers::parse_i64(argv[at as usize])
                    .filter(|&n| (0..=i32::MAX as i64).contains(&n))?;
                first += fk;
                (first + n - 1, step)
            }
            Find::Unknown => return None,
        };
        if last >= argc || last < first || first >= argc {
            return None;
        }
        let mut i = first;
        while i <= last {
            out.push((i as usize, si));
            i += step.max(1);
        }
    }
    Some(out)
}

// ---------------------------------------------------------------------------
// Replies.

/// One COMMAND INFO entry: name, arity, flags, first/last/step, ACL
/// categories, tips, key specs, subcommands.
fn reply_info(srv: &Server, idx: usize, r: &mut Reply) {
    let def = srv.table.def(idx);
    let name = srv.table.fullname(idx);
    let m = meta().info.get(name.as_bytes());
    r.array(10);
    r.bulk(name.as_bytes());
    r.int(def.arity as i64);
    let flags: Vec<&str> = NAMES
        .iter()
        .filter(|(bit, _)| def.flags & bit != 0)
        .map(|(_, n)| *n)
        .collect();
    r.set(flags.len());
    for f in flags {
        r.simple(f.as_bytes());
    }
    r.int(def.keys.0 as i64);
    r.int(def.keys.1 as i64);
    r.int(def.keys.2 as i64);
    let cats: Vec<&str> = def.acl.split_ascii_whitespace().collect();
    r.set(cats.len());
    for c in cats {
        let mut s = Vec::with_capacity(c.len() + 1);
        s.push(b'@');
        s.extend_from_slice(c.as_bytes());
        r.simple(&s);
    }
    match m.and_then(|e| e.items().get(7)) {
        Some(tips) => tips.emit(r),
        None => r.set(0),
    }
    let specs = key_specs(srv, idx);
    r.set(specs.len());
    for s in &specs {
        emit_spec(s, r);
    }
    let subs = sub_indexes(srv, idx);
    if subs.is_empty() {
        // Redis answers an empty set here, but an array when there are some.
        r.set(0);
    } else {
        r.array(subs.len());
        for s in subs {
            reply_info(srv, s, r);
        }
    }
}

/// Table indexes of a command's subcommands.
fn sub_indexes(srv: &Server, idx: usize) -> Vec<usize> {
    srv.table
        .def(idx)
        .subcommands
        .iter()
        .filter_map(|s| srv.table.lookup_sub(idx, s.name.as_bytes()).map(|x| x.0))
        .collect()
}

/// One COMMAND DOCS map (without the name, which the caller writes).
fn reply_docs(srv: &Server, idx: usize, r: &mut Reply) {
    let def = srv.table.def(idx);
    let name = srv.table.fullname(idx);
    let subs = sub_indexes(srv, idx);
    let extra = usize::from(!subs.is_empty());
    match meta().docs.get(name.as_bytes()) {
        Some(doc) => {
            let pairs = doc.pairs();
            r.map(pairs.len() + extra);
            for (k, v) in pairs {
                k.emit(r);
                v.emit(r);
            }
        }
        None => {
            let summary = usize::from(!def.summary.is_empty());
            r.map(2 + summary + extra);
            if summary == 1 {
                r.bulk(b"summary");
                r.bulk(def.summary.as_bytes());
            }
            r.bulk(b"since");
            r.bulk(def.since.as_bytes());
            r.bulk(b"group");
            r.bulk(def.group.as_bytes());
        }
    }
    if !subs.is_empty() {
        r.bulk(b"subcommands");
        r.map(subs.len());
        for s in subs {
            r.bulk(srv.table.fullname(s).as_bytes());
            reply_docs(srv, s, r);
        }
    }
}

/// Finds a command by name as COMMAND INFO/DOCS accept it: `get`, or
/// `config|get` for a subcommand.
fn lookup_by_fullname(srv: &Server, name: &[u8]) -> Option<usize> {
    match name.iter().position(|&c| c == b'|') {
        None => srv.table.lookup(name),
        Some(bar) => {
            let parent = srv.table.lookup(&name[..bar])?;
            let sub = &name[bar + 1..];
            if sub.contains(&b'|') {
                return None;
            }
            srv.table.lookup_sub(parent, sub).map(|x| x.0)
        }
    }
}

/// Finds the command an argv would run, as Redis's `lookupCommand`.
fn lookup_argv(srv: &Server, argv: &[&[u8]]) -> Option<usize> {
    let base = srv.table.lookup(argv.first()?)?;
    if srv.table.def(base).subcommands.is_empty() || argv.len() < 2 {
        return Some(base);
    }
    srv.table.lookup_sub(base, argv[1]).map(|x| x.0)
}

fn all(ctx: &mut Ctx) -> CmdResult {
    let srv = &*ctx.srv;
    let r = &mut ctx.client.reply;
    r.array(srv.table.count());
    for (i, _) in srv.table.top_level() {
        reply_info(srv, i, r);
    }
    Ok(())
}

fn count(ctx: &mut Ctx) -> CmdResult {
    let n = ctx.srv.table.count();
    ctx.client.reply.int(n as i64);
    Ok(())
}

fn info(ctx: &mut Ctx) -> CmdResult {
    let srv = &*ctx.srv;
    let r = &mut ctx.client.reply;
    if ctx.args.len() == 2 {
        r.array(srv.table.count());
        for (i, _) in srv.table.top_level() {
            reply_info(srv, i, r);
        }
        return Ok(());
    }
    r.array(ctx.args.len() - 2);
    for name in ctx.args.iter().skip(2) {
        match lookup_by_fullname(srv, name) {
            Some(i) => reply_info(srv, i, r),
            None => r.null(),
        }
    }
    Ok(())
}

fn docs(ctx: &mut Ctx) -> CmdResult {
    let srv = &*ctx.srv;
    let r = &mut ctx.client.reply;
    let found: Vec<usize> = if ctx.args.len() == 2 {
        srv.table.top_level().map(|(i, _)| i).collect()
    } else {
        ctx.args
            .iter()
            .skip(2)
            .filter_map(|n| lookup_by_fullname(srv, n))
            .collect()
    };
    r.map(found.len());
    for i in found {
        r.bulk(srv.table.fullname(i).as_bytes());
        reply_docs(srv, i, r);
    }
    Ok(())
}

enum Filter<'a> {
    None,
    Module,
    AclCat(&'a [u8]),
    Pattern(&'a [u8]),
}

fn list(ctx: &mut Ctx) -> CmdResult {
    let a = ctx.args;
    let filter = match a.len() {
        2 => Filter::None,
        5 if a.get(2).eq_ignore_ascii_case(b"filterby") => {
            let kind = a.get(3);
            if kind.eq_ignore_ascii_case(b"module") {
                Filter::Module
            } else if kind.eq_ignore_ascii_case(b"aclcat") {
                Filter::AclCat(a.get(4))
            } else if kind.eq_ignore_ascii_case(b"pattern") {
                Filter::Pattern(a.get(4))
            } else {
                return Err(err::SYNTAX);
            }
        }
        _ => return Err(err::SYNTAX),
    };
    let srv = &*ctx.srv;
    let mut names = Vec::new();
    for (i, _) in srv.table.top_level() {
        for idx in std::iter::once(i).chain(sub_indexes(srv, i)) {
            let def = srv.table.def(idx);
            let name = srv.table.fullname(idx);
            let keep = match filter {
                Filter::None => true,
                // No modules can be loaded, so no command belongs to one.
                Filter::Module => false,
                Filter::AclCat(cat) => def
                    .acl
                    .split_ascii_whitespace()
                    .any(|c| c.as_bytes().eq_ignore_ascii_case(cat)),
                Filter::Pattern(p) => glob::matches(p, name.as_bytes(), true),
            };
            if keep {
                names.push(name);
            }
        }
    }
    let r = &mut ctx.client.reply;
    r.array(names.len());
    for n in names {
        r.bulk(n.as_bytes());
    }
    Ok(())
}

/// The keys of the command in `argv[2..]`, checked as Redis checks them.
/// Key positions in argv, each with the index of the spec that found it.
type Found = Vec<(usize, usize)>;

/// Key positions in argv with each key's flags.
type Keys = Vec<(usize, Vec<&'static [u8]>)>;

const RO_ACCESS: &[&[u8]] = &[b"RO", b"access"];
const RW_ACCESS_UPDATE: &[&[u8]] = &[b"RW", b"access", b"update"];
const OW_UPDATE: &[&[u8]] = &[b"OW", b"update"];

/// Redis's hand-written key finders (`getkeys_proc`), for the commands whose
/// key specs cannot tell the whole story: SET's and BITFIELD's flags depend
/// on their options, SORT's STORE key can sit anywhere. Other commands get
/// none (Redis has a few more, for commands reddish does not have).
fn getkeys_proc(name: &str, argv: &[&[u8]]) -> Keys {
    let is = |a: &[u8], w: &str| a.eq_ignore_ascii_case(w.as_bytes());
    match name {
        "set" => {
            let get = argv.iter().skip(3).any(|a| is(a, "get"));
            vec![(1, if get { RW_ACCESS_UPDATE } else { OW_UPDATE }.to_vec())]
        }
        "bitfield" => {
            let mut readonly = true;
            let mut i = 2;
            while i < argv.len() {
                let rem = argv.len() - i - 1;
                if is(argv[i], "get") && rem >= 2 {
                    i += 3;
                } else if is(argv[i], "overflow") && rem >= 1 {
                    i += 2;
                } else {
                    // SET, INCRBY, or a syntax error: assume a write.
                    readonly = false;
                    break;
                }
            }
            let flags = if readonly {
                RO_ACCESS
            } else {
                RW_ACCESS_UPDATE
            };
            vec![(1, flags.to_vec())]
        }
        "sort_ro" => vec![(1, RO_ACCESS.to_vec())],
        "sort" => {
            let mut keys = vec![(1, RO_ACCESS.to_vec())];
            let mut store = None;
            let mut i = 2;
            while i < argv.len() {
                let a = argv[i];
                if is(a, "limit") {
                    i += 2;
                } else if is(a, "get") || is(a, "by") {
                    i += 1;
                } else if is(a, "store") && i + 1 < argv.len() {
                    // The last STORE wins, as SORT itself behaves.
                    store = Some(i + 1);
                }
                i += 1;
            }
            if let Some(p) = store {
                keys.push((p, OW_UPDATE.to_vec()));
            }
            keys
        }
        _ => Vec::new(),
    }
}

/// The keys of the command in `argv`, found and checked as Redis's
/// `getKeysSubcommandImpl` does: key specs first, unless their flags vary
/// with the arguments or they cannot be followed; then the command's own
/// key finder.
fn keys_of(srv: &Server, argv: &[&[u8]]) -> Result<Keys, CmdError> {
    let Some(idx) = lookup_argv(srv, argv) else {
        return Err(CmdError::new("ERR Invalid command specified"));
    };
    let def = srv.table.def(idx);
    let specs = key_specs(srv, idx);
    if specs.is_empty() {
        return Err(CmdError::new("ERR The command has no key arguments"));
    }
    let n = argv.len() as i64;
    let arity = def.arity as i64;
    if (arity > 0 && arity != n) || n < -arity {
        return Err(CmdError::new(
            "ERR Invalid number of arguments specified for command",
        ));
    }
    let variable = specs
        .iter()
        .any(|s| s.flags.iter().any(|f| *f == b"variable_flags"));
    let by_specs = if variable {
        None
    } else {
        find_keys(&specs, argv)
    };
    let keys = match by_specs {
        Some(found) => found
            .into_iter()
            .map(|(pos, si)| (pos, specs[si].flags.clone()))
            .collect(),
        None => getkeys_proc(&srv.table.fullname(idx), argv),
    };
    if keys.is_empty() && def.flags & NO_MANDATORY_KEYS == 0 {
        return Err(CmdError::new("ERR Invalid arguments specified for command"));
    }
    Ok(keys)
}

fn getkeys(ctx: &mut Ctx) -> CmdResult {
    let argv: Vec<&[u8]> = ctx.args.iter().skip(2).collect();
    let keys = keys_of(ctx.srv, &argv)?;
    let r = &mut ctx.client.reply;
    r.array(keys.len());
    for (pos, _) in keys {
        r.bulk(argv[pos]);
    }
    Ok(())
}

fn getkeysandflags(ctx: &mut Ctx) -> CmdResult {
    let argv: Vec<&[u8]> = ctx.args.iter().skip(2).collect();
    let keys = keys_of(ctx.srv, &argv)?;
    let r = &mut ctx.client.reply;
    r.array(keys.len());
    for (pos, flags) in keys {
        r.array(2);
        r.bulk(argv[pos]);
        r.set(flags.len());
        for f in flags {
            r.simple(f);
        }
    }
    Ok(())
}

const HELP: &[&str] = &[
    "COMMAND <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "(no subcommand)",
    "    Return details about all Redis commands.",
    "COUNT",
    "    Return the total number of commands in this Redis server.",
    "LIST",
    "    Return a list of all commands in this Redis server.",
    "INFO [<command-name> ...]",
    "    Return details about multiple Redis commands.",
    "    If no command names are given, documentation details for all",
    "    commands are returned.",
    "DOCS [<command-name> ...]",
    "    Return documentation details about multiple Redis commands.",
    "    If no command names are given, documentation details for all",
    "    commands are returned.",
    "GETKEYS <full-command>",
    "    Return the keys from a full Redis command.",
    "GETKEYSANDFLAGS <full-command>",
    "    Return the keys and the access flags from a full Redis command.",
    "HELP",
    "    Prints this help.",
];

fn help(ctx: &mut Ctx) -> CmdResult {
    let r = &mut ctx.client.reply;
    r.array(HELP.len());
    for l in HELP {
        r.simple(l.as_bytes());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dumps_parse_completely() {
        let m = meta();
        assert_eq!(m.info.len(), m.docs.len());
        assert!(m.info.len() > 300, "{}", m.info.len());
        assert!(m.info.contains_key(&b"config|get"[..]));
        assert!(m.docs.contains_key(&b"config|get"[..]));
        let mut pos = 0;
        parse(INFO_DUMP, &mut pos);
        assert_eq!(pos, INFO_DUMP.len());
        pos = 0;
        parse(DOCS_DUMP, &mut pos);
        assert_eq!(pos, DOCS_DUMP.len());
    }

    fn specs_of(name: &str) -> Vec<KeySpec> {
        meta().info[name.as_bytes()].items()[8]
            .items()
            .iter()
            .map(spec_from_node)
            .collect()
    }

    fn keys(name: &str, argv: &[&str]) -> Option<Vec<usize>> {
        let argv: Vec<&[u8]> = argv.iter().map(|s| s.as_bytes()).collect();
        find_keys(&specs_of(name), &argv).map(|v| v.into_iter().map(|x| x.0).collect())
    }

    #[test]
    fn key_specs_find_keys_as_redis() {
        assert_eq!(keys("get", &["get", "a"]), Some(vec![1]));
        assert_eq!(
            keys("mset", &["mset", "a", "1", "b", "2"]),
            Some(vec![1, 3])
        );
        assert_eq!(
            keys("zunionstore", &["zunionstore", "d", "2", "a", "b"]),
            Some(vec![1, 3, 4])
        );
        assert_eq!(keys("zunionstore", &["zunionstore", "d", "x", "a"]), None);
        assert_eq!(
            keys("eval", &["eval", "s", "2", "k1", "k2", "arg"]),
            Some(vec![3, 4])
        );
        assert_eq!(
            keys(
                "georadius",
                &["georadius", "k", "1", "2", "3", "m", "STORE", "d"]
            ),
            Some(vec![1, 7])
        );
    }

    fn proc(name: &str, line: &str) -> Vec<(usize, String)> {
        let argv: Vec<&[u8]> = line.split(' ').map(|a| a.as_bytes()).collect();
        getkeys_proc(name, &argv)
            .into_iter()
            .map(|(p, f)| {
                let f: Vec<String> = f
                    .iter()
                    .map(|x| String::from_utf8_lossy(x).into())
                    .collect();
                (p, f.join(" "))
            })
            .collect()
    }

    #[test]
    fn key_finders_match_redis() {
        // Redis 7.0.15 COMMAND GETKEYSANDFLAGS on the same lines.
        let k = |p: usize, f: &str| (p, f.to_string());
        assert_eq!(proc("set", "set a b get"), [k(1, "RW access update")]);
        assert_eq!(proc("set", "set a b ex 10"), [k(1, "OW update")]);
        assert_eq!(
            proc("sort", "sort k by x store d limit 0 1 store e"),
            [k(1, "RO access"), k(10, "OW update")]
        );
        assert_eq!(proc("sort", "sort k store"), [k(1, "RO access")]);
        assert_eq!(
            proc("bitfield", "bitfield k get u8 0 overflow wrap"),
            [k(1, "RO access")]
        );
        assert_eq!(
            proc("bitfield", "bitfield k set u8 0 1"),
            [k(1, "RW access update")]
        );
        assert_eq!(
            proc("bitfield", "bitfield k get u8"),
            [k(1, "RW access update")]
        );
    }
}
