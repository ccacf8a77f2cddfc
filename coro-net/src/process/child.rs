//! [`Child`]: a running child process, its exit wait on the reactor, and the background reaping of the
//! children dropped before they were waited for.

use super::pipe::{ChildStderr, ChildStdin, ChildStdout};
use super::{ExitStatus, Output};
use crate::io::{Async, Read};
use crate::reactor::lock;
use crate::signal::{Signal, SignalKind};
use std::fmt;
use std::io;
use std::os::fd::{FromRawFd, OwnedFd};
use std::sync::Mutex;

/// A spawned child process, as [`std::process::Child`]: its piped streams, its pid, and a
/// [`wait`](Child::wait) that suspends.
///
/// Dropping it before it was reaped does not kill it (unless the command set
/// [`kill_on_drop`](super::Command::kill_on_drop)) and leaves no zombie: it is reaped in the background.
pub struct Child {
    /// The child's stdin, if piped; taken and dropped by [`wait`](Child::wait).
    pub stdin: Option<ChildStdin>,
    /// The child's stdout, if piped.
    pub stdout: Option<ChildStdout>,
    /// The child's stderr, if piped.
    pub stderr: Option<ChildStderr>,
    std: std::process::Child,
    /// Readable once the child has exited; `None` where the kernel has no pidfd (`SIGCHLD` then).
    pidfd: Option<Async<OwnedFd>>,
    kill_on_drop: bool,
}

impl Child {
    pub(super) fn spawn(command: &mut std::process::Command, kill_on_drop: bool) -> io::Result<Child> {
        reap_orphans();
        let std = command.spawn()?;
        let mut child = Child {
            stdin: None,
            stdout: None,
            stderr: None,
            pidfd: None,
            // Until the pipes are registered: a failure below must not leave the child running unseen.
            kill_on_drop: true,
            std,
        };
        child.stdin = child.std.stdin.take().map(ChildStdin::new).transpose()?;
        child.stdout = child.std.stdout.take().map(ChildStdout::new).transpose()?;
        child.stderr = child.std.stderr.take().map(ChildStderr::new).transpose()?;
        child.pidfd = pidfd_open(child.id())?.map(Async::new).transpose()?;
        child.kill_on_drop = kill_on_drop;
        Ok(child)
    }

    /// The child's process id.
    pub fn id(&self) -> u32 {
        self.std.id()
    }

    /// Kills the child (`SIGKILL`), as std's `kill`: `Ok` if it has already exited. Does not wait for it:
    /// [`wait`](Child::wait) does.
    pub fn kill(&mut self) -> io::Result<()> {
        self.std.kill()
    }

    /// The exit status if the child has exited (reaping it), `None` if it still runs; never suspends.
    pub fn try_wait(&mut self) -> io::Result<Option<ExitStatus>> {
        self.std.try_wait() // std keeps the status once reaped
    }

    /// Closes the child's stdin (so a child reading it sees end of file), then suspends until the child
    /// exits, and returns its status. Called again, returns the same status.
    #[coro_macros::coroutine(crate = ::coro_core)]
    pub fn wait(&mut self) -> io::Result<ExitStatus> {
        drop(self.stdin.take());
        if let Some(status) = self.try_wait()? {
            return Ok(status);
        }
        let Child { std, pidfd, .. } = self;
        match pidfd {
            Some(pidfd) => pidfd.read_with(|_| std.try_wait()?.ok_or_else(would_block)),
            None => self.wait_for_sigchld(),
        }
    }

    /// Without a pidfd: checks the child after every `SIGCHLD` (listening before the first check, so an
    /// exit in between is not missed).
    #[coro_macros::coroutine(crate = ::coro_core)]
    fn wait_for_sigchld(&mut self) -> io::Result<ExitStatus> {
        let mut sigchld = Signal::new(SignalKind::child())?;
        loop {
            if let Some(status) = self.try_wait()? {
                return Ok(status);
            }
            reap_orphans();
            if sigchld.recv().is_none() {
                return Err(io::Error::other("the coro runtime shut down"));
            }
        }
    }

    /// Waits for the child to exit while collecting all of its stdout and stderr (each read concurrently,
    /// so a child filling one pipe cannot block on it), as std's `wait_with_output`.
    #[coro_macros::coroutine(crate = ::coro_core)]
    pub fn wait_with_output(mut self) -> io::Result<Output> {
        drop(self.stdin.take());
        let (stdout, stderr) = (self.stdout.take(), self.stderr.take());
        let reads = (coro_core::nowait!(read_all(stdout)), coro_core::nowait!(read_all(stderr)));
        let (stdout, stderr) = futures_lite::future::zip(reads.0, reads.1).await;
        let status = self.wait()?;
        Ok(Output { status, stdout: stdout?, stderr: stderr? })
    }
}

/// Everything `pipe` yields until end of file; nothing if there is no pipe.
#[coro_macros::coroutine(crate = ::coro_core)]
fn read_all<R: Read>(pipe: Option<R>) -> io::Result<Vec<u8>> {
    let mut bytes = Vec::new();
    if let Some(mut pipe) = pipe {
        pipe.read_to_end(&mut bytes)?;
    }
    Ok(bytes)
}

fn would_block() -> io::Error {
    io::ErrorKind::WouldBlock.into()
}

impl Drop for Child {
    fn drop(&mut self) {
        if self.kill_on_drop {
            // std's `kill` sends nothing to a child it has reaped; one that has exited is reaped below.
            let _ = self.std.kill();
        }
        if !matches!(self.try_wait(), Ok(None)) {
            return; // reaped, now or before (or never ours to reap)
        }
        let orphan = Orphan { pid: self.id() as libc::pid_t };
        match (self.pidfd.take(), crate::reactor::Driver::current()) {
            (Some(pidfd), Some(_)) => drop(coro_core::spawn(reap(orphan, pidfd))),
            _ => drop(orphan), // listed for the next `spawn` or `SIGCHLD`
        }
    }
}

impl fmt::Debug for Child {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Child")
            .field("pid", &self.id())
            .field("stdin", &self.stdin)
            .field("stdout", &self.stdout)
            .field("stderr", &self.stderr)
            .finish_non_exhaustive()
    }
}

/// `pidfd_open(pid)`, or `None` where the kernel has no such call (before Linux 5.3) or forbids it.
fn pidfd_open(pid: u32) -> io::Result<Option<OwnedFd>> {
    #[cfg(target_os = "linux")]
    {
        // SAFETY: `pidfd_open` takes a pid and flags and returns a new descriptor or -1; nothing is borrowed.
        let fd = unsafe { libc::syscall(libc::SYS_pidfd_open, pid as libc::pid_t, 0) };
        if fd >= 0 {
            // SAFETY: the kernel just returned this descriptor to us; nothing else owns it.
            return Ok(Some(unsafe { OwnedFd::from_raw_fd(fd as libc::c_int) }));
        }
        let err = io::Error::last_os_error();
        match err.raw_os_error() {
            Some(libc::ENOSYS | libc::EPERM | libc::EINVAL) => Ok(None),
            _ => Err(err),
        }
    }
    #[cfg(not(target_os = "linux"))]
    {
        let _ = pid;
        Ok(None)
    }
}

/// The pids of dropped children not reaped yet, which nobody waits on: reaped by [`reap_orphans`].
static ORPHANS: Mutex<Vec<libc::pid_t>> = Mutex::new(Vec::new());

/// A dropped child still running. Reaped by [`reap`], or, if that task ends first (its runtime shut
/// down), listed in [`ORPHANS`] when dropped.
struct Orphan {
    pid: libc::pid_t,
}

impl Orphan {
    /// Reaps the child if it has exited (or is not ours any more); `false` while it runs.
    fn try_reap(&self) -> bool {
        try_reap(self.pid)
    }
}

impl Drop for Orphan {
    fn drop(&mut self) {
        if !self.try_reap() {
            lock(&ORPHANS).push(self.pid);
        }
    }
}

/// The background task of a dropped child: waits on its pidfd, then reaps it (on drop).
#[coro_macros::coroutine(crate = ::coro_core)]
fn reap(orphan: Orphan, pidfd: Async<OwnedFd>) {
    while !orphan.try_reap() {
        if pidfd.readable().is_err() {
            return;
        }
    }
}

/// Reaps whichever listed orphans have exited.
fn reap_orphans() {
    let mut orphans = lock(&ORPHANS);
    if !orphans.is_empty() {
        orphans.retain(|&pid| !try_reap(pid));
    }
}

/// `waitpid(pid, WNOHANG)`: whether the child is reaped now (or was not ours: `ECHILD`).
fn try_reap(pid: libc::pid_t) -> bool {
    let mut status = 0;
    loop {
        // SAFETY: `waitpid` writes the status into the local `status` and borrows nothing else.
        match unsafe { libc::waitpid(pid, &mut status, libc::WNOHANG) } {
            0 => return false,
            -1 if io::Error::last_os_error().kind() == io::ErrorKind::Interrupted => {}
            _ => return true,
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::process::{Command, Stdio};
    use std::time::{Duration, Instant};

    /// The state letter of process `pid` (`Z`: a zombie), `None` once it is gone.
    fn state(pid: u32) -> Option<String> {
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
        Some(stat[stat.rfind(')')? + 1..].split_whitespace().next()?.to_owned())
    }

    /// A child dropped outside any runtime joins the orphan list, and the next `spawn` reaps it.
    #[test]
    fn an_orphan_dropped_outside_a_runtime_is_reaped_by_the_next_spawn() {
        let rt = crate::Runtime::builder().workers(1).build().unwrap();
        // Runs until its stdin closes, so it is still running when dropped.
        let spawned =
            rt.block_on(async { Command::new("sh").args(["-c", "read x"]).stdin(Stdio::piped()).spawn() });
        let mut child = spawned.unwrap();
        let stdin = child.stdin.take();
        drop(rt);
        let pid = child.id();
        drop(child); // no runtime here: listed, not reaped
        assert_eq!(state(pid).as_deref().map(|s| s != "Z"), Some(true), "still running");
        drop(stdin); // now it exits, and nobody reaps it yet
        let deadline = Instant::now() + Duration::from_secs(30);
        // (Another test's `spawn` may reap it first: then it is gone, which is what is checked below.)
        while state(pid).is_some_and(|state| state != "Z") {
            assert!(Instant::now() < deadline, "`true` did not exit: {:?}", state(pid));
            std::thread::sleep(Duration::from_millis(5));
        }
        let rt = crate::Runtime::builder().workers(1).build().unwrap();
        rt.block_on(async { Command::new("true").status().await.unwrap() });
        assert_eq!(state(pid), None, "reaped by the spawn");
    }

    /// The `SIGCHLD` path, taken where the kernel has no pidfd.
    #[test]
    fn waits_without_a_pidfd() {
        let rt = crate::Runtime::builder().workers(1).build().unwrap();
        rt.block_on(async {
            let mut child = Command::new("sh").args(["-c", "exit 7"]).stdin(Stdio::null()).spawn().unwrap();
            child.pidfd = None;
            assert_eq!(child.wait().await.unwrap().code(), Some(7));
        });
    }
}
