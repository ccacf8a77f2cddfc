//! `xargs -P` as blocking code: runs a program once per line of stdin, a few at a time, and appends what
//! each run printed to a file; Ctrl-C stops it cleanly.
//!
//! ```sh
//! seq 10 | cargo run --example pipeline -- results.txt echo hello   # runs `echo hello 1`, ..., `echo hello 10`
//! PIPELINE_JOBS=8 cargo run --example pipeline -- results.txt ping -c1 < hosts.txt
//! ```
//!
//! Each result is one line, `LINE<TAB>STATUS<TAB>OUTPUT` (the run's stdout, trimmed, newlines as spaces), in
//! the order the runs finish. `PIPELINE_JOBS` runs (default 4) go at once: that many worker coroutines take
//! lines from one bounded channel, each running its child with `coro::process`, whose `output()` suspends
//! the worker, never a thread. On Ctrl-C (`SIGINT`) the workers are cancelled, which kills their children
//! (`kill_on_drop`), the results already in are kept, and the program exits with status 130, as a shell does.
//!
//! Every wait is a coroutine's: a feeder coroutine reads stdin line by line (`coro::io::stdin`) into the
//! channel, and the results go to a `coro::fs::File` opened for appending, whose writes are coalesced on the
//! blocking pool and flushed before the program exits.

use coro::chan;
use coro::fs::OpenOptions;
use coro::io::Write;
use coro::process::{Command, Output};
use coro::signal::{Signal, SignalKind};
use std::io;
use std::process::ExitCode;
use std::sync::Arc;

/// Runs `command` with `line` as its last argument, to its end.
#[coro::coroutine]
fn run(command: &[String], line: &str) -> io::Result<Output> {
    let mut child = Command::new(&command[0]);
    child.args(&command[1..]).arg(line).kill_on_drop(true);
    child.output()
}

/// Takes lines until the channel closes, runs `command` for each, and sends a report line per run.
#[coro::coroutine]
fn work(lines: chan::Receiver<String>, command: Arc<Vec<String>>, reports: chan::Sender<String>) {
    while let Ok(line) = lines.recv() {
        let report = match run(&command, &line) {
            Ok(output) => {
                let stdout = String::from_utf8_lossy(&output.stdout);
                let stdout = stdout.trim().replace('\n', " ");
                format!("{line}\t{}\t{stdout}\n", output.status)
            }
            Err(err) => format!("{line}\terror: {err}\t\n"),
        };
        if reports.send(report).is_err() {
            return;
        }
    }
}

/// Sends the lines of stdin into `lines` until stdin ends (or is unreadable) or every worker is gone.
#[coro::coroutine]
fn feed(lines: chan::Sender<String>) {
    let mut stdin = coro::io::stdin().lines();
    while let Ok(Some(line)) = stdin.next_line() {
        if lines.send(line).is_err() {
            return;
        }
    }
}

#[coro::main]
fn main() -> io::Result<ExitCode> {
    let mut args = std::env::args().skip(1);
    let path = args.next();
    let command: Vec<String> = args.collect();
    let (Some(path), false) = (path, command.is_empty()) else {
        eprintln!(
            "usage: pipeline OUTPUT PROGRAM [ARGS...]   (runs PROGRAM ARGS... LINE for each line of stdin)"
        );
        return Ok(ExitCode::from(2));
    };
    let jobs = match std::env::var("PIPELINE_JOBS") {
        Ok(jobs) => jobs.parse().map_err(|_| io::Error::other("PIPELINE_JOBS: not a number"))?,
        Err(_) => 4,
    };
    let mut file = OpenOptions::new().create(true).append(true).open(&path)?;
    // Listening before any work starts: from here on Ctrl-C is ours to handle.
    let mut interrupts = Signal::new(SignalKind::interrupt())?;
    eprintln!("pipeline: {jobs} jobs, appending to {path}");

    let (lines_tx, lines) = chan::bounded(jobs);
    coro::spawn!(feed(lines_tx));
    let (reports_tx, reports) = chan::bounded(jobs);
    let command = Arc::new(command);
    let workers: Vec<_> =
        (0..jobs).map(|_| coro::spawn!(work(lines.clone(), command.clone(), reports_tx.clone()))).collect();
    drop(reports_tx); // the channel closes when the last worker ends

    let mut done = 0;
    loop {
        coro::select! {
            report = reports.recv() => match report {
                Ok(report) => {
                    file.write_all(report.as_bytes())?;
                    done += 1;
                }
                Err(_closed) => break, // stdin ended and every run is reported
            },
            _ = interrupts.recv() => {
                for worker in &workers {
                    worker.abort(); // drops its running `output()`: the child is killed and reaped
                }
                file.flush()?;
                eprintln!("pipeline: interrupted after {done} runs");
                return Ok(ExitCode::from(130));
            },
        }
    }
    file.flush()?;
    eprintln!("pipeline: {done} runs");
    Ok(ExitCode::SUCCESS)
}
