//! A mini Redis: strings with expiry, and publish/subscribe, over RESP2 (the protocol of redis-cli,
//! redis-benchmark and the client libraries), inline commands included (what nc users type).
//!
//! ```sh
//! cargo run --release --example redis                  # listens on 127.0.0.1:6379
//! cargo run --release --example redis 127.0.0.1:7000   # or where you say (port 0: any free port)
//! CORO_WORKERS=2 cargo run --release --example redis   # on 2 worker threads (default: one per CPU)
//! redis-cli -p 6379 set greeting hello EX 60 && redis-cli -p 6379 get greeting
//! redis-benchmark -p 6379 -t get,set -n 100000 -P 16 -q
//! ```
//!
//! It prints `redis server listening on ADDR` once it accepts connections.
//!
//! Commands: PING, ECHO, GET, SET (EX/PX/NX/XX/KEEPTTL), DEL, EXISTS, INCR, DECR, MGET, MSET, EXPIRE, TTL,
//! SELECT 0, QUIT, and what clients send on connecting (CONFIG GET, COMMAND). Expiry is lazy: an expired
//! key disappears when a command touches it (`redis/store.rs`).
//!
//! # Design
//!
//! One coroutine per connection: read, run every complete command in the buffer, write all their replies
//! at once (a pipelining client gets one write per batch). The parser (`redis/resp.rs`) borrows the
//! arguments from the connection's read buffer (`support/read_buf.rs`), so a command allocates nothing but
//! the values it stores. Bad input gets Redis's error replies: a command error keeps the connection, a
//! protocol error (which leaves the stream unreadable) closes it after the reply, as Redis does. The store
//! is a `std::sync::Mutex`ed map, never locked across a suspension (`redis/store.rs` says why).

#[path = "redis/commands.rs"]
mod commands;
#[path = "support/linger.rs"]
mod linger;
#[path = "support/read_buf.rs"]
mod read_buf;
#[path = "redis/resp.rs"]
mod resp;
#[path = "redis/store.rs"]
mod store;

use coro::net::{TcpListener, TcpStream};
use linger::close_gracefully;
use read_buf::ReadBuf;
use resp::{Command, Parser, ProtocolError, bulk, error, simple};
use std::io;
use std::sync::Arc;
use store::Store;

/// The most unread input a connection may hold: one command's arguments must fit (Redis's limit is 1 GiB).
const QUERY_LIMIT: usize = 2 * resp::MAX_BULK;

/// What every connection shares.
#[derive(Debug, Default)]
struct Server {
    store: Store,
}

#[coro::coroutine]
fn serve(mut stream: TcpStream, server: Arc<Server>) -> io::Result<()> {
    let mut session = Session { server };
    let mut parser = Parser::default();
    let mut input = ReadBuf::new(16 * 1024, QUERY_LIMIT);
    let mut out = Vec::new();
    loop {
        let keep_open = if input.is_full() {
            error(&mut out, "ERR Protocol error: query buffer limit reached");
            false
        } else if input.fill(&mut stream)? == 0 {
            return Ok(());
        } else {
            session.run_batch(&mut parser, &mut input, &mut out)
        };
        if !out.is_empty() {
            stream.write_all(&out)?;
            out.clear();
        }
        if !keep_open {
            close_gracefully(stream);
            return Ok(());
        }
    }
}

/// A connection's state between commands.
struct Session {
    server: Arc<Server>,
}

impl Session {
    /// Runs every complete command in `input`, consuming it, with the replies into `out`; `false` when the
    /// connection must close (QUIT, a protocol error).
    fn run_batch(&mut self, parser: &mut Parser, input: &mut ReadBuf, out: &mut Vec<u8>) -> bool {
        loop {
            let data = input.data();
            let used = match parser.parse(data) {
                Ok(None) => return true,
                Ok(Some(used)) => used,
                Err(ProtocolError(message)) => {
                    error(out, &format!("ERR Protocol error: {message}"));
                    return false;
                }
            };
            let command = parser.command(data);
            let keep_open = command.len() == 0 || self.execute(&command, out);
            input.consume(used);
            if !keep_open {
                return false;
            }
        }
    }

    /// Runs one command; `false` when the connection must close.
    fn execute(&mut self, command: &Command<'_>, out: &mut Vec<u8>) -> bool {
        let Some(spec) = commands::lookup(command, out) else { return true };
        match spec.name {
            "PING" => match command.len() {
                1 => simple(out, "PONG"),
                2 => bulk(out, command.arg(1)),
                _ => error(out, "ERR wrong number of arguments for 'ping' command"),
            },
            "QUIT" => {
                simple(out, "OK");
                return false;
            }
            name => commands::execute(name, command, &self.server.store, out),
        }
        true
    }
}

#[coro::main]
fn main() -> io::Result<()> {
    let addr = std::env::args().nth(1).unwrap_or_else(|| "127.0.0.1:6379".to_string());
    let listener = TcpListener::bind(addr.as_str())?;
    println!("redis server listening on {}", listener.local_addr()?);
    let server = Arc::new(Server::default());
    loop {
        match listener.accept() {
            Ok((stream, _peer)) => {
                stream.set_nodelay(true)?;
                drop(coro::spawn!(serve(stream, server.clone())));
            }
            Err(err) => eprintln!("accept failed: {err}"),
        }
    }
}
