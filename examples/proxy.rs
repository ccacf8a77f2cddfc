//! A TCP proxy: every connection to the listen address is relayed to the upstream address, both directions
//! at once, and a half close on either side is passed on to the other.
//!
//! ```sh
//! cargo run --release --example http 127.0.0.1:8080 &
//! cargo run --release --example proxy 127.0.0.1:9000 127.0.0.1:8080   # LISTEN UPSTREAM
//! CORO_WORKERS=2 cargo run --release --example proxy 127.0.0.1:9000 127.0.0.1:8080
//! curl http://127.0.0.1:9000/plaintext
//! ```
//!
//! It prints `proxy listening on ADDR, forwarding to UPSTREAM` once it accepts connections; SIGINT or SIGTERM
//! stops it gracefully (`support/shutdown.rs`): each client's end of the stream is passed upstream, so the
//! upstream answers what it has and closes. A relay on which
//! no byte moved either way for 10 minutes is closed, as nginx's `proxy_timeout`; `PROXY_TIMEOUT` (seconds,
//! 0 for none) changes it.
//!
//! # Design
//!
//! Each client gets a coroutine that connects upstream, splits both sockets with `into_split`, and runs two
//! copies: one in a spawned coroutine (client to upstream), one in its own (upstream to client). Both note
//! when they last moved bytes on a shared clock ([`Idle`]); each waits for its source only as long as the
//! timeout leaves, counted from the last transfer either way, so a relay busy in one direction only (a
//! download) stays open, and one idle both ways ends. When a copy reaches the end of its source (the peer shut its sending side down), it shuts
//! the sending side of its destination down, so the other end sees the end of the stream too while the other
//! direction keeps flowing: request/response protocols that half-close (HTTP/1.0 clients, `nc -N`) work
//! through the proxy. When a copy fails (a reset), it shuts both sockets down entirely, which ends the other
//! copy too: a relay never outlives its connections.

#[path = "support/accept.rs"]
mod accept;
#[path = "support/shutdown.rs"]
mod shutdown;
#[path = "support/timeouts.rs"]
mod timeouts;

use coro::net::{ReadHalf, Shutdown, TcpListener, TcpStream, WriteHalf};
use std::io;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::time::{Duration, Instant};

/// How long a relay may go without a byte moving either way (nginx's `proxy_timeout`).
const TIMEOUT: Duration = Duration::from_secs(600);

/// A relay's idle clock: when either of its copies last moved bytes.
#[derive(Debug)]
struct Idle {
    timeout: Option<Duration>,
    started: Instant,
    /// Milliseconds from `started` to the last transfer, either way.
    last: AtomicU64,
}

impl Idle {
    fn new(timeout: Option<Duration>) -> Idle {
        Idle { timeout, started: Instant::now(), last: AtomicU64::new(0) }
    }

    /// Notes a transfer.
    fn touch(&self) {
        self.last.store(self.started.elapsed().as_millis() as u64, Relaxed);
    }

    /// How much longer a copy may wait for its source: the timeout less how long both directions have been
    /// idle (`None`: for ever).
    fn wait_left(&self) -> Option<Duration> {
        let idle = self.started.elapsed().saturating_sub(Duration::from_millis(self.last.load(Relaxed)));
        Some(self.timeout?.saturating_sub(idle))
    }
}

/// Copies `from` into `to` until `from` ends, or fails with `TimedOut` once the relay has been idle both
/// ways for its timeout; returns the bytes copied.
#[coro::coroutine]
fn copy(from: &mut ReadHalf<TcpStream>, to: &mut WriteHalf<TcpStream>, idle: &Idle) -> io::Result<u64> {
    let mut buf = vec![0; 16 * 1024];
    let mut copied = 0;
    loop {
        let wait = idle.wait_left();
        if wait == Some(Duration::ZERO) {
            return Err(io::Error::new(io::ErrorKind::TimedOut, "the relay was idle for its timeout"));
        }
        from.as_ref().set_read_timeout(wait)?;
        let n = match from.read(&mut buf) {
            Ok(0) => return Ok(copied),
            Ok(n) => n,
            // The other direction may have moved meanwhile: the next round sees how long is left.
            Err(err) if err.kind() == io::ErrorKind::TimedOut => continue,
            Err(err) => return Err(err),
        };
        idle.touch();
        to.write_all(&buf[..n])?;
        idle.touch();
        copied += n as u64;
    }
}

/// Copies `from` into `to` until `from` ends, then shuts `to` down for writing; returns the bytes copied.
///
/// If the copy fails instead (a peer reset, a write to a closed peer, the idle timeout), both sockets are shut down in both
/// directions: that ends the copy the other way too, blocked as it may be on a read from a peer that will
/// never send again, so the relay ends and both sockets close. (Dropping a `WriteHalf` would not do it: as
/// with std's `try_clone`, the socket stays open while the other half lives.)
#[coro::coroutine]
fn pipe(mut from: ReadHalf<TcpStream>, mut to: WriteHalf<TcpStream>, idle: Arc<Idle>) -> io::Result<u64> {
    let copied = copy(&mut from, &mut to, &idle).and_then(|copied| {
        to.as_ref().shutdown(Shutdown::Write)?;
        Ok(copied)
    });
    if copied.is_err() {
        // Either may be closed already (`NotConnected`): nothing left to end there.
        let _ = from.as_ref().shutdown(Shutdown::Both);
        let _ = to.as_ref().shutdown(Shutdown::Both);
    }
    copied
}

#[coro::coroutine]
fn relay(client: TcpStream, upstream: Arc<str>, timeout: Option<Duration>) -> io::Result<()> {
    let server = TcpStream::connect(&*upstream)?;
    server.set_nodelay(true)?;
    let (client_read, client_write) = client.into_split();
    let (server_read, server_write) = server.into_split();
    let idle = Arc::new(Idle::new(timeout));
    let requests = coro::spawn!(pipe(client_read, server_write, idle.clone()));
    let responses = pipe(server_read, client_write, idle);
    let requests = requests.join().map_err(io::Error::other)?;
    responses?;
    requests?;
    Ok(())
}

#[coro::main]
fn main() -> io::Result<()> {
    let mut args = std::env::args().skip(1);
    let (Some(listen), Some(upstream)) = (args.next(), args.next()) else {
        eprintln!("usage: proxy LISTEN_ADDR UPSTREAM_ADDR   (e.g. proxy 127.0.0.1:9000 127.0.0.1:8080)");
        std::process::exit(2);
    };
    // The proxy relays bytes of a protocol it does not know: it counts connections, not requests.
    let graceful = shutdown::Graceful::on_signals("proxy", None)?;
    let listener = TcpListener::bind(listen.as_str())?;
    println!("proxy listening on {}, forwarding to {upstream}", listener.local_addr()?);
    let upstream: Arc<str> = upstream.into();
    let timeout = timeouts::from_env("PROXY_TIMEOUT", Some(TIMEOUT));
    accept::accept_until_stopped(&listener, &graceful, |client, peer, connection| {
        let upstream = upstream.clone();
        drop(coro::spawn!(connection.serve(client, move |client, _| async move {
            if let Err(err) = relay(client, upstream, timeout).await {
                eprintln!("{peer}: {err}");
            }
        })));
    });
    graceful.drain();
    Ok(())
}
