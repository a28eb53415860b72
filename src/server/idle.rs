//! Waiting for the next event: a short spin before sleeping, while spins
//! pay off.
//!
//! Redis sleeps in `epoll_wait` whenever it has nothing to do. That is
//! right on an idle server, and costly on a busy one run in a VM whose idle
//! loop halts the core at once (cpuidle haltpoll with `guest_halt_poll_ns`
//! 0, as on this project's machines). On loopback the kernel work of a
//! request runs on the sender's core, so a client's write that finds the
//! server asleep on a halted core pays for the wakeup: an IPI, about 7 µs
//! of the client's time as measured here, and the server pays again to
//! leave the halt and be scheduled back in. At pipeline 1 with 50 clients,
//! redis-benchmark writes its requests in bursts, a few µs apart; a server
//! faster than those few µs goes to sleep between two requests of the same
//! burst and is woken for nearly every one (0.15 wakeups per request, where
//! Redis, slower, needed 0.10-0.13). The client, the bottleneck there, then
//! ran slower against the faster server.
//!
//! So before blocking, the loop polls without a timeout for up to `SPIN`,
//! and blocks only if nothing came. Whether a spin is worth its µs depends
//! on the load, so the loop keeps a running success rate of its spins (an
//! event arrived within `SPIN`) and spins only while that rate stays above
//! `MIN_SUCCESS`: a lone client that sends a request every 30 µs, or an
//! idle server woken by its cron, makes spins fail and stops them. While
//! not spinning it still tries one wait in `PROBE_EVERY`, so a burst-heavy
//! load turns spinning back on. Measured on PING at pipeline 1: the server
//! woke from halt 0.07-0.10 times per request instead of 0.15, the client
//! needed 8% less CPU per request, and the server's own CPU per request did
//! not grow, since a spin that catches the next request saves the server
//! its sleep and wakeup as well.

use std::io;
use std::time::{Duration, Instant};

use mio::{Events, Poll};

/// The longest spin: a few of the client's writes apart.
const SPIN: Duration = Duration::from_micros(5);
/// Success rate (out of `SCALE`) below which the loop stops spinning.
const MIN_SUCCESS: u32 = SCALE * 3 / 8;
/// While not spinning, one wait in this many spins anyway, as a probe.
const PROBE_EVERY: u32 = 16;
/// Fixed-point scale of the success rate.
const SCALE: u32 = 1024;

pub struct IdleWait {
    /// Recent spins that caught an event, out of `SCALE` (a moving average
    /// over about the last 8 spins).
    success: u32,
    /// Waits since the last spin.
    since_spin: u32,
}

impl Default for IdleWait {
    fn default() -> Self {
        IdleWait {
            success: SCALE,
            since_spin: 0,
        }
    }
}

impl IdleWait {
    /// Fills `events`, waiting at most `timeout`. A zero timeout polls once.
    pub fn wait(
        &mut self,
        poll: &mut Poll,
        events: &mut Events,
        timeout: Duration,
    ) -> io::Result<()> {
        if timeout < SPIN * 2 || !self.should_spin() {
            return poll.poll(events, Some(timeout));
        }
        self.since_spin = 0;
        let start = Instant::now();
        loop {
            poll.poll(events, Some(Duration::ZERO))?;
            if !events.is_empty() {
                self.record(true);
                return Ok(());
            }
            if start.elapsed() >= SPIN {
                break;
            }
            std::hint::spin_loop();
        }
        self.record(false);
        poll.poll(events, Some(timeout.saturating_sub(start.elapsed())))
    }

    fn should_spin(&mut self) -> bool {
        if self.spinning() {
            return true;
        }
        self.since_spin += 1;
        self.since_spin >= PROBE_EVERY
    }

    fn record(&mut self, caught: bool) {
        self.success -= self.success / 8;
        if caught {
            self.success += SCALE / 8;
        }
    }

    /// Recent spins paid off often enough to keep spinning.
    fn spinning(&self) -> bool {
        self.success >= MIN_SUCCESS
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failed_spins_stop_spinning_and_probes_restart_it() {
        let mut w = IdleWait::default();
        assert!(w.spinning());
        let mut spins = 0;
        for _ in 0..64 {
            if w.should_spin() {
                spins += 1;
                w.since_spin = 0;
                w.record(false);
            }
        }
        assert!(!w.spinning());
        // About 8 failures end it; then one probe in PROBE_EVERY waits.
        assert!(spins < 8 + 64 / PROBE_EVERY as usize + 1, "{spins}");
        // Probes that keep catching events turn spinning back on.
        let mut waits = 0;
        while !w.spinning() {
            waits += 1;
            if w.should_spin() {
                w.since_spin = 0;
                w.record(true);
            }
        }
        assert!(waits <= 4 * PROBE_EVERY, "{waits}");
    }

    #[test]
    fn a_steady_mix_above_the_threshold_keeps_spinning() {
        let mut w = IdleWait::default();
        // One catch in two: 50% stays above the 37.5% threshold.
        for i in 0..1000 {
            assert!(w.should_spin());
            w.record(i % 2 == 0);
        }
        assert!(w.spinning());
    }

    #[test]
    fn waits_without_events_return_after_the_timeout() {
        let mut poll = Poll::new().expect("poll");
        let mut events = Events::with_capacity(8);
        let mut w = IdleWait::default();
        let t = Instant::now();
        w.wait(&mut poll, &mut events, Duration::from_millis(5))
            .expect("wait");
        assert!(events.is_empty());
        assert!(t.elapsed() >= Duration::from_millis(5));
        assert!(!w.spinning() || w.success < SCALE);
        // One failed spin: the rate moved an eighth of the way to zero.
        assert_eq!(w.success, SCALE - SCALE / 8);
    }
}
