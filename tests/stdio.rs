//! `coro::io::{stdin, stdout, stderr}` end to end, and `write!`/`writeln!` in coroutines.
//!
//! The stdio tests run this test binary again as a child process (`child_entry`, ignored in normal runs,
//! selected with `--ignored --exact` and the `CORO_STDIO_CHILD` variable), with its standard streams
//! connected to pipes, regular files or `/dev/null`, and check what it read and wrote. libtest prints its
//! own lines on the child's stdout too, so the child marks each of its lines with `MARK`.

#![deny(warnings)]

use coro::io::{self, BufRead, Read, Write};
use std::process::{Child, Command, Stdio};

/// Prefix of the lines the child writes (libtest writes the others).
const MARK: &str = "child: ";

#[coro::coroutine]
fn report(mut out: Vec<u8>, n: usize) -> io::Result<Vec<u8>> {
    write!(out, "{n} ")?;
    coro::yield_now();
    writeln!(out, "lines {}", n + 1)?;
    writeln!(out)?;
    Ok(out)
}

fn assert_send<T: Send>(_: &T) {}

fn assert_send_sync_unpin<T: Send + Sync + Unpin>(_: &T) {}

#[test]
fn handles_are_send_sync_and_unpin() {
    assert_send_sync_unpin(&io::stdin());
    assert_send_sync_unpin(&io::stdout());
    assert_send_sync_unpin(&io::stderr());
}

#[test]
fn write_macros_suspend_and_stay_send() {
    let op = report(Vec::new(), 3);
    assert_send(&op);
    assert_eq!(coro::block_on(op).unwrap(), b"3 lines 4\n\n");
}

/// Whether `fd` of this process is in blocking mode.
fn is_blocking(fd: i32) -> bool {
    // SAFETY: F_GETFL reads the flags of an fd; an invalid one is an error return, not UB.
    let flags = unsafe { libc::fcntl(fd, libc::F_GETFL) };
    flags != -1 && flags & libc::O_NONBLOCK == 0
}

/// What the child does, by `CORO_STDIO_CHILD`.
#[coro::coroutine]
fn child(mode: String) -> io::Result<()> {
    let mut out = io::stdout();
    let mut err = io::stderr();
    match mode.as_str() {
        "lines" => {
            // Echo every line of stdin, then count them on stderr.
            let mut lines = io::stdin().lines();
            let mut count = 0;
            while let Some(line) = lines.next_line()? {
                writeln!(out, "{MARK}{line}")?;
                count += 1;
            }
            writeln!(err, "{MARK}{count} lines")?;
        }
        "read_line" => {
            let stdin = io::stdin();
            let mut first = String::new();
            stdin.read_line(&mut first)?;
            let mut second = String::new();
            stdin.lock().read_line(&mut second)?; // through `BufRead` on the lock
            let mut rest = String::new();
            stdin.read_to_string(&mut rest)?;
            writeln!(out, "{MARK}first={first:?} second={second:?} rest={rest:?}")?;
        }
        "bytes" => {
            // Read everything with `read`, and report a checksum.
            let mut stdin = io::stdin();
            let mut buf = vec![0u8; 65536];
            let (mut total, mut sum) = (0u64, 0u64);
            loop {
                let n = stdin.read(&mut buf)?;
                if n == 0 {
                    break;
                }
                total += n as u64;
                sum = buf[..n].iter().fold(sum, |s, &b| s.wrapping_mul(31).wrapping_add(u64::from(b)));
            }
            writeln!(out, "{MARK}{total} {sum}")?;
        }
        "second_runtime" => {
            // The first line was read by another runtime, now shut down: stdin moves to this one's reactor.
            let mut rest = String::new();
            io::stdin().read_to_string(&mut rest)?;
            writeln!(out, "{MARK}rest={rest:?}")?;
        }
        "closed" => {
            // Open stdout (through the reactor: its reader is still there), say so, and wait for the parent
            // to close that reader and then stdin.
            writeln!(out, "{MARK}started")?;
            writeln!(err, "{MARK}ready")?;
            io::stdin().read_to_string(&mut String::new())?;
            // Stdout's reader is gone: write until the error, then name it on stderr.
            let line = [b'x'; 1024];
            let error = loop {
                if let Err(error) = out.write_all(&line) {
                    break error;
                }
            };
            writeln!(err, "{MARK}{:?}", error.kind())?;
        }
        "futures_io" => {
            // Through the futures-io traits: stdin with `read_to_end`, a checksum to stdout and the byte
            // count to stderr with `write_all`. A task polls its `read_to_end` while this coroutine holds
            // the lock for the first line: it waits, and gets what the lock's buffer read ahead.
            use futures_lite::io::{AsyncReadExt, AsyncWriteExt};
            let mut lock = io::stdin().lock();
            let mut input = Vec::new();
            lock.read_until(b'\n', &mut input)?;
            let rest = coro::spawn(async {
                let mut rest = Vec::new();
                AsyncReadExt::read_to_end(&mut io::stdin(), &mut rest).await.map(|_| rest)
            });
            coro::yield_now();
            assert!(!rest.is_finished(), "read_to_end went past the lock");
            drop(lock);
            input.extend(rest.join().expect("the reading task panicked")?);
            AsyncWriteExt::write_all(&mut out, format!("{MARK}{}\n", checksum(&input)).as_bytes()).await?;
            AsyncWriteExt::write_all(&mut err, format!("{MARK}{} bytes\n", input.len()).as_bytes()).await?;
            AsyncWriteExt::flush(&mut out).await?;
            AsyncWriteExt::close(&mut err).await?;
        }
        other => panic!("unknown child mode {other}"),
    }
    out.flush()?;
    // The process's own fds were never made non-blocking.
    writeln!(err, "{MARK}blocking {}", is_blocking(0) && is_blocking(1) && is_blocking(2))?;
    err.flush()
}

#[coro::coroutine]
fn read_one_line() -> io::Result<String> {
    let mut line = String::new();
    io::stdin().read_line(&mut line)?;
    Ok(line)
}

/// The child's entry point: does nothing unless run as the child.
#[test]
#[ignore = "the child process of the stdio tests, run by them"]
fn child_entry() {
    if let Ok(mode) = std::env::var("CORO_STDIO_CHILD") {
        if mode == "second_runtime" {
            let first = coro::Runtime::builder().workers(1).build().unwrap();
            let line = first.block_on(read_one_line()).unwrap();
            drop(first);
            assert_eq!(line, "from the first runtime\n");
            eprintln!("{MARK}first read"); // the parent sends the rest only now: it is not in the buffer
        }
        let runtime = coro::Runtime::builder().workers(2).build().unwrap();
        // Spawned, so the coroutine must be `Send` with its stdio operations held across suspensions.
        runtime.block_on(runtime.spawn(child(mode)).join()).unwrap().unwrap();
    }
}

/// This test binary as a child in `mode`; stdin, stdout and stderr are set by the caller.
fn child_command(mode: &str) -> Command {
    let mut command = Command::new(std::env::current_exe().unwrap());
    command.args(["--ignored", "--exact", "child_entry", "--nocapture", "--test-threads=1"]);
    command.env("CORO_STDIO_CHILD", mode);
    command
}

/// The child's marked lines (the first one follows libtest's `test child_entry ... ` on its line).
fn marked(output: &[u8]) -> Vec<String> {
    let text = String::from_utf8_lossy(output);
    text.lines().filter_map(|l| l.find(MARK).map(|at| l[at + MARK.len()..].to_string())).collect()
}

/// Starts the child with its three standard streams piped.
fn spawn_piped(mode: &str) -> Child {
    child_command(mode).stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap()
}

/// Reads `stderr` up to the child's next marked line, and returns that line.
fn next_marked_line(stderr: &mut impl std::io::BufRead) -> String {
    let mut line = String::new();
    while !line.contains(MARK) {
        line.clear();
        assert_ne!(stderr.read_line(&mut line).unwrap(), 0, "the child ended early");
    }
    line
}

/// Runs the child with `input` piped to it; returns its marked stdout and stderr lines.
fn run_piped(mode: &str, input: Vec<u8>) -> (Vec<String>, Vec<String>) {
    let mut child = spawn_piped(mode);
    let mut stdin = child.stdin.take().unwrap();
    let writer = std::thread::spawn(move || std::io::Write::write_all(&mut stdin, &input));
    let output = child.wait_with_output().unwrap();
    writer.join().unwrap().unwrap();
    assert!(output.status.success(), "child failed: {}", String::from_utf8_lossy(&output.stderr));
    (marked(&output.stdout), marked(&output.stderr))
}

#[test]
fn lines_from_a_pipe_to_a_pipe() {
    let input: String = (0..2000).map(|i| format!("line {i}\n")).collect();
    let (out, err) = run_piped("lines", input.into_bytes());
    assert_eq!(out, (0..2000).map(|i| format!("line {i}")).collect::<Vec<_>>());
    assert_eq!(err, ["2000 lines", "blocking true"]);
}

#[test]
fn read_line_then_read_to_string() {
    let (out, err) = run_piped("read_line", b"first line\r\nsecond\nthird".to_vec());
    assert_eq!(out, [r#"first="first line\r\n" second="second\n" rest="third""#]);
    assert_eq!(err, ["blocking true"]);
}

#[test]
fn stdin_moves_to_the_next_runtime() {
    let mut child = spawn_piped("second_runtime");
    let mut stdin = child.stdin.take().unwrap();
    std::io::Write::write_all(&mut stdin, b"from the first runtime\n").unwrap();
    let mut stderr = std::io::BufReader::new(child.stderr.take().unwrap());
    let line = next_marked_line(&mut stderr);
    assert_eq!(marked(line.as_bytes()), ["first read"]);
    // Read through the second runtime's reactor: the registration moved with it.
    std::io::Write::write_all(&mut stdin, b"and the second\n").unwrap();
    drop(stdin);
    let mut rest = Vec::new();
    std::io::Read::read_to_end(&mut stderr, &mut rest).unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&rest));
    assert_eq!(marked(&output.stdout), [r#"rest="and the second\n""#]);
    assert_eq!(marked(&rest), ["blocking true"]);
}

fn checksum(data: &[u8]) -> u64 {
    data.iter().fold(0u64, |s, &b| s.wrapping_mul(31).wrapping_add(u64::from(b)))
}

#[test]
fn megabytes_through_a_pipe() {
    let data: Vec<u8> = (0..8 * 1024 * 1024u32).map(|i| (i % 253) as u8).collect();
    let expected = format!("{} {}", data.len(), checksum(&data));
    let (out, _) = run_piped("bytes", data);
    assert_eq!(out, [expected]);
}

/// Input that spans many reads, and its expected checksum line.
fn futures_io_input() -> (Vec<u8>, String) {
    let data: Vec<u8> = (0..3 * 1024 * 1024u32).map(|i| (i % 251) as u8).collect();
    let expected = checksum(&data).to_string();
    (data, expected)
}

#[test]
fn futures_io_over_pipes() {
    let (data, expected) = futures_io_input();
    let len = data.len();
    let (out, err) = run_piped("futures_io", data);
    assert_eq!(out, [expected]);
    assert_eq!(err, [format!("{len} bytes"), "blocking true".to_string()]);
}

#[test]
fn futures_io_over_regular_files() {
    let dir = std::env::temp_dir().join(format!("coro-stdio-futures-io-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let (input, output, errors) = (dir.join("in"), dir.join("out"), dir.join("err"));
    let (data, expected) = futures_io_input();
    std::fs::write(&input, &data).unwrap();
    let status = child_command("futures_io")
        .stdin(std::fs::File::open(&input).unwrap())
        .stdout(std::fs::File::create(&output).unwrap())
        .stderr(std::fs::File::create(&errors).unwrap())
        .status()
        .unwrap();
    let err = std::fs::read(&errors).unwrap();
    assert!(status.success(), "{}", String::from_utf8_lossy(&err));
    assert_eq!(marked(&std::fs::read(&output).unwrap()), [expected]);
    assert_eq!(marked(&err), [format!("{} bytes", data.len()), "blocking true".to_string()]);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn regular_files_go_through_the_pool() {
    let dir = std::env::temp_dir().join(format!("coro-stdio-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let (input, output) = (dir.join("in"), dir.join("out"));
    let text: String = (0..500).map(|i| format!("row {i}\n")).collect();
    std::fs::write(&input, &text).unwrap();
    let status = child_command("lines")
        .stdin(std::fs::File::open(&input).unwrap())
        .stdout(std::fs::File::create(&output).unwrap())
        .stderr(Stdio::piped())
        .output()
        .unwrap();
    assert!(status.status.success(), "{}", String::from_utf8_lossy(&status.stderr));
    let out = marked(&std::fs::read(&output).unwrap());
    assert_eq!(out, (0..500).map(|i| format!("row {i}")).collect::<Vec<_>>());
    assert_eq!(marked(&status.stderr), ["500 lines", "blocking true"]);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn dev_null_is_an_empty_input() {
    let output = child_command("lines").stdin(Stdio::null()).output().unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    assert_eq!(marked(&output.stderr), ["0 lines", "blocking true"]);
}

#[test]
fn a_closed_stdout_is_a_broken_pipe() {
    let mut child = spawn_piped("closed");
    let mut stderr = std::io::BufReader::new(child.stderr.take().unwrap());
    let line = next_marked_line(&mut stderr);
    assert_eq!(marked(line.as_bytes()), ["ready"]);
    drop(child.stdout.take()); // stdout's reader goes away,
    drop(child.stdin.take()); // then the child is told to write
    let mut rest = Vec::new();
    std::io::Read::read_to_end(&mut stderr, &mut rest).unwrap();
    // libtest itself then fails to print the test's result on the closed stdout: the status is not checked.
    child.wait().unwrap();
    assert_eq!(marked(&rest), ["BrokenPipe", "blocking true"]);
}

#[test]
fn lines_from_a_terminal() {
    use std::os::fd::{FromRawFd, OwnedFd};
    let (mut master, mut slave) = (-1, -1);
    // SAFETY: openpty writes two fds into the integers it is given; the other arguments may be null.
    let rc = unsafe {
        libc::openpty(&mut master, &mut slave, std::ptr::null_mut(), std::ptr::null(), std::ptr::null())
    };
    if rc != 0 {
        return; // no pseudo-terminals here (no /dev/pts): nothing to try this on
    }
    // SAFETY: openpty succeeded, so both fds are open and owned by nobody else.
    let (master, slave) = unsafe { (std::fs::File::from_raw_fd(master), OwnedFd::from_raw_fd(slave)) };
    let child = child_command("lines")
        .stdin(Stdio::from(slave))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Canonical mode: two lines, then ^D at the start of a line, which reads as the end of input.
    std::io::Write::write_all(&mut &master, b"typed one\ntyped two\n\x04").unwrap();
    let output = child.wait_with_output().unwrap();
    drop(master);
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    assert_eq!(marked(&output.stdout), ["typed one", "typed two"]);
    assert_eq!(marked(&output.stderr), ["2 lines", "blocking true"]);
}
