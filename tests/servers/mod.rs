//! Starting the example programs from tests (shared by `tests/examples.rs`, `faults.rs`, `graceful.rs` and
//! `pipeline.rs`).
//!
//! The examples are built once per test binary (`cargo build --example ...` with the test's profile and
//! target directory; cargo reports where each binary is), started on `127.0.0.1:0`, and asked where they
//! listen: each prints `... listening on ADDR` first, so there is no port to guess and no race. A guard ends
//! each server when its test ends. Every socket has a read timeout, so a broken server fails a test instead of
//! hanging it. `/proc/PID` tells what a server holds: its open descriptors and its resident memory.

#![allow(dead_code, reason = "each test binary uses a part of the harness")]

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, ChildStdout, Command, Stdio};
use std::sync::OnceLock;
use std::time::Duration;

const EXAMPLES: [&str; 11] = [
    "echo",
    "http",
    "redis",
    "chat",
    "proxy",
    "quicksort",
    "pipeline",
    "hyper",
    "hyper_client",
    "https",
    "tls_echo",
];

/// The example binaries, built once for the whole test binary: name to path.
pub fn examples() -> &'static HashMap<String, PathBuf> {
    static BUILT: OnceLock<HashMap<String, PathBuf>> = OnceLock::new();
    BUILT.get_or_init(|| {
        // This test runs from `TARGET/PROFILE/deps/`; build the examples with the same profile there.
        let exe = std::env::current_exe().expect("the test binary's path");
        let profile_dir = exe.parent().and_then(|deps| deps.parent()).expect("TARGET/PROFILE/deps/test-*");
        let profile = match profile_dir.file_name().and_then(|name| name.to_str()) {
            Some("debug") => "dev",
            Some(other) => other,
            None => panic!("unexpected test binary location {exe:?}"),
        };
        let mut cargo = Command::new(env!("CARGO"));
        cargo
            .args(["build", "--message-format=json-render-diagnostics", "--profile", profile])
            .arg("--manifest-path")
            .arg(concat!(env!("CARGO_MANIFEST_DIR"), "/Cargo.toml"))
            .env("CARGO_TARGET_DIR", profile_dir.parent().expect("TARGET"))
            .stdout(Stdio::piped());
        for name in EXAMPLES {
            cargo.args(["--example", name]);
        }
        let output = cargo.output().expect("running cargo");
        assert!(output.status.success(), "building the examples failed (cargo's messages are above)");
        let mut built = HashMap::new();
        for line in output.stdout.split(|&b| b == b'\n').filter(|line| !line.is_empty()) {
            let message: serde_json::Value = serde_json::from_slice(line).expect("cargo's JSON messages");
            if let (Some(name), Some(path)) =
                (message["target"]["name"].as_str(), message["executable"].as_str())
            {
                built.insert(name.to_string(), PathBuf::from(path));
            }
        }
        for name in EXAMPLES {
            assert!(built.contains_key(name), "cargo did not report the `{name}` example's binary");
        }
        built
    })
}

/// A child process, ended on drop with SIGTERM: `timeout`, which runs the system clients, passes it on to
/// the client (a SIGKILL would leave the client running, orphaned).
pub struct Process(pub Child);

impl Drop for Process {
    fn drop(&mut self) {
        if let Ok(pid) = libc::pid_t::try_from(self.0.id()) {
            // SAFETY: kill(2) takes plain integers and touches no memory of ours; the pid is our child's,
            // which has not been waited for yet, so it cannot have been reused.
            unsafe { libc::kill(pid, libc::SIGTERM) };
        }
        let _ = self.0.wait();
    }
}

/// A running example server, ended on drop.
pub struct Server {
    process: Process,
    pub addr: String,
    /// The line that said where it listens (some say more: the TLS examples name their certificate).
    pub first_line: String,
    /// Kept open: a server printing to a closed pipe would fail.
    stdout: BufReader<ChildStdout>,
}

impl Server {
    /// Starts `example` with `args` (the listen address `127.0.0.1:0` first) on 2 workers, and waits for its
    /// `listening on ADDR` line.
    pub fn start(example: &str, args: &[&str]) -> Server {
        Server::start_with(example, args, &[])
    }

    /// [`start`](Self::start) with more environment variables (the servers' settings).
    pub fn start_with(example: &str, args: &[&str], env: &[(&str, &str)]) -> Server {
        let mut command = Command::new(&examples()[example]);
        command.args(args).envs(env.iter().copied());
        Server::spawn(example, command)
    }

    /// Starts `command` (an example, possibly under a wrapper such as valgrind) on 2 workers, and waits for
    /// its `listening on ADDR` line.
    pub fn spawn(example: &str, mut command: Command) -> Server {
        // Standard error is discarded: the servers report every connection that fails there, and the fault
        // tests fail thousands on purpose. A server's failures show in what the tests check.
        let mut child = command
            .env("CORO_WORKERS", "2")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|err| panic!("starting the {example} example: {err}"));
        let mut stdout = BufReader::new(child.stdout.take().expect("piped stdout"));
        // The guard first, so the child is ended whatever happens next.
        let process = Process(child);
        let mut line = String::new();
        stdout.read_line(&mut line).expect("reading the server's first line");
        let addr = line.split("listening on ").nth(1).and_then(|rest| rest.split([',', '\n']).next());
        let addr =
            addr.unwrap_or_else(|| panic!("{example} did not say where it listens: {line:?}")).to_string();
        Server { process, addr, first_line: line, stdout }
    }

    /// Ends the server (SIGTERM) and waits for it; its exit status.
    pub fn stop(mut self) -> std::process::ExitStatus {
        // SAFETY: as in `Process::drop`: plain integers, our own child not yet waited for.
        unsafe { libc::kill(self.pid() as libc::pid_t, libc::SIGTERM) };
        self.process.0.wait().expect("waiting for the server")
    }

    /// Ends the server (SIGTERM) and waits for it; its exit status and what it printed after its first line.
    pub fn stop_and_read_output(mut self) -> (std::process::ExitStatus, String) {
        // SAFETY: as in `Process::drop`: plain integers, our own child not yet waited for.
        unsafe { libc::kill(self.pid() as libc::pid_t, libc::SIGTERM) };
        let mut output = String::new();
        self.stdout.read_to_string(&mut output).expect("reading the server's output");
        (self.process.0.wait().expect("waiting for the server"), output)
    }

    pub fn port(&self) -> &str {
        self.addr.rsplit(':').next().expect("HOST:PORT")
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    pub fn pid(&self) -> u32 {
        self.process.0.id()
    }

    /// How many descriptors the server has open.
    pub fn open_fds(&self) -> usize {
        std::fs::read_dir(format!("/proc/{}/fd", self.pid())).expect("the server's /proc/PID/fd").count()
    }

    /// The server's resident memory, in bytes.
    pub fn rss(&self) -> u64 {
        let status =
            std::fs::read_to_string(format!("/proc/{}/status", self.pid())).expect("/proc/PID/status");
        let kib = status.lines().find_map(|line| line.strip_prefix("VmRSS:")).expect("VmRSS");
        1024 * kib.trim().trim_end_matches("kB").trim().parse::<u64>().expect("VmRSS in kB")
    }

    /// The server's peak resident memory so far, in bytes.
    pub fn peak_rss(&self) -> u64 {
        let status =
            std::fs::read_to_string(format!("/proc/{}/status", self.pid())).expect("/proc/PID/status");
        let kib = status.lines().find_map(|line| line.strip_prefix("VmHWM:")).expect("VmHWM");
        1024 * kib.trim().trim_end_matches("kB").trim().parse::<u64>().expect("VmHWM in kB")
    }

    /// Waits until the server's open descriptors come down to `expected` (closing is asynchronous: the
    /// server sees each end of stream on its own time), polling for at most 30 s; the last count.
    pub fn wait_for_fds(&self, expected: usize) -> usize {
        let deadline = std::time::Instant::now() + Duration::from_secs(30);
        loop {
            let open = self.open_fds();
            if open <= expected || std::time::Instant::now() > deadline {
                return open;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

/// A plain TCP client with a read timeout, so a server that does not answer fails the test.
pub fn connect(addr: &str) -> TcpStream {
    let stream = TcpStream::connect(addr).expect("connecting to the example");
    stream.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    stream
}

/// Sends `request` on a new connection and reads until the server closes it.
pub fn send_and_read_to_end(addr: &str, request: &[u8]) -> String {
    let mut stream = connect(addr);
    stream.write_all(request).unwrap();
    let mut response = Vec::new();
    stream.read_to_end(&mut response).expect("the server closes the connection");
    String::from_utf8_lossy(&response).into_owned()
}

/// A connection of the Redis client library to a `redis` example, with a read timeout.
pub fn redis_connection(redis: &Server) -> redis::Connection {
    let client = redis::Client::open(format!("redis://{}/", redis.addr)).expect("a redis:// address");
    let connection = client.get_connection().expect("connecting to the example");
    connection.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    connection
}

/// Reads exactly `expected.len()` bytes and checks them.
pub fn expect_reply(stream: &mut TcpStream, expected: &str) {
    let mut reply = vec![0; expected.len()];
    stream.read_exact(&mut reply).expect("a reply");
    assert_eq!(String::from_utf8_lossy(&reply), expected);
}

/// Raises this process's soft limit on open files to its hard limit (the servers it starts inherit it);
/// returns the new limit.
pub fn raise_open_file_limit() -> u64 {
    let mut limit = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
    // SAFETY: `getrlimit` and `setrlimit` read and write the `rlimit` we own; no other memory is touched.
    unsafe {
        assert_eq!(libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit), 0);
        limit.rlim_cur = limit.rlim_max;
        assert_eq!(libc::setrlimit(libc::RLIMIT_NOFILE, &limit), 0);
    }
    limit.rlim_cur
}
