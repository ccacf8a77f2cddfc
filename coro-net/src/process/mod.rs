//! `coro::process`: child processes, as `std::process`, with waiting and piped I/O that suspend.
//!
//! [`Command`] is std's builder (`arg`, `args`, `env`, `env_clear`, `current_dir`, `stdin`/`stdout`/
//! `stderr` with std's [`Stdio`]); [`spawn`](Command::spawn) gives a [`Child`] whose `stdin`, `stdout` and
//! `stderr` are coro streams ([`coro::io::Write`](crate::io::Write) / [`Read`](crate::io::Read), so
//! `BufReader` and `lines()` work), and whose [`wait`](Child::wait) suspends.
//! [`output`](Command::output) and [`status`](Command::status) run a command to its end, as in std.
//!
//! ```
//! use coro_net::process::Command;
//!
//! #[coro_macros::coroutine(crate = ::coro_core)]
//! fn kernel_name() -> std::io::Result<String> {
//!     let output = Command::new("uname").arg("-s").output()?; // suspends, never blocks
//!     Ok(String::from_utf8_lossy(&output.stdout).trim().to_owned())
//! }
//!
//! let rt = coro_net::Runtime::builder().workers(1).build().unwrap();
//! assert!(!rt.block_on(kernel_name()).unwrap().is_empty());
//! ```
//!
//! (User code writes `#[coro::coroutine]` and `coro::process::Command`; this crate's doctests cannot name
//! the facade.)
//!
//! # Design
//!
//! - **Spawning** is std's (`fork`/`exec` is quick and does not wait on the child), so the errors are std's:
//!   a program that does not exist is `NotFound`. The parent's ends of the pipes are switched to
//!   non-blocking mode and registered with the reactor ([`Async`](crate::io::Async)).
//! - **Waiting** uses a pidfd (`pidfd_open(2)`, Linux 5.3) registered with the reactor: it becomes readable
//!   when the child exits, and `wait` then reaps it with `waitpid`. Where the kernel has no pidfd, `wait`
//!   listens for `SIGCHLD` ([`crate::signal`]) and checks its child on each one. Never a thread per child.
//! - **No zombies.** A [`Child`] dropped before it was reaped is reaped in the background: a small task
//!   waits on its pidfd, or, outside a runtime or without a pidfd, its pid joins a list that every later
//!   `spawn` (and every `SIGCHLD` a waiting child sees) reaps what it can from. As in std, dropping a child
//!   does not kill it, unless [`kill_on_drop(true)`](Command::kill_on_drop) was set (tokio's option).
//! - `wait` closes the child's stdin first, as std's does, so a child that reads to end of input ends.

mod child;
mod pipe;

pub use child::Child;
pub use pipe::{ChildStderr, ChildStdin, ChildStdout};
pub use std::process::{ExitStatus, Output, Stdio};

use std::ffi::OsStr;
use std::fmt;
use std::io;
use std::path::Path;

/// A process builder, as [`std::process::Command`]: configure, then [`spawn`](Command::spawn),
/// [`output`](Command::output) or [`status`](Command::status).
///
/// The setters take and return `&mut Command`, so a command can be configured in one chain and run
/// several times.
pub struct Command {
    std: std::process::Command,
    /// Which of stdin, stdout, stderr the caller configured: the others take the defaults of the method
    /// that runs the command (std's: inherited for `spawn` and `status`; null, piped, piped for `output`).
    configured: [bool; 3],
    kill_on_drop: bool,
}

impl Command {
    /// A command that runs `program` (looked up in `PATH` if it has no slash), with no arguments, the
    /// parent's environment and working directory, and inherited standard streams.
    pub fn new(program: impl AsRef<OsStr>) -> Command {
        Command { std: std::process::Command::new(program), configured: [false; 3], kill_on_drop: false }
    }

    /// Adds an argument.
    pub fn arg(&mut self, arg: impl AsRef<OsStr>) -> &mut Command {
        self.std.arg(arg);
        self
    }

    /// Adds arguments.
    pub fn args<I, S>(&mut self, args: I) -> &mut Command
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        self.std.args(args);
        self
    }

    /// Sets an environment variable for the child.
    pub fn env(&mut self, key: impl AsRef<OsStr>, value: impl AsRef<OsStr>) -> &mut Command {
        self.std.env(key, value);
        self
    }

    /// Sets environment variables for the child.
    pub fn envs<I, K, V>(&mut self, vars: I) -> &mut Command
    where
        I: IntoIterator<Item = (K, V)>,
        K: AsRef<OsStr>,
        V: AsRef<OsStr>,
    {
        self.std.envs(vars);
        self
    }

    /// Removes an environment variable from the child's environment.
    pub fn env_remove(&mut self, key: impl AsRef<OsStr>) -> &mut Command {
        self.std.env_remove(key);
        self
    }

    /// Clears the child's environment: it gets only the variables set after this.
    pub fn env_clear(&mut self) -> &mut Command {
        self.std.env_clear();
        self
    }

    /// Sets the child's working directory.
    pub fn current_dir(&mut self, dir: impl AsRef<Path>) -> &mut Command {
        self.std.current_dir(dir);
        self
    }

    /// The child's standard input: [`Stdio::piped()`] makes [`Child::stdin`] a coro stream.
    pub fn stdin(&mut self, cfg: impl Into<Stdio>) -> &mut Command {
        self.std.stdin(cfg);
        self.configured[0] = true;
        self
    }

    /// The child's standard output: [`Stdio::piped()`] makes [`Child::stdout`] a coro stream.
    pub fn stdout(&mut self, cfg: impl Into<Stdio>) -> &mut Command {
        self.std.stdout(cfg);
        self.configured[1] = true;
        self
    }

    /// The child's standard error: [`Stdio::piped()`] makes [`Child::stderr`] a coro stream.
    pub fn stderr(&mut self, cfg: impl Into<Stdio>) -> &mut Command {
        self.std.stderr(cfg);
        self.configured[2] = true;
        self
    }

    /// Whether dropping the [`Child`] before it was reaped kills it (`SIGKILL`); default `false`, as in std,
    /// where a dropped child runs on. Either way it is reaped in the background once it ends.
    pub fn kill_on_drop(&mut self, kill_on_drop: bool) -> &mut Command {
        self.kill_on_drop = kill_on_drop;
        self
    }

    /// The std command inside, for what only it configures (`std::os::unix::process::CommandExt`:
    /// `uid`, `gid`, `process_group`, `pre_exec`, ...).
    pub fn as_std_mut(&mut self) -> &mut std::process::Command {
        &mut self.std
    }

    /// The std command inside.
    pub fn as_std(&self) -> &std::process::Command {
        &self.std
    }

    /// Starts the child. Unconfigured standard streams are inherited.
    ///
    /// Fails with std's errors (`NotFound` for a program that does not exist, `PermissionDenied` for one
    /// that is not executable), and outside a coro runtime.
    pub fn spawn(&mut self) -> io::Result<Child> {
        Child::spawn(&mut self.std, self.kill_on_drop)
    }

    /// Runs the command to its end and collects its output. Unless configured otherwise, stdin reads
    /// nothing (null) and stdout and stderr are captured, as in std.
    #[coro_macros::coroutine(crate = ::coro_core)]
    pub fn output(&mut self) -> io::Result<Output> {
        let spawned = self.spawn_with_defaults([Stdio::null, Stdio::piped, Stdio::piped]);
        spawned?.wait_with_output()
    }

    /// Runs the command to its end and returns its exit status. Unconfigured standard streams are
    /// inherited, as in std; piped ones are closed at once.
    #[coro_macros::coroutine(crate = ::coro_core)]
    pub fn status(&mut self) -> io::Result<ExitStatus> {
        let mut child = self.spawn()?;
        drop((child.stdout.take(), child.stderr.take()));
        child.wait()
    }

    /// Spawns with `defaults` for the streams the caller left unconfigured, then puts those back to
    /// inherited (what `spawn` uses), so the command runs the same way next time.
    fn spawn_with_defaults(&mut self, defaults: [fn() -> Stdio; 3]) -> io::Result<Child> {
        let setters = [
            std::process::Command::stdin::<Stdio>,
            std::process::Command::stdout::<Stdio>,
            std::process::Command::stderr::<Stdio>,
        ];
        let unconfigured: Vec<usize> = (0..3).filter(|&i| !self.configured[i]).collect();
        for &i in &unconfigured {
            setters[i](&mut self.std, defaults[i]());
        }
        let child = self.spawn();
        for &i in &unconfigured {
            setters[i](&mut self.std, Stdio::inherit());
        }
        child
    }
}

impl fmt::Debug for Command {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.std.fmt(f)
    }
}
