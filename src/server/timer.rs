//! A hierarchical timer wheel (Varghese & Lauck, "Hashed and Hierarchical
//! Timing Wheels", 1987), the schedule behind active expiry.
//!
//! Redis finds expired keys by *sampling*: `activeExpireCycle` in `expire.c`
//! picks 20 random keys with a TTL, deletes those past their deadline, and
//! repeats while more than a quarter were expired. That costs nothing per
//! key but finds keys late when few of many volatile keys are due. A timer
//! wheel instead knows exactly which keys are due, at O(1) per insertion and
//! per expiry:
//!
//! * Six levels of 64 slots. A level-0 slot spans 1 ms, a level-1 slot 64 ms,
//!   a level-2 slot 4.1 s, then 4.4 min, 4.7 h and 12.4 days; the top level
//!   covers 2.2 years, and deadlines beyond wrap around (they are checked
//!   when their slot comes up and rescheduled, never fired early).
//! * An entry goes to the lowest level whose slot width separates its
//!   deadline from `elapsed` (the wheel's current time): the most
//!   significant bit where the two differ, divided by 6.
//! * A 64-bit occupancy mask per level finds the next non-empty slot with
//!   one `trailing_zeros`, so the wheel jumps over idle time instead of
//!   ticking through it. When a higher-level slot comes due its entries are
//!   re-inserted one level down (cascading); each entry cascades at most
//!   once per level.
//!
//! This layout is tokio's timer wheel; the code is our own. `poll_step`
//! hands out one due entry at a time, or does one bounded chunk of
//! cascading, so the caller can stop when its time budget is spent: a
//! level-2 slot spans 4 s and may hold hundreds of thousands of entries,
//! and moving them down in one go would stall the server for milliseconds.
//! Entries already taken out of a slot wait in `cascading` (to be placed
//! lower) or `pending` (due).
//!
//! An entry is its deadline (8 bytes) and the caller's item; the keyspace
//! stores the key's 64-bit hash as item, so **16 bytes per volatile key**
//! (plus the slack of the slot vectors). Entries are never removed early:
//! the owner validates each entry when it fires (see `db::expire`).

/// Bits of deadline per level (64 slots).
const BITS: u32 = 6;
const SLOTS: usize = 1 << BITS;
const LEVELS: usize = 6;
/// Span of the whole wheel in ms (64^6).
const MAX_SPAN: u64 = 1 << (BITS as usize * LEVELS);
/// Entries moved down per `poll_step` while cascading a slot.
const CASCADE_CHUNK: usize = 512;

/// What one `poll_step` did.
#[derive(Debug, PartialEq, Eq)]
pub enum Step<T> {
    /// An entry due at or before `now`: (deadline, item).
    Fired(u64, T),
    /// Some cascading work was done; call again.
    Working,
    /// Nothing is due.
    Idle,
}

struct Level<T> {
    occupied: u64,
    slots: Vec<Vec<(u64, T)>>,
}

impl<T> Level<T> {
    fn new() -> Level<T> {
        Level {
            occupied: 0,
            slots: (0..SLOTS).map(|_| Vec::new()).collect(),
        }
    }
}

/// Width in ms of one slot of `level`.
#[inline]
fn slot_range(level: usize) -> u64 {
    1 << (BITS as usize * level)
}

/// Width in ms of the whole of `level`.
#[inline]
fn level_range(level: usize) -> u64 {
    1 << (BITS as usize * (level + 1))
}

pub struct Wheel<T> {
    levels: Vec<Level<T>>,
    /// The wheel's time in ms: every slot before it has been emptied.
    elapsed: u64,
    /// Entries taken out of a due slot, not yet handed to the caller.
    pending: Vec<(u64, T)>,
    /// Entries of a due higher-level slot, not yet placed lower.
    cascading: Vec<(u64, T)>,
    len: usize,
}

impl<T> Default for Wheel<T> {
    fn default() -> Self {
        Wheel::new()
    }
}

impl<T> Wheel<T> {
    pub fn new() -> Wheel<T> {
        Wheel {
            levels: (0..LEVELS).map(|_| Level::new()).collect(),
            elapsed: 0,
            pending: Vec::new(),
            cascading: Vec::new(),
            len: 0,
        }
    }

    /// Entries scheduled (live or stale).
    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Bytes held by the slot vectors, for memory accounting.
    pub fn heap_bytes(&self) -> usize {
        let item = std::mem::size_of::<(u64, T)>();
        let slots: usize = self
            .levels
            .iter()
            .flat_map(|l| l.slots.iter())
            .map(|s| s.capacity() * item)
            .sum();
        slots + (self.pending.capacity() + self.cascading.capacity()) * item
    }

    fn level_for(&self, when: u64) -> usize {
        let mut masked = (self.elapsed ^ when) | (SLOTS as u64 - 1);
        if masked >= MAX_SPAN {
            masked = MAX_SPAN - 1;
        }
        let significant = 63 - masked.leading_zeros() as usize;
        significant / BITS as usize
    }

    /// Schedules `item` at `when` (ms). A deadline at or before the wheel's
    /// time is due at the next `poll`.
    pub fn insert(&mut self, when: u64, item: T) {
        self.len += 1;
        if when <= self.elapsed {
            self.pending.push((when, item));
            return;
        }
        self.place(when, item);
    }

    fn place(&mut self, when: u64, item: T) {
        let level = self.level_for(when);
        let slot = ((when >> (BITS as usize * level)) & (SLOTS as u64 - 1)) as usize;
        let l = &mut self.levels[level];
        l.slots[slot].push((when, item));
        l.occupied |= 1 << slot;
    }

    /// The start of the earliest non-empty slot: (level, slot, time).
    fn next_expiration(&self) -> Option<(usize, usize, u64)> {
        for (level, l) in self.levels.iter().enumerate() {
            if l.occupied == 0 {
                continue;
            }
            let now_slot = (self.elapsed / slot_range(level)) as u32 % SLOTS as u32;
            let zeros = l.occupied.rotate_right(now_slot).trailing_zeros();
            let slot = (zeros + now_slot) as usize % SLOTS;
            let range = level_range(level);
            let start = self.elapsed & !(range - 1);
            let mut deadline = start + slot as u64 * slot_range(level);
            if deadline <= self.elapsed {
                // Only the top level wraps: a deadline more than a full turn
                // away sits in a slot "behind" the current one.
                deadline += range;
            }
            return Some((level, slot, deadline));
        }
        None
    }

    /// Earliest time something may be due (for sleeping until then).
    pub fn next_deadline(&self) -> Option<u64> {
        if !self.pending.is_empty() || !self.cascading.is_empty() {
            return Some(self.elapsed);
        }
        self.next_expiration().map(|(_, _, d)| d)
    }

    /// One entry whose deadline is at or before `now`, if any.
    pub fn poll(&mut self, now: u64) -> Option<(u64, T)> {
        loop {
            match self.poll_step(now) {
                Step::Fired(when, item) => return Some((when, item)),
                Step::Working => continue,
                Step::Idle => return None,
            }
        }
    }

    /// One bounded step: hand out a due entry, or move a chunk of a due
    /// slot's entries down a level, or say that nothing is due.
    pub fn poll_step(&mut self, now: u64) -> Step<T> {
        if let Some((when, item)) = self.pending.pop() {
            self.len -= 1;
            return Step::Fired(when, item);
        }
        if !self.cascading.is_empty() {
            // Finish the slot being cascaded before looking further: its
            // entries may be due before anything in the other slots.
            for _ in 0..CASCADE_CHUNK {
                let Some((when, item)) = self.cascading.pop() else {
                    break;
                };
                if when <= now {
                    self.pending.push((when, item));
                } else {
                    self.place(when, item);
                }
            }
            return Step::Working;
        }
        match self.next_expiration() {
            Some((level, slot, deadline)) if deadline <= now => {
                self.elapsed = self.elapsed.max(deadline);
                let l = &mut self.levels[level];
                l.occupied &= !(1 << slot);
                self.cascading = std::mem::take(&mut l.slots[slot]);
                Step::Working
            }
            _ => {
                self.elapsed = self.elapsed.max(now);
                Step::Idle
            }
        }
    }

    /// The wheel's time: no entry at or before it is still in a slot.
    pub fn elapsed(&self) -> u64 {
        self.elapsed
    }

    /// Moves an empty wheel's time forward to `now`, so that what is
    /// inserted next is placed relative to the present. A wheel left at
    /// time 0 (new, or cleared) would otherwise file epoch-ms deadlines at
    /// the top level and cascade them through ~25 wrap-arounds at the first
    /// poll.
    pub fn advance_if_empty(&mut self, now: u64) {
        if self.len == 0 {
            self.elapsed = self.elapsed.max(now);
        }
    }

    /// Drops every entry; the wheel's time stays.
    pub fn clear(&mut self) {
        let elapsed = self.elapsed;
        *self = Wheel::new();
        self.elapsed = elapsed;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::XorShift;

    #[test]
    fn fires_everything_at_or_after_its_deadline_never_before() {
        let mut rng = XorShift::new(0x9e37_79b9_7f4a_7c15);
        let mut w = Wheel::new();
        let start = 1_700_000_000_000u64;
        w.poll(start);
        let mut all = Vec::new();
        for i in 0..20_000u64 {
            // Deadlines from 0 ms to ~3 days ahead, hitting every level.
            let span = [10, 100, 5_000, 300_000, 20_000_000, 300_000_000][i as usize % 6];
            let when = start + rng.next_u64() % span;
            w.insert(when, i);
            all.push(when);
        }
        assert_eq!(w.len(), 20_000);
        let mut fired = vec![false; all.len()];
        let mut now = start;
        let mut step = 1u64;
        while !w.is_empty() {
            now += step;
            step = (step * 3 / 2).min(60_000) + 1;
            while let Some((when, i)) = w.poll(now) {
                assert!(when <= now, "fired early");
                assert_eq!(all[i as usize], when);
                assert!(!fired[i as usize], "fired twice");
                fired[i as usize] = true;
            }
            // Nothing due may be left behind.
            if let Some(d) = w.next_deadline() {
                assert!(d > now);
            }
        }
        assert!(fired.iter().all(|&f| f));
    }

    #[test]
    fn entries_due_now_or_in_the_past_fire_at_next_poll() {
        let mut w = Wheel::new();
        w.poll(1000);
        w.insert(500, 'a');
        w.insert(1000, 'b');
        w.insert(1001, 'c');
        let mut got: Vec<char> = std::iter::from_fn(|| w.poll(1000).map(|e| e.1)).collect();
        got.sort();
        assert_eq!(got, vec!['a', 'b']);
        assert_eq!(w.poll(1001).map(|e| e.1), Some('c'));
    }

    #[test]
    fn far_deadlines_wrap_but_never_fire_early() {
        let mut w = Wheel::new();
        w.poll(0);
        let far = MAX_SPAN * 3 + 12345;
        w.insert(far, ());
        let mut now = 0;
        while now < far {
            now += MAX_SPAN / 7;
            if let Some((when, ())) = w.poll(now.min(far - 1)) {
                panic!("fired at {now} for {when}");
            }
        }
        assert_eq!(w.poll(far).map(|e| e.0), Some(far));
    }

    #[test]
    fn poll_can_stop_midway_and_resume() {
        let mut w = Wheel::new();
        w.poll(0);
        for i in 0..1000u64 {
            w.insert(100 + i % 7, i);
        }
        let mut n = 0;
        for _ in 0..10 {
            if w.poll(200).is_some() {
                n += 1;
            }
        }
        // A later insert during the pause is not lost.
        w.insert(150, 5000);
        while w.poll(200).is_some() {
            n += 1;
        }
        assert_eq!(n, 1001);
        assert!(w.is_empty());
    }

    #[test]
    fn cascading_a_crowded_slot_is_done_in_bounded_steps() {
        let mut w = Wheel::new();
        w.poll(0);
        // 100k deadlines in one level-2 slot (4096..8192 ms).
        for i in 0..100_000u64 {
            w.insert(5000 + i % 3000, i);
        }
        assert_eq!(w.poll_step(4096), Step::Working);
        assert_eq!(w.cascading.len(), 100_000);
        assert_eq!(w.poll_step(4096), Step::Working);
        assert_eq!(w.cascading.len(), 100_000 - CASCADE_CHUNK);
        let mut fired = 0;
        loop {
            match w.poll_step(8191) {
                Step::Fired(when, _) => {
                    assert!(when <= 8191);
                    fired += 1;
                }
                Step::Working => {}
                Step::Idle => break,
            }
        }
        assert_eq!(fired, 100_000);
    }
}
