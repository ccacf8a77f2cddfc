//! `coro::signal`: Unix signals as suspending operations.
//!
//! [`ctrl_c`] suspends until the process gets `SIGINT`; [`Signal`] listens for any signal (`SIGTERM`,
//! `SIGHUP`, `SIGUSR1`, ...) and its [`recv`](Signal::recv) suspends until the next one:
//!
//! ```
//! use coro_net::process::Command;
//! use coro_net::signal::{Signal, SignalKind};
//!
//! #[coro_macros::coroutine(crate = ::coro_core)]
//! fn wait_for_hangup() -> std::io::Result<Option<()>> {
//!     let mut hangups = Signal::new(SignalKind::hangup())?;
//!     // A service manager would send the SIGHUP; here `kill` does.
//!     Command::new("kill").args(["-HUP", &std::process::id().to_string()]).status()?;
//!     Ok(hangups.recv()) // suspends until the signal arrives
//! }
//!
//! let rt = coro_net::Runtime::builder().workers(1).build().unwrap();
//! assert_eq!(rt.block_on(wait_for_hangup()).unwrap(), Some(()));
//! ```
//!
//! # Design
//!
//! A signal handler may do almost nothing (only async-signal-safe calls), so the handler only writes a
//! byte, and the reactor does the rest. Each [`Signal`] owns a non-blocking socket pair: the write end goes
//! to an action registered with `signal-hook-registry` (one process-wide handler per signal, which runs
//! every registered action, as tokio does), the read end is registered with the runtime's reactor as an
//! [`Async`]. `recv` drains the read end: any bytes there mean the signal arrived since the last `recv`.
//!
//! - **Several listeners per signal**: each has its own pipe, and the handler writes to every one, so each
//!   listener gets each delivery once.
//! - **Nothing is lost between two `recv`s**: the byte waits in the pipe until the next `recv`. Deliveries
//!   that arrive before a `recv` are coalesced into one, as the kernel coalesces pending signals (and as
//!   tokio does): `recv` means "at least one since the last `recv`".
//! - **A full pipe** (a listener that never calls `recv`) makes the handler's write fail with `EAGAIN`; a
//!   byte is already waiting, so nothing is lost and the handler never blocks.
//!
//! # Limits
//!
//! - The first listener for a signal replaces its default action for the rest of the process, also after
//!   the listener is dropped (the handler stays installed, running no action): a `SIGINT` no longer ends
//!   the process once [`ctrl_c`] has been called. This is tokio's behaviour too.
//! - `SIGKILL`, `SIGSTOP`, `SIGILL`, `SIGFPE` and `SIGSEGV` cannot be listened for (`InvalidInput`).
//! - A listener receives only the signals that arrive after it is created.

mod kind;

pub use kind::SignalKind;

use crate::io::Async;
use coro_core::Suspend;
use signal_hook_registry::SigId;
use std::fmt;
use std::io;
use std::os::fd::AsRawFd;
use std::os::unix::net::UnixStream;

/// A listener for one kind of signal; [`recv`](Signal::recv) suspends until the next one.
///
/// Created inside a coro runtime (its pipe is registered with the runtime's reactor). Dropping it stops
/// the listening; other listeners for the same signal are not affected.
pub struct Signal {
    kind: SignalKind,
    /// The read end of the pipe the handler writes to.
    pipe: Async<UnixStream>,
    /// The handler's action for this listener, unregistered on drop.
    action: SigId,
}

impl Signal {
    /// Starts listening for `kind`: every delivery from now on is seen by [`recv`](Signal::recv).
    ///
    /// Fails with `InvalidInput` for a signal that cannot be caught (`SIGKILL`, `SIGSTOP`) or that coro
    /// refuses to catch (`SIGILL`, `SIGFPE`, `SIGSEGV`), and outside a coro runtime.
    pub fn new(kind: SignalKind) -> io::Result<Signal> {
        let signal = kind.as_raw_value();
        if signal_hook_registry::FORBIDDEN.contains(&signal) {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("signal {signal} cannot be listened for"),
            ));
        }
        let (read, write) = UnixStream::pair()?;
        write.set_nonblocking(true)?;
        let pipe = Async::new(read)?;
        let wake = move || {
            // SAFETY: `write(2)` of one byte from a valid buffer is async-signal-safe (no allocation, no
            // lock), and the descriptor stays open because this action owns its socket. A full pipe
            // (`EAGAIN`) already holds a byte, so the error is moot.
            unsafe { libc::write(write.as_raw_fd(), [1u8].as_ptr().cast(), 1) };
        };
        // SAFETY: the action only makes an async-signal-safe `write(2)`, as `register` requires of code run
        // inside a signal handler; the signal is not a forbidden one (checked above).
        let action = unsafe { signal_hook_registry::register(signal, wake) }?;
        Ok(Signal { kind, pipe, action })
    }

    /// Suspends until the signal arrives, or returns at once if it arrived since the last `recv` (several
    /// deliveries since then count as one). `None` only if the reactor failed (the runtime shut down).
    #[coro_macros::coroutine(crate = ::coro_core)]
    pub fn recv(&mut self) -> Option<()> {
        self.pipe.read_with(drain).ok()
    }

    /// The kind of signal this listener receives.
    pub fn kind(&self) -> SignalKind {
        self.kind
    }
}

impl Drop for Signal {
    fn drop(&mut self) {
        // Returns once no handler runs the action any more; the action (and its write end) is then dropped.
        signal_hook_registry::unregister(self.action);
    }
}

impl fmt::Debug for Signal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Signal").field("kind", &self.kind).finish_non_exhaustive()
    }
}

/// Reads every byte waiting in the pipe: `Ok` if there was at least one, `WouldBlock` if none.
fn drain(mut pipe: &UnixStream) -> io::Result<()> {
    let mut buf = [0u8; 64];
    let mut got = false;
    loop {
        match io::Read::read(&mut pipe, &mut buf) {
            Ok(0) => return Err(io::ErrorKind::UnexpectedEof.into()),
            Ok(_) => got = true,
            Err(err) if err.kind() == io::ErrorKind::Interrupted => {}
            Err(err) if err.kind() == io::ErrorKind::WouldBlock && got => return Ok(()),
            Err(err) => return Err(err),
        }
    }
}

/// Suspends until the process receives `SIGINT` (Ctrl-C in a terminal).
///
/// Listening starts when the operation is first polled; from then on, `SIGINT` no longer ends the process
/// (see the [module docs](self)). Fails only as [`Signal::new`] does.
///
/// ```ignore
/// #[coro::main]
/// fn main() -> std::io::Result<()> {
///     coro::spawn!(serve());
///     coro::signal::ctrl_c()?;
///     println!("shutting down");
///     Ok(())
/// }
/// ```
pub fn ctrl_c() -> impl Suspend<Output = io::Result<()>> {
    wait_for(SignalKind::interrupt())
}

#[coro_macros::coroutine(crate = ::coro_core)]
fn wait_for(kind: SignalKind) -> io::Result<()> {
    let mut signal = Signal::new(kind)?;
    signal.recv().ok_or_else(|| io::Error::other("the coro runtime shut down"))
}
