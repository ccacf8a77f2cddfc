//! `coro::process` end to end: real children (`sh`, `cat`, `true`, `sleep`), as a coro user runs them.
//!
//! Bounded counts only; the timeout test asserts what the child died of, never how long anything took.

#![cfg(unix)]
#![deny(warnings)]

use coro::io::{BufRead as _, BufReader, Read as _, Write as _};
use coro::process::{Command, Stdio};
use coro_test_support::{HANG, join_all};
use std::io::ErrorKind;
use std::os::unix::process::ExitStatusExt as _;
use std::time::Duration;

#[coro::test(workers = 2)]
fn output_collects_stdout_stderr_and_the_exit_code() {
    let output = Command::new("sh").args(["-c", "echo out; echo err >&2; exit 3"]).output().unwrap();
    assert_eq!(output.stdout, b"out\n");
    assert_eq!(output.stderr, b"err\n");
    assert_eq!(output.status.code(), Some(3));
    assert!(!output.status.success());
}

#[coro::test(workers = 2)]
fn status_runs_to_the_end() {
    assert!(Command::new("true").status().unwrap().success());
    assert_eq!(Command::new("false").status().unwrap().code(), Some(1));
}

#[coro::test(workers = 2)]
fn env_env_clear_and_current_dir_reach_the_child() {
    let dir = std::env::temp_dir().canonicalize().unwrap();
    let output = Command::new("/bin/sh")
        .args(["-c", "echo \"$GREETING:$HOME:$(pwd)\""])
        .env_clear()
        .env("GREETING", "hi")
        .current_dir(&dir)
        .output()
        .unwrap();
    assert_eq!(String::from_utf8(output.stdout).unwrap(), format!("hi::{}\n", dir.display()));
}

#[coro::test(workers = 2)]
fn a_command_runs_again_with_the_same_configuration() {
    let mut command = Command::new("sh");
    command.args(["-c", "echo again"]);
    assert_eq!(command.output().unwrap().stdout, b"again\n");
    // `output` pipes stdout only for itself: `status` after it inherits stdout, as std's does.
    let mut quiet = Command::new("sh");
    quiet.args(["-c", "echo discarded"]).stdout(Stdio::null());
    assert_eq!(quiet.output().unwrap().stdout, b"");
    assert!(quiet.status().unwrap().success());
    assert_eq!(command.output().unwrap().stdout, b"again\n");
}

#[coro::test(workers = 2)]
fn piped_stdin_and_stdout_are_coro_streams() {
    let mut child = Command::new("cat").stdin(Stdio::piped()).stdout(Stdio::piped()).spawn().unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let writer = coro::spawn!(move || -> std::io::Result<()> {
        stdin.write_all(b"alpha\nbeta\n")?;
        stdin.flush()
    }); // stdin dropped at the end: cat sees end of file
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut got = Vec::new();
    while let Some(line) = lines.next_line().unwrap() {
        got.push(line);
    }
    writer.join().unwrap().unwrap();
    assert_eq!(got, ["alpha", "beta"]);
    assert!(child.wait().unwrap().success());
    assert!(child.wait().unwrap().success(), "a second wait returns the same status");
    assert!(child.id() > 0);
}

#[coro::test(workers = 2)]
fn a_program_that_does_not_exist_is_not_found() {
    let err = Command::new("/nonexistent/coro-no-such-program").spawn().unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound);
    let err = Command::new("coro-no-such-program-in-path").output().unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound);
}

#[coro::test(workers = 2)]
fn a_directory_is_not_executable() {
    let err = Command::new("/").spawn().unwrap_err();
    assert_eq!(err.kind(), ErrorKind::PermissionDenied);
}

#[coro::test(workers = 2)]
fn writing_to_a_child_that_exited_is_a_broken_pipe() {
    let mut child = Command::new("true").stdin(Stdio::piped()).spawn().unwrap();
    let mut stdin = child.stdin.take().unwrap();
    assert!(child.wait().unwrap().success()); // the read end closed with the child
    assert_eq!(stdin.write_all(b"anyone?").unwrap_err().kind(), ErrorKind::BrokenPipe);
}

/// 100 MiB through `cat`, written and read concurrently, checked with a checksum.
#[coro::test(workers = 2)]
fn a_hundred_mib_through_cat() {
    const CHUNK: usize = 64 * 1024;
    const CHUNKS: usize = 1600; // 100 MiB
    fn chunk(i: usize) -> Vec<u8> {
        (0..CHUNK).map(|j| (i * 31 + j * 7 + j / 251) as u8).collect()
    }
    fn checksum(sum: u64, bytes: &[u8]) -> u64 {
        bytes.chunks(8).fold(sum, |sum, word| {
            let mut padded = [0u8; 8];
            padded[..word.len()].copy_from_slice(word);
            sum.rotate_left(5) ^ u64::from_le_bytes(padded)
        })
    }
    let mut child = Command::new("cat").stdin(Stdio::piped()).stdout(Stdio::piped()).spawn().unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let writer = coro::spawn!(move || -> std::io::Result<u64> {
        let mut sum = 0;
        for i in 0..CHUNKS {
            let bytes = chunk(i);
            sum = checksum(sum, &bytes);
            stdin.write_all(&bytes)?;
        }
        Ok(sum)
    });
    let mut stdout = child.stdout.take().unwrap();
    let mut buf = vec![0u8; CHUNK];
    let (mut sum, mut total) = (0, 0);
    loop {
        // Fill whole chunks so the checksum's 8-byte words line up with the writer's.
        let mut filled = 0;
        while filled < CHUNK {
            match stdout.read(&mut buf[filled..]).unwrap() {
                0 => break,
                n => filled += n,
            }
        }
        sum = checksum(sum, &buf[..filled]);
        total += filled;
        if filled < CHUNK {
            break;
        }
    }
    assert_eq!(total, CHUNK * CHUNKS);
    assert_eq!(sum, writer.join().unwrap().unwrap());
    assert!(child.wait().unwrap().success());
}

/// The state letter of process `pid` if it is a zombie child of this process.
fn is_our_zombie(pid: u32) -> bool {
    let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
        return false; // gone: reaped
    };
    // `pid (comm) state ppid ...`; comm may hold spaces or parentheses: parse after the last `)`.
    let fields: Vec<&str> = stat[stat.rfind(')').unwrap() + 1..].split_whitespace().collect();
    fields[0] == "Z" && fields[1] == std::process::id().to_string()
}

#[coro::test(workers = 2)]
fn a_thousand_short_children_leave_no_zombie() {
    const TASKS: usize = 50;
    const EACH: usize = 20;
    let tasks = (0..TASKS)
        .map(|_| {
            coro::spawn!(move || {
                let mut pids = Vec::new();
                for _ in 0..EACH {
                    let mut child = Command::new("true").spawn().unwrap();
                    pids.push(child.id());
                    assert!(child.wait().unwrap().success());
                }
                pids
            })
        })
        .collect();
    let pids: Vec<u32> = join_all(tasks).into_iter().flatten().collect();
    assert_eq!(pids.len(), TASKS * EACH);
    let zombies: Vec<u32> = pids.into_iter().filter(|&pid| is_our_zombie(pid)).collect();
    assert!(zombies.is_empty(), "zombies left: {zombies:?}");
}

#[coro::test(workers = 2)]
fn dropped_children_are_reaped_in_the_background() {
    let mut pids = Vec::new();
    for _ in 0..20 {
        let child = Command::new("true").spawn().unwrap();
        pids.push(child.id());
        drop(child); // never waited for
    }
    let killed = Command::new("sleep").arg("1000").kill_on_drop(true).spawn().unwrap();
    pids.push(killed.id());
    drop(killed);
    // Reaping happens on the reactor: wait (bounded) until every one is gone.
    let deadline = std::time::Instant::now() + HANG;
    while pids.iter().any(|&pid| is_our_zombie(pid) || is_running_child(pid)) {
        assert!(std::time::Instant::now() < deadline, "children not reaped: {pids:?}");
        coro::sleep(Duration::from_millis(10));
    }
}

/// Whether `pid` is still a (non-zombie) child of this process.
fn is_running_child(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|stat| {
        let fields: Vec<&str> = stat[stat.rfind(')').unwrap() + 1..].split_whitespace().collect();
        fields[1] == std::process::id().to_string()
    })
}

#[coro::test(workers = 2)]
fn a_child_that_never_exits_is_killed_by_a_timeout() {
    let mut child = Command::new("sleep").arg("1000").spawn().unwrap();
    let waited = coro::timeout!(Duration::from_millis(50), child.wait());
    assert!(waited.is_err(), "sleep 1000 ended early: {waited:?}");
    child.kill().unwrap();
    let status = child.wait().unwrap();
    assert_eq!(status.signal(), Some(libc::SIGKILL));
    child.kill().unwrap(); // killing a reaped child is fine, as in std
}

#[coro::test(workers = 2)]
fn one_childs_stdout_feeds_anothers_stdin() {
    let mut first = Command::new("printf").arg("b\\na\\n").stdout(Stdio::piped()).spawn().unwrap();
    let pipe = Stdio::try_from(first.stdout.take().unwrap()).unwrap();
    let sorted = Command::new("sort").stdin(pipe).output().unwrap();
    assert_eq!(sorted.stdout, b"a\nb\n");
    assert!(first.wait().unwrap().success());
}
