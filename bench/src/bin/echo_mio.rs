//! The baseline: a plain single-threaded mio event loop, no runtime. What the runtimes' echo servers do,
//! written by hand: the connections in a slab, each registered once, edge-triggered, for reads and writes.
//!
//! - Readable: read into one shared buffer and write each read back at once, until the socket is drained.
//!   Drained means `WouldBlock`, or a read shorter than the buffer: on epoll a short read empties the
//!   socket's receive queue, and data arriving after it raises a new edge (tokio's `TcpStream` relies on the
//!   same rule to skip the extra `read` that would return `WouldBlock`). `--until-wouldblock` turns that off
//!   and reads until `WouldBlock` every time.
//! - A partial write keeps the rest in the connection's `pending` buffer and stops reading that connection
//!   (backpressure: never buffer more than one read's worth). The next writable edge sends it; once it is
//!   all sent, the connection reads again (an edge that came meanwhile was consumed, so it must not wait).
//! - End of stream or an error: deregister and drop the connection.
//!
//! ```text
//! echo_mio [ADDR | PORT] [--until-wouldblock]
//! ```

use coro_bench::echo::{BUF_SIZE, server_args, serving};
use mio::net::{TcpListener, TcpStream};
use mio::{Events, Interest, Poll, Token};
use slab::Slab;
use std::io::{self, ErrorKind, Read, Write};

const LISTENER: Token = Token(usize::MAX);

struct Conn {
    stream: TcpStream,
    /// Bytes read but not yet written back; reading stops while this is not empty.
    pending: Vec<u8>,
}

/// What to do with a connection after handling its event.
enum Next {
    Keep,
    Close,
}

fn main() -> io::Result<()> {
    let args = server_args(&["--until-wouldblock"]);
    let until_wouldblock = args.has("--until-wouldblock");

    let mut poll = Poll::new()?;
    let mut listener = TcpListener::bind(args.addr)?;
    poll.registry().register(&mut listener, LISTENER, Interest::READABLE)?;
    serving("mio", listener.local_addr()?);

    let mut conns: Slab<Conn> = Slab::with_capacity(1024);
    let mut events = Events::with_capacity(1024);
    let mut buf = vec![0u8; BUF_SIZE];

    loop {
        if let Err(e) = poll.poll(&mut events, None) {
            if e.kind() == ErrorKind::Interrupted {
                continue;
            }
            return Err(e);
        }
        for event in events.iter() {
            if event.token() == LISTENER {
                accept_all(&listener, &mut poll, &mut conns)?;
                continue;
            }
            let key = event.token().0;
            let Some(conn) = conns.get_mut(key) else { continue };
            let mut next = Next::Keep;
            if event.is_writable() && !conn.pending.is_empty() {
                next = flush(conn);
                if matches!(next, Next::Keep) && conn.pending.is_empty() {
                    // Reading was stopped: whatever arrived meanwhile raised no new edge for us to wait on.
                    next = echo(conn, &mut buf, until_wouldblock);
                }
            } else if (event.is_readable() || event.is_read_closed() || event.is_error())
                && conn.pending.is_empty()
            {
                next = echo(conn, &mut buf, until_wouldblock);
            }
            if let Next::Close = next {
                let mut conn = conns.remove(key);
                let _ = poll.registry().deregister(&mut conn.stream);
            }
        }
    }
}

/// Accepts every pending connection.
fn accept_all(listener: &TcpListener, poll: &mut Poll, conns: &mut Slab<Conn>) -> io::Result<()> {
    loop {
        match listener.accept() {
            Ok((mut stream, _)) => {
                stream.set_nodelay(true)?;
                let entry = conns.vacant_entry();
                poll.registry().register(
                    &mut stream,
                    Token(entry.key()),
                    Interest::READABLE | Interest::WRITABLE,
                )?;
                entry.insert(Conn { stream, pending: Vec::new() });
            }
            Err(e) if e.kind() == ErrorKind::WouldBlock => return Ok(()),
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            // Out of file descriptors, or the peer gave up before we accepted: drop it, keep serving. The
            // edge for the remaining queue comes with the next connection.
            Err(_) => return Ok(()),
        }
    }
}

/// Reads and writes back until the socket is drained, the peer closed, or a write would block.
fn echo(conn: &mut Conn, buf: &mut [u8], until_wouldblock: bool) -> Next {
    loop {
        let n = match conn.stream.read(buf) {
            Ok(0) => return Next::Close,
            Ok(n) => n,
            Err(e) if e.kind() == ErrorKind::WouldBlock => return Next::Keep,
            Err(e) if e.kind() == ErrorKind::Interrupted => continue,
            Err(_) => return Next::Close,
        };
        let mut written = 0;
        while written < n {
            match conn.stream.write(&buf[written..n]) {
                Ok(0) => return Next::Close,
                Ok(m) => written += m,
                Err(e) if e.kind() == ErrorKind::WouldBlock => {
                    conn.pending.extend_from_slice(&buf[written..n]);
                    return Next::Keep; // resumes on the writable edge
                }
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(_) => return Next::Close,
            }
        }
        if n < buf.len() && !until_wouldblock {
            return Next::Keep; // a short read drained the socket
        }
    }
}

/// Writes out `pending`, as far as the socket takes it.
fn flush(conn: &mut Conn) -> Next {
    let mut written = 0;
    let next = loop {
        if written == conn.pending.len() {
            break Next::Keep;
        }
        match conn.stream.write(&conn.pending[written..]) {
            Ok(0) => break Next::Close,
            Ok(m) => written += m,
            Err(e) if e.kind() == ErrorKind::WouldBlock => break Next::Keep,
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(_) => break Next::Close,
        }
    };
    conn.pending.drain(..written);
    next
}
