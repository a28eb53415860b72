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
//!
//! A spin only bridges the gaps inside a burst. Between bursts (20-60 µs at
//! pipeline 1 with 50 clients) a server that blocks is woken by the client,
//! which pays the IPI. So under heavy load the loop naps instead: it sleeps
//! `NAP` in `nanosleep` (the core halts just the same), then polls without
//! blocking, up to `NAPS` times, and only then blocks. A task asleep in
//! `nanosleep` is on no socket's wait queue, so a client's write into one
//! of our sockets wakes nobody: the server's own timer wakes it, on its own
//! core, and the client's time goes to sending. The price is latency: a
//! request that lands during a nap waits for the nap's end, up to `NAP`.
//! That is paid only where it buys throughput and costs no one a visible
//! delay: when at least `BUSY_CLIENTS` connections sent something in the
//! last millisecond and the loop was busy for at least a third of it. A
//! closed loop of that many clients is bound by the client, whose other
//! connections keep it busy through the nap; a lone client, a handful of
//! clients, or a lightly loaded server never nap (perf counted no
//! `nanosleep` under GET from 4 clients). Measured with 50 clients at
//! pipeline 1 (session 14, six alternating rounds against the build
//! without naps and Redis): SET 1.06 -> 1.13 of Redis's throughput, with
//! server CPU per request 1.04 -> 1.03 of Redis's; LRANGE 0 599 0.93 ->
//! 1.04.

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
/// One nap; the longest a request can wait for a napping server.
const NAP: Duration = Duration::from_micros(40);
/// Naps before blocking.
const NAPS: u32 = 2;
/// Connections heard from in one `WINDOW` before the loop naps.
const BUSY_CLIENTS: u32 = 16;
/// How often the load is sampled.
const WINDOW: Duration = Duration::from_millis(1);
/// Connections are counted in a bitmap of this many bits, by token.
const SEEN_BITS: usize = 1024;

pub struct IdleWait {
    /// Recent spins that caught an event, out of `SCALE` (a moving average
    /// over about the last 8 spins).
    success: u32,
    /// Waits since the last spin.
    since_spin: u32,
    /// Tokens that had events in this window (a token's bit, modulo
    /// `SEEN_BITS`: two connections may share one, which only undercounts).
    seen: [u64; SEEN_BITS / 64],
    /// Time spent outside `wait` in this window.
    busy: Duration,
    /// When the last `wait` returned.
    woke: Instant,
    window_end: Instant,
    /// The last full window's load allowed naps.
    napping: bool,
}

impl IdleWait {
    /// Called on the event loop's thread: it also sets that thread's timer
    /// slack to its minimum, or every nap would last 50 µs longer.
    pub fn on_this_thread() -> Self {
        // SAFETY: PR_SET_TIMERSLACK takes a plain integer and affects only
        // the calling thread.
        unsafe { libc::prctl(libc::PR_SET_TIMERSLACK, 1 as libc::c_ulong) };
        let now = Instant::now();
        IdleWait {
            success: SCALE,
            since_spin: 0,
            seen: [0; SEEN_BITS / 64],
            busy: Duration::ZERO,
            woke: now,
            window_end: now + WINDOW,
            napping: false,
        }
    }

    /// Fills `events`, waiting at most `timeout`. A zero timeout polls once.
    pub fn wait(
        &mut self,
        poll: &mut Poll,
        events: &mut Events,
        timeout: Duration,
    ) -> io::Result<()> {
        let start = Instant::now();
        self.sample(events, start);
        let r = self.wait_from(start, poll, events, timeout);
        self.woke = Instant::now();
        r
    }

    fn wait_from(
        &mut self,
        start: Instant,
        poll: &mut Poll,
        events: &mut Events,
        timeout: Duration,
    ) -> io::Result<()> {
        if timeout < SPIN * 2 {
            return poll.poll(events, Some(timeout));
        }
        if self.should_spin() {
            self.since_spin = 0;
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
        }
        if self.napping {
            for _ in 0..NAPS {
                if start.elapsed() + NAP * 2 > timeout {
                    break;
                }
                std::thread::sleep(NAP);
                poll.poll(events, Some(Duration::ZERO))?;
                if !events.is_empty() {
                    return Ok(());
                }
            }
        }
        poll.poll(events, Some(timeout.saturating_sub(start.elapsed())))
    }

    /// Counts the connections in the events just handled and the time spent
    /// handling them; at each window's end decides whether to nap.
    fn sample(&mut self, events: &Events, now: Instant) {
        for e in events.iter() {
            self.note(e.token().0);
        }
        self.busy += now.saturating_duration_since(self.woke);
        if now >= self.window_end {
            self.end_window(now);
        }
    }

    fn note(&mut self, token: usize) {
        let bit = token % SEEN_BITS;
        self.seen[bit / 64] |= 1 << (bit % 64);
    }

    fn end_window(&mut self, now: Instant) {
        let clients: u32 = self.seen.iter().map(|w| w.count_ones()).sum();
        let span = now.saturating_duration_since(self.window_end) + WINDOW;
        self.napping = clients >= BUSY_CLIENTS && self.busy * 3 >= span;
        self.seen = [0; SEEN_BITS / 64];
        self.busy = Duration::ZERO;
        self.window_end = now + WINDOW;
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
        let mut w = IdleWait::on_this_thread();
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
        let mut w = IdleWait::on_this_thread();
        // One catch in two: 50% stays above the 37.5% threshold.
        for i in 0..1000 {
            assert!(w.should_spin());
            w.record(i % 2 == 0);
        }
        assert!(w.spinning());
    }

    /// One window of load: `clients` connections heard from, the loop busy
    /// for `busy_us` of the window's 1,000 µs.
    fn window(w: &mut IdleWait, clients: usize, busy_us: u64) -> bool {
        for t in 0..clients {
            w.note(t + 2);
        }
        w.busy = Duration::from_micros(busy_us);
        let end = w.window_end;
        w.end_window(end);
        w.napping
    }

    #[test]
    fn only_many_clients_on_a_busy_loop_make_it_nap() {
        let mut w = IdleWait::on_this_thread();
        assert!(!w.napping);
        assert!(window(&mut w, 50, 800));
        // A lone client, or a handful, never waits for a nap.
        assert!(!window(&mut w, 1, 900));
        assert!(!window(&mut w, BUSY_CLIENTS as usize - 1, 900));
        assert!(window(&mut w, BUSY_CLIENTS as usize, 900));
        // Many clients on a lightly loaded server: no naps either.
        assert!(!window(&mut w, 200, 100));
        // A connection counted twice in a window counts once.
        for _ in 0..4 {
            w.note(7);
        }
        assert!(!window(&mut w, 1, 900));
    }

    #[test]
    fn a_napping_wait_keeps_its_timeout_and_still_wakes_for_data() {
        use std::io::Write;
        let mut poll = Poll::new().expect("poll");
        let mut events = Events::with_capacity(8);
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let addr = listener.local_addr().expect("addr");
        let mut client = std::net::TcpStream::connect(addr).expect("connect");
        let (server, _) = listener.accept().expect("accept");
        server.set_nonblocking(true).expect("nonblocking");
        let mut server = mio::net::TcpStream::from_std(server);
        poll.registry()
            .register(&mut server, mio::Token(3), mio::Interest::READABLE)
            .expect("register");
        let mut w = IdleWait::on_this_thread();
        w.napping = true;
        w.window_end = Instant::now() + Duration::from_secs(60);
        let t = Instant::now();
        w.wait(&mut poll, &mut events, Duration::from_millis(5))
            .expect("wait");
        assert!(events.is_empty());
        assert!(t.elapsed() >= Duration::from_millis(5));
        // Data that comes while the loop naps or sleeps is served at once.
        let writer = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(20));
            client.write_all(b"PING\r\n").expect("write");
            client
        });
        let t = Instant::now();
        w.wait(&mut poll, &mut events, Duration::from_secs(10))
            .expect("wait");
        assert!(!events.is_empty());
        assert!(t.elapsed() < Duration::from_secs(5), "{:?}", t.elapsed());
        drop(writer.join());
    }

    #[test]
    fn waits_without_events_return_after_the_timeout() {
        let mut poll = Poll::new().expect("poll");
        let mut events = Events::with_capacity(8);
        let mut w = IdleWait::on_this_thread();
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
