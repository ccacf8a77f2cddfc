//! The experiment behind the reactor's "one `Poll` per runtime" choice (see `coro-net/src/reactor/mod.rs`;
//! the figures are in BENCHMARKS.md).
//!
//! One shared mio `Poll` (whichever thread is idle polls it; events are processed outside the poll lock,
//! as coro's workers run tasks after leaving the driver) vs one `Poll` per thread (sources partitioned
//! between threads), on a ping-pong over Unix socket pairs: the client end sends 64 B, the server end
//! echoes, repeat. Prints round trips per second for each.
//!
//! ```sh
//! cargo run --release --manifest-path bench/Cargo.toml --bin poll_sharing -- THREADS SECONDS
//! ```
use mio::net::UnixStream;
use mio::{Events, Interest, Poll, Token};
use std::io::{ErrorKind, Read, Write};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const MSG: usize = 64;

struct Conn {
    s: UnixStream,
    buf: [u8; MSG],
    have: usize,
    echo: bool, // server end echoes; client end counts a round trip and resends
}

impl Conn {
    /// Handles readability: read whole messages, echo or count+resend.
    fn on_ready(&mut self, trips: &AtomicU64) {
        loop {
            match self.s.read(&mut self.buf[self.have..]) {
                Ok(0) => return,
                Ok(n) => {
                    self.have += n;
                    if self.have == MSG {
                        self.have = 0;
                        if !self.echo {
                            trips.fetch_add(1, Relaxed);
                        }
                        // 64 B always fits in the socket buffer in this ping-pong.
                        self.s.write_all(&self.buf).unwrap();
                    }
                }
                Err(e) if e.kind() == ErrorKind::WouldBlock => return,
                Err(e) => panic!("{e}"),
            }
        }
    }
}

fn make_conns(pairs: usize) -> Vec<Mutex<Conn>> {
    let mut v = Vec::new();
    for _ in 0..pairs {
        let (a, b) = UnixStream::pair().unwrap();
        v.push(Mutex::new(Conn { s: a, buf: [7; MSG], have: 0, echo: false }));
        v.push(Mutex::new(Conn { s: b, buf: [0; MSG], have: 0, echo: true }));
    }
    v
}

fn kick(conns: &[Mutex<Conn>]) {
    for c in conns.iter().step_by(2) {
        let mut c = c.lock().unwrap();
        let buf = c.buf;
        c.s.write_all(&buf).unwrap();
    }
}

fn shared(threads: usize, pairs: usize, dur: Duration) -> f64 {
    let poll = Poll::new().unwrap();
    let conns = Arc::new(make_conns(pairs));
    for (i, c) in conns.iter().enumerate() {
        poll.registry().register(&mut c.lock().unwrap().s, Token(i), Interest::READABLE).unwrap();
    }
    let poll = Arc::new(Mutex::new((poll, Events::with_capacity(1024))));
    let trips = Arc::new(AtomicU64::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    kick(&conns);
    let start = Instant::now();
    let hs: Vec<_> = (0..threads)
        .map(|_| {
            let (poll, conns, trips, stop) = (poll.clone(), conns.clone(), trips.clone(), stop.clone());
            std::thread::spawn(move || {
                let mut ready = Vec::with_capacity(1024);
                while !stop.load(Relaxed) {
                    {
                        let mut g = poll.lock().unwrap();
                        let (p, ev) = &mut *g;
                        p.poll(ev, Some(Duration::from_millis(10))).unwrap();
                        ready.extend(ev.iter().map(|e| e.token().0));
                    } // the driver is free while this thread "runs tasks"
                    for t in ready.drain(..) {
                        conns[t].lock().unwrap().on_ready(&trips);
                    }
                }
            })
        })
        .collect();
    rate(hs, &trips, &stop, start, dur)
}

fn per_thread(threads: usize, pairs: usize, dur: Duration) -> f64 {
    let trips = Arc::new(AtomicU64::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let start = Instant::now();
    let hs: Vec<_> = (0..threads)
        .map(|_| {
            let (trips, stop) = (trips.clone(), stop.clone());
            let conns = make_conns(pairs / threads);
            std::thread::spawn(move || {
                let mut poll = Poll::new().unwrap();
                for (i, c) in conns.iter().enumerate() {
                    poll.registry().register(&mut c.lock().unwrap().s, Token(i), Interest::READABLE).unwrap();
                }
                let mut ev = Events::with_capacity(1024);
                kick(&conns);
                while !stop.load(Relaxed) {
                    poll.poll(&mut ev, Some(Duration::from_millis(10))).unwrap();
                    for e in ev.iter() {
                        // Same per-connection lock as the shared variant, uncontended here.
                        conns[e.token().0].lock().unwrap().on_ready(&trips);
                    }
                }
            })
        })
        .collect();
    rate(hs, &trips, &stop, start, dur)
}

/// Lets the threads run for `dur`, stops them, and returns the round trips per second since `start`.
fn rate(
    hs: Vec<std::thread::JoinHandle<()>>,
    trips: &AtomicU64,
    stop: &AtomicBool,
    start: Instant,
    dur: Duration,
) -> f64 {
    std::thread::sleep(dur);
    stop.store(true, Relaxed);
    let n = trips.load(Relaxed);
    let el = start.elapsed();
    for h in hs {
        h.join().unwrap();
    }
    n as f64 / el.as_secs_f64()
}

fn main() {
    let args: Vec<usize> = std::env::args().skip(1).map(|a| a.parse().unwrap()).collect();
    let threads = *args.first().unwrap_or(&2);
    let secs = *args.get(1).unwrap_or(&2);
    let dur = Duration::from_secs(secs as u64);
    for pairs in [threads, 64, 512] {
        for round in 0..3 {
            let s = shared(threads, pairs, dur);
            let p = per_thread(threads, pairs, dur);
            println!(
                "threads={threads} pairs={pairs} round={round}: shared {:.0} trips/s, per-thread {:.0} trips/s, shared/per-thread {:.2}",
                s,
                p,
                s / p
            );
        }
    }
}
