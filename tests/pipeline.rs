//! `examples/pipeline.rs` end to end: the built example fed on stdin, and stopped with `SIGINT`.
//!
//! The example is built once, with the example servers (`tests/servers`).
//! Waits for a condition poll it with a deadline ([`HANG`]), so a broken example fails instead of hanging.

#![cfg(unix)]

mod servers;

use std::io::{BufRead as _, BufReader, Write as _};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const HANG: Duration = Duration::from_secs(30);

/// The example's binary, built once with the servers' (`tests/servers`).
fn pipeline() -> &'static PathBuf {
    &servers::examples()["pipeline"]
}

/// A fresh output file path.
fn output_path(name: &str) -> PathBuf {
    let path = std::env::temp_dir().join(format!("coro-pipeline-{}-{name}", std::process::id()));
    let _ = std::fs::remove_file(&path);
    path
}

/// Waits for `child` to exit, for at most [`HANG`].
fn wait(child: &mut Child) -> std::process::ExitStatus {
    let deadline = Instant::now() + HANG;
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        assert!(Instant::now() < deadline, "the pipeline did not exit");
        std::thread::sleep(Duration::from_millis(10));
    }
}

#[test]
fn every_line_runs_once_and_its_result_is_appended() {
    let out = output_path("lines");
    std::fs::write(&out, "kept\n").unwrap(); // appended to, not truncated
    let mut child = Command::new(pipeline())
        .arg(&out)
        .args(["echo", "run"])
        .env("PIPELINE_JOBS", "3")
        .stdin(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let input: String = (1..=40).map(|i| format!("{i}\n")).collect();
    child.stdin.take().unwrap().write_all(input.as_bytes()).unwrap(); // then closed: end of input
    assert!(wait(&mut child).success());
    let written = std::fs::read_to_string(&out).unwrap();
    let mut lines: Vec<&str> = written.lines().collect();
    assert_eq!(lines.remove(0), "kept");
    lines.sort_by_key(|line| line.split('\t').next().unwrap().parse::<u32>().unwrap());
    let expected: Vec<String> = (1..=40).map(|i| format!("{i}\texit status: 0\trun {i}")).collect();
    assert_eq!(lines, expected);
    std::fs::remove_file(out).unwrap();
}

/// The pids of `parent`'s children, from `/proc`.
fn children_of(parent: u32) -> Vec<u32> {
    std::fs::read_dir("/proc")
        .unwrap()
        .filter_map(|entry| entry.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| {
            let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
            let after_comm = stat.rfind(')').map_or("", |i| &stat[i + 1..]);
            after_comm.split_whitespace().nth(1) == Some(&parent.to_string())
        })
        .collect()
}

/// Whether `pid` is still running (neither gone nor a zombie).
fn is_running(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|stat| {
        stat.rfind(')').is_some_and(|i| stat[i + 1..].split_whitespace().next() != Some("Z"))
    })
}

#[test]
fn ctrl_c_stops_it_and_kills_the_running_children() {
    let out = output_path("interrupted");
    let mut child = Command::new(pipeline())
        .arg(&out)
        .arg("sleep")
        .env("PIPELINE_JOBS", "2")
        .stdin(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    let mut banner = String::new();
    stderr.read_line(&mut banner).unwrap(); // printed once it listens for SIGINT
    assert!(banner.starts_with("pipeline: 2 jobs"), "{banner:?}");
    let mut stdin = child.stdin.take().unwrap(); // kept open: only Ctrl-C ends the run
    stdin.write_all(b"1000\n1000\n1000\n").unwrap();
    let deadline = Instant::now() + HANG;
    let sleepers = loop {
        let sleepers = children_of(child.id());
        if sleepers.len() == 2 {
            break sleepers; // two jobs at once, the third line waits
        }
        assert!(Instant::now() < deadline, "the jobs did not start: {sleepers:?}");
        std::thread::sleep(Duration::from_millis(10));
    };
    // SAFETY: `kill` takes plain integers; the pid is our child's, not yet waited for.
    assert_eq!(unsafe { libc::kill(child.id() as libc::pid_t, libc::SIGINT) }, 0);
    let status = wait(&mut child);
    assert_eq!(status.code(), Some(130), "{status}");
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut stderr, &mut rest).unwrap();
    assert!(rest.contains("interrupted after 0 runs"), "{rest:?}");
    // Killed with SIGKILL before the pipeline exited; the kernel may take a moment to finish them.
    while sleepers.iter().any(|&pid| is_running(pid)) {
        assert!(Instant::now() < deadline, "children left running: {sleepers:?}");
        std::thread::sleep(Duration::from_millis(10));
    }
    let _ = std::fs::remove_file(out);
}
