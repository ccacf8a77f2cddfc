//! What the echo servers share (the `echo_*` binaries but `echo_load`): the command line, the read buffer's
//! size, the line that says the server is up, and the way it ends. `bench/echo.py` drives them.
//!
//! ```text
//! echo_tokio [ADDR | PORT] [--current-thread]     # ADDR defaults to 127.0.0.1:0 (any free port)
//! listening on 127.0.0.1:40123                    # first line of stdout, once it accepts
//! {"server":"tokio","user_s":1.52,"system_s":3.9} # last line, when stdin closes: its getrusage totals
//! ```
//!
//! A server runs until its standard input closes (or a signal kills it): a plain thread, blocked in `read`
//! on stdin the whole time (so it costs no CPU), then prints the process's CPU time and exits. The driver
//! measures the CPU time of the load phase alone from `/proc/PID/stat` (see `echo_load --server-pid`); the
//! total printed here includes start-up and is for reference.

use std::io::{Read, Write};
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::Duration;

/// Every server reads into a buffer of this size, and writes back what one read returned (the README's echo
/// loop). Messages are at most 1 KiB, so one read takes a whole message.
pub const BUF_SIZE: usize = 4096;

/// The server's command line: where to listen, and its flags (the arguments that start with `--`).
#[derive(Debug)]
pub struct ServerArgs {
    pub addr: SocketAddr,
    pub flags: Vec<String>,
}

impl ServerArgs {
    /// Whether `--flag` was given.
    pub fn has(&self, flag: &str) -> bool {
        self.flags.iter().any(|f| f == flag)
    }
}

/// Parses `[ADDR | PORT] [--flag..]`; exits with a usage message on anything else, or on a flag that is not
/// in `known`.
pub fn server_args(known: &[&str]) -> ServerArgs {
    let mut addr = SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), 0);
    let mut flags = Vec::new();
    let usage = || -> ! {
        let bin = std::env::args().next().unwrap_or_default();
        eprintln!(
            "usage: {bin} [ADDR | PORT] {}",
            known.iter().map(|f| format!("[{f}]")).collect::<Vec<_>>().join(" ")
        );
        std::process::exit(2)
    };
    for arg in std::env::args().skip(1) {
        if arg.starts_with("--") {
            if !known.contains(&arg.as_str()) {
                usage();
            }
            flags.push(arg);
        } else if let Ok(port) = arg.parse::<u16>() {
            addr.set_port(port);
        } else if let Ok(a) = arg.parse::<SocketAddr>() {
            addr = a;
        } else {
            usage();
        }
    }
    ServerArgs { addr, flags }
}

/// Called once the server listens on `addr`: prints `listening on ADDR` (the driver waits for it) and starts
/// the thread that ends the process when stdin closes, printing `{"server":name,"user_s":..,"system_s":..}`.
pub fn serving(name: &'static str, addr: SocketAddr) {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "listening on {addr}");
    let _ = out.flush();
    drop(out);
    std::thread::Builder::new()
        .name("stdin-watch".into())
        .spawn(move || {
            let mut sink = [0u8; 64];
            let mut stdin = std::io::stdin().lock();
            loop {
                match stdin.read(&mut sink) {
                    Ok(0) => break,
                    Ok(_) => {}
                    Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                    Err(_) => break,
                }
            }
            let cpu = cpu_times();
            let mut out = std::io::stdout().lock();
            let _ = writeln!(
                out,
                r#"{{"server":"{name}","user_s":{:.6},"system_s":{:.6}}}"#,
                cpu.user.as_secs_f64(),
                cpu.system.as_secs_f64()
            );
            let _ = out.flush();
            std::process::exit(0);
        })
        .expect("spawn the stdin watcher");
}

/// CPU time used by a process so far, user and system.
#[derive(Debug, Clone, Copy, Default)]
pub struct CpuTimes {
    pub user: Duration,
    pub system: Duration,
}

impl CpuTimes {
    pub fn total(&self) -> Duration {
        self.user + self.system
    }
}

/// This process's CPU time, every thread included (`getrusage(RUSAGE_SELF)`).
pub fn cpu_times() -> CpuTimes {
    // SAFETY: `rusage` is plain old data, for which all zeroes is a valid value; getrusage only writes into
    // the struct it is given.
    let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: `ru` is a valid, writable `rusage`.
    let rc = unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut ru) };
    if rc != 0 {
        return CpuTimes::default();
    }
    let tv = |t: libc::timeval| Duration::new(t.tv_sec as u64, t.tv_usec as u32 * 1000);
    CpuTimes { user: tv(ru.ru_utime), system: tv(ru.ru_stime) }
}

/// Another process's CPU time so far, every thread included (fields `utime` and `stime` of
/// `/proc/PID/stat`, which the kernel keeps summing to its precise run time), or `None` if it cannot be read.
pub fn proc_cpu_times(pid: u32) -> Option<CpuTimes> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name (field 2) is in parentheses and may hold spaces: count fields after the last ')'.
    let rest = &stat[stat.rfind(')')? + 1..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // After ')': field 3 (state) is index 0, so utime (14) is index 11 and stime (15) index 12.
    let utime: u64 = fields.get(11)?.parse().ok()?;
    let stime: u64 = fields.get(12)?.parse().ok()?;
    let ticks = clock_ticks();
    let from_ticks = |t: u64| Duration::from_nanos(t.saturating_mul(1_000_000_000) / ticks);
    Some(CpuTimes { user: from_ticks(utime), system: from_ticks(stime) })
}

/// Context switches of every thread of a process so far (voluntary, involuntary), from
/// `/proc/PID/task/*/status`; threads that already exited are not counted.
pub fn proc_context_switches(pid: u32) -> Option<(u64, u64)> {
    let mut voluntary = 0;
    let mut involuntary = 0;
    for task in std::fs::read_dir(format!("/proc/{pid}/task")).ok()? {
        let Ok(status) = std::fs::read_to_string(task.ok()?.path().join("status")) else { continue };
        for line in status.lines() {
            let value =
                |l: &str| l.split_whitespace().nth(1).and_then(|v| v.parse::<u64>().ok()).unwrap_or(0);
            if line.starts_with("voluntary_ctxt_switches:") {
                voluntary += value(line);
            } else if line.starts_with("nonvoluntary_ctxt_switches:") {
                involuntary += value(line);
            }
        }
    }
    Some((voluntary, involuntary))
}

/// The machine's CPU time so far, summed over every CPU (the `cpu` line of `/proc/stat`).
#[derive(Debug, Clone, Copy, Default)]
pub struct MachineTimes {
    /// Running anything: user, nice, system, irq and softirq time.
    pub busy: Duration,
    /// Of `busy`, the time in interrupts and softirqs (on loopback, much of the network stack's work; it is
    /// also charged to the process it interrupted, as system time).
    pub irq: Duration,
    /// Time the hypervisor ran something else while this machine's CPUs wanted to run.
    pub steal: Duration,
}

impl MachineTimes {
    pub fn since(&self, earlier: &MachineTimes) -> MachineTimes {
        MachineTimes {
            busy: self.busy.saturating_sub(earlier.busy),
            irq: self.irq.saturating_sub(earlier.irq),
            steal: self.steal.saturating_sub(earlier.steal),
        }
    }
}

/// Reads [`MachineTimes`], or `None` if `/proc/stat` cannot be read.
pub fn machine_times() -> Option<MachineTimes> {
    let stat = std::fs::read_to_string("/proc/stat").ok()?;
    let line = stat.lines().find(|l| l.starts_with("cpu "))?;
    // user nice system idle iowait irq softirq steal guest guest_nice; guest time is already in user.
    let v: Vec<u64> = line.split_whitespace().skip(1).map(|f| f.parse().unwrap_or(0)).collect();
    let at = |i: usize| v.get(i).copied().unwrap_or(0);
    let ticks = clock_ticks();
    let d = |t: u64| Duration::from_nanos(t.saturating_mul(1_000_000_000) / ticks);
    Some(MachineTimes {
        busy: d(at(0) + at(1) + at(2) + at(5) + at(6)),
        irq: d(at(5) + at(6)),
        steal: d(at(7)),
    })
}

fn clock_ticks() -> u64 {
    // SAFETY: sysconf has no preconditions.
    let t = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
    if t > 0 { t as u64 } else { 100 }
}
