//! Pub/Sub registries (Redis's `pubsub.c`, server side).
//!
//! Redis keeps two maps on the server: channel -> subscribed clients and
//! pattern -> subscribed clients (plus shard channels, which without
//! cluster mode behave as a third, separate namespace). Each client also
//! keeps the set of its own subscriptions, so UNSUBSCRIBE without arguments
//! and disconnect cleanup need not scan the server maps. Here clients are
//! named by their slab token: the registry never holds references, and a
//! publisher reaches a subscriber through `Server::clients`.
//!
//! Subscriber lists are plain vectors in subscription order, so a message
//! reaches subscribers in a stable order; removal is O(subscribers), which
//! is what Redis's dict-of-lists costs too.

use std::collections::HashMap;

/// The three namespaces.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Channel,
    Pattern,
    Shard,
}

/// Server-wide subscriber maps.
#[derive(Default)]
pub struct PubSub {
    pub channels: HashMap<Vec<u8>, Vec<usize>>,
    pub patterns: HashMap<Vec<u8>, Vec<usize>>,
    pub shard: HashMap<Vec<u8>, Vec<usize>>,
    /// Reused copy of a channel's subscriber list while PUBLISH delivers
    /// (delivery needs the server mutably), so publishing allocates nothing.
    pub scratch: Vec<usize>,
}

impl PubSub {
    pub fn map(&mut self, k: Kind) -> &mut HashMap<Vec<u8>, Vec<usize>> {
        match k {
            Kind::Channel => &mut self.channels,
            Kind::Pattern => &mut self.patterns,
            Kind::Shard => &mut self.shard,
        }
    }

    pub fn add(&mut self, k: Kind, name: &[u8], token: usize) {
        self.map(k).entry(name.to_vec()).or_default().push(token);
    }

    pub fn remove(&mut self, k: Kind, name: &[u8], token: usize) {
        let m = self.map(k);
        if let Some(v) = m.get_mut(name) {
            v.retain(|&t| t != token);
            if v.is_empty() {
                m.remove(name);
            }
        }
    }
}

/// One client's subscriptions, in subscription order (UNSUBSCRIBE without
/// arguments answers in this order).
#[derive(Default)]
pub struct ClientSubs {
    pub channels: Vec<Vec<u8>>,
    pub patterns: Vec<Vec<u8>>,
    pub shard: Vec<Vec<u8>>,
}

impl ClientSubs {
    pub fn list(&mut self, k: Kind) -> &mut Vec<Vec<u8>> {
        match k {
            Kind::Channel => &mut self.channels,
            Kind::Pattern => &mut self.patterns,
            Kind::Shard => &mut self.shard,
        }
    }

    /// Redis's `clientSubscriptionsCount` (channels + patterns).
    pub fn count(&self) -> usize {
        self.channels.len() + self.patterns.len()
    }

    /// True when the client is in subscribed mode.
    pub fn active(&self) -> bool {
        !self.channels.is_empty() || !self.patterns.is_empty() || !self.shard.is_empty()
    }
}

/// Drops every subscription of a departing or RESET client.
pub fn forget_client(ps: &mut PubSub, subs: &mut ClientSubs, token: usize) {
    for k in [Kind::Channel, Kind::Pattern, Kind::Shard] {
        for name in std::mem::take(subs.list(k)) {
            ps.remove(k, &name, token);
        }
    }
}
