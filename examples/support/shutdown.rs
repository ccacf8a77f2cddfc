//! Graceful shutdown on SIGINT and SIGTERM (shared by every example server).
//!
//! The first SIGINT or SIGTERM stops the server: it stops accepting, every connection answers the requests
//! it has received and closes, and the server waits for them for up to `DRAIN_TIMEOUT` seconds (5 by
//! default, fractions allowed; 0 waits for ever). Then it prints one line, how many connections it served
//! and how many requests, and `main` returns: the exit status is 0. A connection still open at the deadline
//! (a client that takes no response bytes, say) is dropped with the runtime.
//!
//! # Design
//!
//! A [`Graceful`] holds a `CancellationToken`, cancelled by a coroutine that listens for both signals; the
//! accept loop (`accept.rs`) races each accept against it. A connection handler needs no code of its own to
//! stop between requests: when the stop begins, [`Connection::serve`] shuts the receiving side of the
//! connection's socket down (`shutdown(SHUT_RD)`), so the handler reads what the client had sent already,
//! then the end of the stream, as if the client had closed: it answers the requests it holds and returns,
//! as it does when a client leaves. No response is cut: the sending side stays open until the handler
//! returns. A request that had arrived only in part is dropped, and the connection closes between
//! responses. (A check between requests in each handler would say the same in five places, and echo's
//! handler is the README's opening example, which stays free of it.) Live connections are counted with a `WaitGroup`, which the drain waits for. Requests are
//! counted per connection ([`Requests`]) and added to the server's total once, when the connection ends, so
//! the counting costs the handlers no shared write per request.

use super::timeouts;
use coro::net::TcpStream;
use coro::signal::{Signal, SignalKind};
use coro::sync::{CancellationToken, WaitGroup};
use std::future::Future;
use std::io;
use std::os::fd::AsRawFd;
use std::pin::pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::task::Poll;
use std::time::Duration;

/// How long a stopping server waits for its connections unless `DRAIN_TIMEOUT` says otherwise.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(5);

/// A server's shutdown: whether it is stopping, its live connections, what it served.
#[derive(Debug)]
pub struct Graceful {
    /// What the summary calls the server, and what it calls a request ("requests", "commands", ...): `None`
    /// for a server whose handlers count none.
    name: &'static str,
    unit: Option<&'static str>,
    stop: CancellationToken,
    live: WaitGroup,
    connections: AtomicU64,
    requests: AtomicU64,
}

impl Graceful {
    /// Listens for SIGINT and SIGTERM from now on (before the server accepts anything, so a signal cannot
    /// fall between the two); the first one stops the server. Called on the runtime, whose reactor the
    /// signals are registered with.
    pub fn on_signals(name: &'static str, unit: Option<&'static str>) -> io::Result<Arc<Graceful>> {
        let mut interrupt = Signal::new(SignalKind::interrupt())?;
        let mut terminate = Signal::new(SignalKind::terminate())?;
        let graceful = Arc::new(Graceful {
            name,
            unit,
            stop: CancellationToken::new(),
            live: WaitGroup::new(),
            connections: AtomicU64::new(0),
            requests: AtomicU64::new(0),
        });
        let stop = graceful.stop.clone();
        drop(coro::spawn!(move || {
            coro::select! {
                _ = interrupt.recv() => {},
                _ = terminate.recv() => {},
            }
            stop.cancel();
        }));
        Ok(graceful)
    }

    /// Suspends until the server stops (a `select!` branch for the accept loop).
    pub fn stopped(&self) -> coro::sync::Cancelled<'_> {
        self.stop.cancelled()
    }

    /// Counts a new connection, live until the [`Connection`] is dropped.
    pub fn connection(self: &Arc<Self>) -> Connection {
        self.connections.fetch_add(1, Relaxed);
        self.live.add(1);
        Connection { graceful: self.clone() }
    }

    /// Waits for the live connections to end, for up to `DRAIN_TIMEOUT`, and prints the summary.
    #[coro::coroutine]
    pub fn drain(&self) {
        let limit = timeouts::from_env("DRAIN_TIMEOUT", Some(DRAIN_TIMEOUT));
        let all_closed = coro::select! {
            _ = self.live.wait() => true,
            _ = coro::time::sleep(limit.unwrap_or_default()), if limit.is_some() => false,
        };
        let requests = match self.unit {
            Some(unit) => format!(", {} {unit}", self.requests.load(Relaxed)),
            None => String::new(),
        };
        let left = if all_closed { String::new() } else { format!(", {} dropped", self.live.count()) };
        println!(
            "{} stopped: {} connections served{requests}{left}",
            self.name,
            self.connections.load(Relaxed)
        );
    }
}

/// A live connection of a [`Graceful`] server; dropping it says the connection ended.
#[derive(Debug)]
pub struct Connection {
    graceful: Arc<Graceful>,
}

impl Connection {
    /// Runs `handler` on `stream` (with a counter for its requests) until it returns; if the server stops
    /// meanwhile, shuts the receiving side of `stream` down, so the handler reads the end of the stream
    /// after what the client has sent, answers that and returns. The handler must keep `stream` (or its
    /// halves) until it returns, as handlers do.
    pub fn serve<F: Future>(
        self,
        stream: TcpStream,
        handler: impl FnOnce(TcpStream, Requests) -> F,
    ) -> impl Future<Output = F::Output> {
        let fd = stream.as_raw_fd();
        let requests = Requests { graceful: self.graceful.clone(), count: 0 };
        async move {
            let mut serving = pin!(handler(stream, requests));
            let mut stopped = pin!(self.graceful.stop.cancelled());
            let mut reading = true;
            std::future::poll_fn(|cx| {
                if let Poll::Ready(output) = serving.as_mut().poll(cx) {
                    return Poll::Ready(output);
                }
                if reading && stopped.as_mut().poll(cx).is_ready() {
                    reading = false;
                    // SAFETY: shutdown(2) takes plain integers and touches no memory of ours. `fd` is the
                    // socket's: the handler has not returned (it was pending just now), so it still owns
                    // the stream and the descriptor is open. The handler sees the end of the stream, which
                    // wakes it if it waits to read.
                    unsafe { libc::shutdown(fd, libc::SHUT_RD) };
                }
                Poll::Pending
            })
            .await
        }
    }
}

impl Drop for Connection {
    fn drop(&mut self) {
        self.graceful.live.done();
    }
}

/// A connection's request counter, added to its server's total when dropped.
#[derive(Debug)]
pub struct Requests {
    graceful: Arc<Graceful>,
    count: u64,
}

impl Requests {
    /// Counts `n` more requests answered.
    #[allow(dead_code, reason = "the echo example counts no requests: its handler is the README's")]
    pub fn add(&mut self, n: u64) {
        self.count += n;
    }
}

impl Drop for Requests {
    fn drop(&mut self) {
        self.graceful.requests.fetch_add(self.count, Relaxed);
    }
}
