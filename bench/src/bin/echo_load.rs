//! The echo benchmark's load generator: a plain single-threaded mio loop (none of the runtimes under test).
//!
//! N connections, closed loop: each sends a message of S bytes, waits for the whole echo, checks it byte for
//! byte, and sends the next one at once. After a warm-up, it counts the requests completed during a fixed
//! window and keeps each one's latency (from the first byte written to the last byte read back, in ns).
//! With `--server-pid`, it reads the server's CPU time (`/proc/PID/stat`, every thread) and context switches
//! exactly at the window's two ends, so the server's CPU per request covers the same requests as the count.
//!
//! Prints one JSON line: requests, window, requests/s, latency percentiles in µs, the requests per connection
//! (min and max: a server that starves some connections shows here), the server's CPU time and context
//! switches in the window, this process's own CPU time (it should be close to 100% of its core: the client is
//! the bottleneck), and errors (a reset connection, an early end of stream, a wrong echo).
//!
//! ```text
//! echo_load --addr 127.0.0.1:PORT [--conns 64] [--size 64] [--warmup 1] [--duration 5] [--server-pid PID]
//! ```

use coro_bench::echo::{
    CpuTimes, MachineTimes, cpu_times, machine_times, proc_context_switches, proc_cpu_times,
};
use mio::net::TcpStream;
use mio::{Events, Interest, Poll, Token};
use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::io::{ErrorKind, Read, Write};
use std::net::SocketAddr;
use std::time::{Duration, Instant};

struct Args {
    addr: SocketAddr,
    conns: usize,
    size: usize,
    warmup: Duration,
    duration: Duration,
    server_pid: Option<u32>,
    /// Paced: this many requests per second in all, each connection sending at most one every
    /// `conns / rate` seconds (still waiting for each echo before the next send).
    rate: Option<f64>,
}

fn usage() -> ! {
    eprintln!(
        "usage: echo_load --addr IP:PORT [--conns N] [--size BYTES] [--warmup SECONDS] [--duration SECONDS] \
         [--server-pid PID] [--rate REQUESTS_PER_SECOND]"
    );
    std::process::exit(2)
}

fn parse_args() -> Args {
    fn parse<T: std::str::FromStr>(value: &str) -> T {
        value.parse().unwrap_or_else(|_| usage())
    }
    let mut addr: Option<SocketAddr> = None;
    let mut rate = None;
    let (mut conns, mut size, mut warmup, mut duration, mut server_pid) =
        (64usize, 64usize, 1.0f64, 5.0f64, None);
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        let value = it.next().unwrap_or_else(|| usage());
        match arg.as_str() {
            "--addr" => addr = Some(parse(&value)),
            "--conns" => conns = parse(&value),
            "--size" => size = parse(&value),
            "--warmup" => warmup = parse(&value),
            "--duration" => duration = parse(&value),
            "--server-pid" => server_pid = Some(parse::<u32>(&value)),
            "--rate" => rate = Some(parse::<f64>(&value)).filter(|r| r.is_finite() && *r > 0.0),
            _ => usage(),
        }
    }
    let addr = addr.unwrap_or_else(|| usage());
    if conns == 0
        || size == 0
        || !warmup.is_finite()
        || warmup < 0.0
        || !duration.is_finite()
        || duration <= 0.0
    {
        usage();
    }
    Args {
        addr,
        conns,
        size,
        warmup: Duration::from_secs_f64(warmup),
        duration: Duration::from_secs_f64(duration),
        server_pid,
        rate,
    }
}

struct Conn {
    stream: TcpStream,
    /// The message in flight; its first 8 bytes carry a sequence number, so every echo differs.
    msg: Vec<u8>,
    recv: Vec<u8>,
    written: usize,
    received: usize,
    sent_at: Instant,
    seq: u64,
    /// Requests completed in the measured window.
    counted: u64,
    /// A request was sent and its echo is not complete yet (paced runs leave a connection idle between
    /// requests).
    in_flight: bool,
    alive: bool,
}

impl Conn {
    /// Starts the next request: a fresh message, written as far as the socket takes it (the rest goes out on
    /// the writable edge).
    fn send_next(&mut self, now: Instant) -> Result<(), &'static str> {
        self.seq += 1;
        let seq = self.seq.to_le_bytes();
        let k = seq.len().min(self.msg.len());
        self.msg[..k].copy_from_slice(&seq[..k]);
        self.written = 0;
        self.received = 0;
        self.sent_at = now;
        self.in_flight = true;
        self.write_rest()
    }

    fn write_rest(&mut self) -> Result<(), &'static str> {
        while self.written < self.msg.len() {
            match self.stream.write(&self.msg[self.written..]) {
                Ok(0) => return Err("write returned 0"),
                Ok(n) => self.written += n,
                Err(e) if e.kind() == ErrorKind::WouldBlock => return Ok(()),
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(_) => return Err("write failed"),
            }
        }
        Ok(())
    }

    /// Reads what has come of the echo. Returns whether it is complete (and correct). Stops at a short read:
    /// on epoll that drained the socket, and what comes next raises a new edge.
    fn read_some(&mut self) -> Result<bool, &'static str> {
        loop {
            let want = self.msg.len() - self.received;
            match self.stream.read(&mut self.recv[self.received..]) {
                Ok(0) => return Err("the server closed the connection"),
                Ok(n) => {
                    self.received += n;
                    if self.received == self.msg.len() {
                        if self.written < self.msg.len() || self.recv != self.msg {
                            return Err("the echo differs from the message");
                        }
                        self.in_flight = false;
                        return Ok(true);
                    }
                    if n < want {
                        return Ok(false);
                    }
                }
                Err(e) if e.kind() == ErrorKind::WouldBlock => return Ok(false),
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(_) => return Err("read failed"),
            }
        }
    }
}

/// What was read at one end of the measured window.
struct Mark {
    at: Instant,
    client: CpuTimes,
    server: Option<CpuTimes>,
    server_csw: Option<(u64, u64)>,
    machine: Option<MachineTimes>,
}

fn mark(server_pid: Option<u32>) -> Mark {
    Mark {
        at: Instant::now(),
        client: cpu_times(),
        server: server_pid.and_then(proc_cpu_times),
        server_csw: server_pid.and_then(proc_context_switches),
        machine: machine_times(),
    }
}

#[derive(PartialEq)]
enum Phase {
    Warmup,
    Measure,
}

fn percentile(sorted: &[u64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1] as f64 / 1000.0
}

fn main() {
    let args = parse_args();

    // Connect one at a time, so that no listen backlog overflows whatever the server's accept rate.
    let mut conns = Vec::with_capacity(args.conns);
    for i in 0..args.conns {
        let std = match std::net::TcpStream::connect_timeout(&args.addr, Duration::from_secs(5)) {
            Ok(s) => s,
            Err(e) => {
                eprintln!("echo_load: connection {i} to {}: {e}", args.addr);
                std::process::exit(1);
            }
        };
        std.set_nodelay(true).expect("TCP_NODELAY");
        std.set_nonblocking(true).expect("O_NONBLOCK");
        let msg: Vec<u8> = (0..args.size).map(|j| (i * 31 + j * 7) as u8).collect();
        conns.push(Conn {
            stream: TcpStream::from_std(std),
            recv: vec![0; args.size],
            msg,
            written: 0,
            received: 0,
            sent_at: Instant::now(),
            seq: 0,
            counted: 0,
            in_flight: false,
            alive: true,
        });
    }

    let mut poll = Poll::new().expect("mio Poll");
    for (i, c) in conns.iter_mut().enumerate() {
        poll.registry()
            .register(&mut c.stream, Token(i), Interest::READABLE | Interest::WRITABLE)
            .expect("register");
    }

    let mut errors: Vec<String> = Vec::new();
    let mut fail = |c: &mut Conn, i: usize, why: &str, poll: &Poll| {
        c.alive = false;
        let _ = poll.registry().deregister(&mut c.stream);
        errors.push(format!("connection {i}: {why}"));
    };

    // Paced runs: when each connection may send next, soonest first. Connections start spread over one
    // interval.
    let interval = args.rate.map(|r| Duration::from_secs_f64(args.conns as f64 / r));
    let mut due: BinaryHeap<Reverse<(Instant, usize)>> = BinaryHeap::new();
    let start = Instant::now();
    for (i, c) in conns.iter_mut().enumerate() {
        match interval {
            Some(every) => due.push(Reverse((start + every.mul_f64(i as f64 / args.conns as f64), i))),
            None => {
                if let Err(why) = c.send_next(start) {
                    fail(c, i, why, &poll);
                }
            }
        }
    }

    let mut samples: Vec<u64> = Vec::with_capacity(1 << 21);
    let mut phase = Phase::Warmup;
    let warm_end = start + args.warmup;
    let mut end = warm_end + args.duration;
    let mut first: Option<Mark> = None;
    let mut events = Events::with_capacity(1024);

    let last = loop {
        let now = Instant::now();
        if phase == Phase::Warmup && now >= warm_end {
            phase = Phase::Measure;
            let m = mark(args.server_pid);
            end = m.at + args.duration;
            first = Some(m);
        } else if phase == Phase::Measure && now >= end {
            break mark(args.server_pid);
        }
        while let Some(&Reverse((at, i))) = due.peek() {
            if at > now {
                break;
            }
            due.pop();
            let c = &mut conns[i];
            if let Err(why) = c.send_next(now) {
                fail(c, i, why, &poll);
            }
        }
        let deadline = if phase == Phase::Warmup { warm_end } else { end };
        let mut timeout = deadline.saturating_duration_since(now);
        if let Some(&Reverse((at, _))) = due.peek() {
            // epoll waits in whole milliseconds: spin (poll without waiting) for the last one.
            let until = at.saturating_duration_since(now);
            timeout = timeout.min(until.saturating_sub(Duration::from_millis(1)));
        }
        if let Err(e) = poll.poll(&mut events, Some(timeout)) {
            if e.kind() == ErrorKind::Interrupted {
                continue;
            }
            panic!("poll: {e}");
        }
        for event in events.iter() {
            let i = event.token().0;
            let c = &mut conns[i];
            if !c.alive {
                continue;
            }
            if !c.in_flight {
                continue; // idle between paced requests: the next send finds out about a closed socket
            }
            if event.is_writable()
                && c.written < c.msg.len()
                && let Err(why) = c.write_rest()
            {
                fail(c, i, why, &poll);
                continue;
            }
            if event.is_readable() || event.is_read_closed() || event.is_error() {
                match c.read_some() {
                    Ok(true) => {
                        let now = Instant::now();
                        if phase == Phase::Measure {
                            samples.push((now - c.sent_at).as_nanos() as u64);
                            c.counted += 1;
                        }
                        match interval {
                            // The next send is due one interval after this one's (or now, if that passed).
                            Some(every) if c.sent_at + every > now => {
                                due.push(Reverse((c.sent_at + every, i)))
                            }
                            _ => {
                                if let Err(why) = c.send_next(now) {
                                    fail(c, i, why, &poll);
                                }
                            }
                        }
                    }
                    Ok(false) => {}
                    Err(why) => fail(c, i, why, &poll),
                }
            }
        }
    };
    let first = first.expect("the window started");

    let window = (last.at - first.at).as_secs_f64();
    let requests = samples.len() as u64;
    samples.sort_unstable();
    let min_per_conn = conns.iter().map(|c| c.counted).min().unwrap_or(0);
    let max_per_conn = conns.iter().map(|c| c.counted).max().unwrap_or(0);
    let client_cpu = (last.client.total() - first.client.total()).as_secs_f64();
    let server = match (first.server, last.server) {
        (Some(a), Some(b)) => format!(
            r#","server_user_s":{:.6},"server_system_s":{:.6},"server_cpu_s":{:.6}"#,
            (b.user.saturating_sub(a.user)).as_secs_f64(),
            (b.system.saturating_sub(a.system)).as_secs_f64(),
            (b.total().saturating_sub(a.total())).as_secs_f64()
        ),
        _ => String::new(),
    };
    let csw = match (first.server_csw, last.server_csw) {
        (Some(a), Some(b)) => format!(
            r#","server_voluntary_csw":{},"server_involuntary_csw":{}"#,
            b.0.saturating_sub(a.0),
            b.1.saturating_sub(a.1)
        ),
        _ => String::new(),
    };
    // What the whole machine did meanwhile: its busy time less the server's and this process's is what other
    // processes took (the figures are only clean where that is close to zero; softirq work runs in the
    // context of the process whose syscall raised it and is charged to it), and the hypervisor's steal time.
    let machine = match (&first.machine, &last.machine, &first.server, &last.server) {
        (Some(a), Some(b), Some(sa), Some(sb)) => {
            let m = b.since(a);
            let ours = (sb.total().saturating_sub(sa.total())).as_secs_f64() + client_cpu;
            format!(
                r#","machine_busy_s":{:.6},"machine_irq_s":{:.6},"others_cpu_s":{:.6},"steal_s":{:.6}"#,
                m.busy.as_secs_f64(),
                m.irq.as_secs_f64(),
                (m.busy.as_secs_f64() - ours).max(0.0),
                m.steal.as_secs_f64()
            )
        }
        _ => String::new(),
    };
    let errors_json: Vec<String> = errors.iter().take(5).map(|e| format!("{e:?}")).collect();
    println!(
        r#"{{"conns":{},"size":{},"rate":{},"requests":{requests},"window_s":{window:.6},"rps":{:.1},"p50_us":{:.2},"p90_us":{:.2},"p99_us":{:.2},"p999_us":{:.2},"max_us":{:.2},"min_per_conn":{min_per_conn},"max_per_conn":{max_per_conn},"client_cpu_s":{client_cpu:.6}{server}{csw}{machine},"errors":{},"first_errors":[{}]}}"#,
        args.conns,
        args.size,
        args.rate.map_or("null".to_string(), |r| format!("{r}")),
        requests as f64 / window,
        percentile(&samples, 50.0),
        percentile(&samples, 90.0),
        percentile(&samples, 99.0),
        percentile(&samples, 99.9),
        samples.last().copied().unwrap_or(0) as f64 / 1000.0,
        errors.len(),
        errors_json.join(","),
    );
}
