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
//! It prints `redis server listening on ADDR` once it accepts connections; SIGINT or SIGTERM stops it
//! gracefully, with a summary line (`../support/shutdown.rs`). `REDIS_TIMEOUT` (seconds) closes
//! the connections of clients idle that long, as Redis's `timeout` setting (none by default).
//!
//! Commands: PING, ECHO, GET, SET (EX/PX/NX/XX/KEEPTTL), DEL, EXISTS, INCR, DECR, MGET, MSET, EXPIRE, TTL,
//! SELECT 0, QUIT, PUBLISH, SUBSCRIBE, UNSUBSCRIBE (while subscribed, only (UN)SUBSCRIBE, PING and QUIT, as
//! in Redis), and what clients send on connecting (CONFIG GET, COMMAND). Expiry is lazy: an expired key
//! disappears when a command touches it (`store.rs`).
//!
//! # Design
//!
//! One coroutine per connection: read, run the complete commands in the buffer, write their replies at once
//! (a pipelining client gets one write per batch). A batch whose replies pass [`REPLY_CHUNK`] bytes is
//! written in chunks as it runs, so a flood of pipelined commands holds one chunk of replies, not all of
//! them. The parser (`resp.rs`) borrows the arguments from the connection's read buffer
//! (`../support/read_buf.rs`), so a command allocates nothing but the values it stores, and resumes a
//! command that arrives in pieces where it stopped. Bad input gets Redis's error replies: a command error
//! keeps the connection, a protocol error (which leaves the stream unreadable) closes it after the reply, as
//! Redis does. The store is a `std::sync::Mutex`ed map, never locked across a suspension (`store.rs` says
//! why).
//!
//! A connection that subscribes changes shape: from then on, published messages must reach its socket
//! while its coroutine waits for the client's next command. Its socket is split; a writer coroutine owns
//! the sending half and drains the connection's outbox (`pubsub.rs`), which PUBLISH feeds and the
//! connection's own replies go through too, so the two stay in order. The outbox is bounded in bytes: a
//! subscriber that lets 32 MiB pile up is disconnected, as Redis's `client-output-buffer-limit` does. Plain
//! connections never pay for that: their replies go straight to the socket.

mod commands;
mod pubsub;
mod resp;
mod store;
// Shared with the other servers: modules of no single example, so included by path.
#[path = "../support/accept.rs"]
mod accept;
#[path = "../support/linger.rs"]
mod linger;
#[path = "../support/read_buf.rs"]
mod read_buf;
#[path = "../support/shutdown.rs"]
mod shutdown;
#[path = "../support/timeouts.rs"]
mod timeouts;

use coro::net::{Shutdown, TcpListener, TcpStream, WriteHalf};
use linger::close_gracefully;
use pubsub::{Inbox, Outbox, PubSub};
use read_buf::ReadBuf;
use resp::{Command, Parser, ProtocolError, array, bulk, error, integer_reply, optional_bulk, simple};
use std::io;
use std::sync::Arc;
use store::Store;

/// The most unread input a connection may hold: one command's arguments must fit (Redis's
/// `client-query-buffer-limit`). The buffer grows only as bytes arrive.
const QUERY_LIMIT: usize = 1 << 30;
/// Replies are written once this many bytes of them are ready, even if more commands of the batch wait: a
/// pipelined flood of commands with large replies holds one chunk of replies at a time, not all of them.
const REPLY_CHUNK: usize = 64 * 1024;

/// What every connection shares.
#[derive(Debug, Default)]
struct Server {
    store: Store,
    pubsub: PubSub,
    /// How long a client may stay idle before it is disconnected (Redis's `timeout`: none by default;
    /// `REDIS_TIMEOUT` in seconds). Subscribed clients are exempt, as in Redis: they wait for messages.
    idle_timeout: Option<std::time::Duration>,
}

#[coro::coroutine]
fn serve(
    mut stream: TcpStream,
    server: Arc<Server>,
    id: u64,
    commands: shutdown::Requests,
) -> io::Result<()> {
    stream.set_read_timeout(server.idle_timeout)?;
    let mut connection = Connection {
        session: Session { id, server, subscriptions: Vec::new(), outbox: None, inbox: None, commands },
        parser: Parser::default(),
        input: ReadBuf::new(16 * 1024, QUERY_LIMIT),
        out: Vec::new(),
        unparsed: false,
    };
    // Replies go straight to the socket, one write per batch...
    let inbox = loop {
        let step = connection.read_and_run(&mut stream)?;
        if !connection.out.is_empty() {
            stream.write_all(&connection.out)?;
            connection.out.clear();
        }
        match step {
            Step::Open => {}
            Step::End => return Ok(()),
            Step::Close => {
                close_gracefully(stream);
                return Ok(());
            }
            Step::Subscribed(inbox) => break inbox,
        }
    };
    // ...until the first SUBSCRIBE: from then on messages may arrive at any time, so a writer coroutine
    // owns the socket's sending half and drains the outbox, which takes both the replies and the messages.
    let outbox = connection.session.outbox.clone().expect("a subscribed session has an outbox");
    stream.set_read_timeout(None)?;
    let (mut reader, writer) = stream.into_split();
    let delivery = coro::spawn!(deliver(writer, inbox));
    loop {
        let step = connection.read_and_run(&mut reader)?;
        if !connection.out.is_empty() && !outbox.offer(Arc::new(std::mem::take(&mut connection.out))) {
            break; // the writer is gone (the socket failed), or the client passed its output limit
        }
        if !matches!(step, Step::Open) {
            break;
        }
    }
    // Dropping the session unsubscribes it: with every sender gone, the writer ends once it has written all.
    drop((connection, outbox));
    delivery.join().map_err(io::Error::other)?
}

/// Writes what arrives in the outbox to the socket, small frames gathered into one write of up to
/// [`REPLY_CHUNK`] bytes, until every sender is gone; or, once the client passed its output limit, shuts
/// the socket down (which ends the connection's reader too) and drops what waited.
#[coro::coroutine]
fn deliver(mut writer: WriteHalf<TcpStream>, inbox: Inbox) -> io::Result<()> {
    let mut batch = Vec::new();
    while let Some(frame) = inbox.recv() {
        if frame.len() >= REPLY_CHUNK {
            writer.write_all(&frame)?;
            continue;
        }
        batch.extend_from_slice(&frame);
        while batch.len() < REPLY_CHUNK {
            let Some(frame) = inbox.try_recv() else { break };
            batch.extend_from_slice(&frame);
        }
        writer.write_all(&batch)?;
        batch.clear();
    }
    if inbox.overflowed() {
        writer.as_ref().shutdown(Shutdown::Both)?;
        return Err(io::Error::other("client output limit reached: disconnected"));
    }
    Ok(())
}

/// What one read brought about.
enum Step {
    /// Commands ran (or none was complete); read on.
    Open,
    /// The client closed the connection.
    End,
    /// The connection must close after the replies (QUIT, a protocol error).
    Close,
    /// The session subscribed for the first time: the receiving end of its outbox.
    Subscribed(Inbox),
}

/// Where a batch of commands stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Batch {
    /// Every complete command ran: read more.
    NeedsInput,
    /// [`REPLY_CHUNK`] bytes of replies are ready: write them, then run the rest without reading.
    RepliesReady,
    /// The connection must close after the replies (QUIT, a protocol error).
    Close,
}

/// A connection's buffers and session.
struct Connection {
    session: Session,
    parser: Parser,
    input: ReadBuf,
    /// The replies of the current batch.
    out: Vec<u8>,
    /// Whether `input` may still hold complete commands: the last batch stopped at [`REPLY_CHUNK`] bytes of
    /// replies, to be written before it goes on.
    unparsed: bool,
}

impl Connection {
    /// Reads once (unless complete commands are still waiting from the last batch), and runs the complete
    /// commands in the buffer, the replies into `out`, until [`REPLY_CHUNK`] bytes of replies are ready.
    #[coro::coroutine]
    fn read_and_run<R: coro::io::Read>(&mut self, reader: &mut R) -> io::Result<Step> {
        if !self.unparsed {
            if self.input.is_full() {
                error(&mut self.out, "ERR Protocol error: query buffer limit reached");
                return Ok(Step::Close);
            }
            match self.input.fill(reader) {
                Ok(0) => return Ok(Step::End),
                Ok(_) => {}
                // Idle past the timeout: closed, as Redis does, without a reply.
                Err(err) if err.kind() == io::ErrorKind::TimedOut => return Ok(Step::End),
                Err(err) => return Err(err),
            }
        }
        let had_outbox = self.session.outbox.is_some();
        let batch = self.session.run_batch(&mut self.parser, &mut self.input, &mut self.out);
        self.unparsed = batch == Batch::RepliesReady;
        Ok(match (batch != Batch::Close, had_outbox, self.session.outbox.is_some()) {
            (false, _, _) => Step::Close,
            (true, false, true) => {
                let inbox = self.session.inbox.take().expect("made with the outbox");
                Step::Subscribed(inbox)
            }
            (true, _, _) => Step::Open,
        })
    }
}

/// A connection's state between commands.
struct Session {
    id: u64,
    server: Arc<Server>,
    /// The channels this session listens to, in the order it subscribed.
    subscriptions: Vec<Vec<u8>>,
    /// Made by the first SUBSCRIBE: where messages for this session go.
    outbox: Option<Outbox>,
    /// The other end of `outbox`, until the connection hands it to its writer.
    inbox: Option<Inbox>,
    /// How many commands it ran, for the server's summary when it stops.
    commands: shutdown::Requests,
}

impl Drop for Session {
    fn drop(&mut self) {
        for channel in &self.subscriptions {
            self.server.pubsub.unsubscribe(channel, self.id);
        }
    }
}

impl Session {
    /// Runs the complete commands in `input`, consuming them, with the replies into `out`, until none is
    /// left, [`REPLY_CHUNK`] bytes of replies are ready, or the connection must close.
    fn run_batch(&mut self, parser: &mut Parser, input: &mut ReadBuf, out: &mut Vec<u8>) -> Batch {
        loop {
            if out.len() >= REPLY_CHUNK {
                return Batch::RepliesReady;
            }
            let data = input.data();
            let used = match parser.parse(data) {
                Ok(None) => return Batch::NeedsInput,
                Ok(Some(used)) => used,
                Err(ProtocolError(message)) => {
                    error(out, &format!("ERR Protocol error: {message}"));
                    return Batch::Close;
                }
            };
            let command = parser.command(data);
            let keep_open = command.len() == 0 || self.execute(&command, out);
            input.consume(used);
            if !keep_open {
                return Batch::Close;
            }
        }
    }

    /// Runs one command; `false` when the connection must close.
    fn execute(&mut self, command: &Command<'_>, out: &mut Vec<u8>) -> bool {
        self.commands.add(1);
        let Some(spec) = commands::lookup(command, out) else { return true };
        let subscribed = !self.subscriptions.is_empty();
        if subscribed && !matches!(spec.name, "SUBSCRIBE" | "UNSUBSCRIBE" | "PING" | "QUIT") {
            let message = format!(
                "ERR Can't execute '{}': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed \
                 in this context",
                spec.name.to_lowercase()
            );
            error(out, &message);
            return true;
        }
        match spec.name {
            "PING" if command.len() > 2 => error(out, "ERR wrong number of arguments for 'ping' command"),
            // In subscribed mode a PING is answered as a message, as in Redis.
            "PING" if subscribed => {
                array(out, 2);
                bulk(out, b"pong");
                bulk(out, if command.len() == 2 { command.arg(1) } else { b"" });
            }
            "PING" if command.len() == 2 => bulk(out, command.arg(1)),
            "PING" => simple(out, "PONG"),
            "QUIT" => {
                simple(out, "OK");
                return false;
            }
            "SUBSCRIBE" => self.subscribe(command, out),
            "UNSUBSCRIBE" => self.unsubscribe(command, out),
            "PUBLISH" => {
                let receivers = self.server.pubsub.publish(command.arg(1), command.arg(2));
                integer_reply(out, receivers as i64);
            }
            name => commands::execute(name, command, &self.server.store, out),
        }
        true
    }

    fn subscribe(&mut self, command: &Command<'_>, out: &mut Vec<u8>) {
        let outbox = self.outbox.get_or_insert_with(|| {
            let (outbox, inbox) = pubsub::outbox();
            self.inbox = Some(inbox);
            outbox
        });
        for channel in command.args_from(1) {
            if !self.subscriptions.iter().any(|known| known == channel) {
                self.server.pubsub.subscribe(channel, self.id, outbox);
                self.subscriptions.push(channel.to_vec());
            }
            confirm(out, "subscribe", Some(channel), self.subscriptions.len());
        }
    }

    /// `UNSUBSCRIBE [channel...]`: from the channels named, or from all.
    fn unsubscribe(&mut self, command: &Command<'_>, out: &mut Vec<u8>) {
        let channels: Vec<Vec<u8>> = if command.len() > 1 {
            command.args_from(1).map(<[u8]>::to_vec).collect()
        } else {
            self.subscriptions.clone()
        };
        if channels.is_empty() {
            confirm(out, "unsubscribe", None, 0);
        }
        for channel in channels {
            if let Some(at) = self.subscriptions.iter().position(|known| *known == channel) {
                self.subscriptions.remove(at);
                self.server.pubsub.unsubscribe(&channel, self.id);
            }
            confirm(out, "unsubscribe", Some(&channel), self.subscriptions.len());
        }
    }
}

/// `*3 kind channel count`, the reply to each channel of a (UN)SUBSCRIBE.
fn confirm(out: &mut Vec<u8>, kind: &str, channel: Option<&[u8]>, count: usize) {
    array(out, 3);
    bulk(out, kind.as_bytes());
    optional_bulk(out, channel);
    integer_reply(out, count as i64);
}

#[coro::main]
fn main() -> io::Result<()> {
    let addr = std::env::args().nth(1).unwrap_or_else(|| "127.0.0.1:6379".to_string());
    let graceful = shutdown::Graceful::on_signals("redis server", Some("commands"))?;
    let listener = TcpListener::bind(addr.as_str())?;
    println!("redis server listening on {}", listener.local_addr()?);
    let idle_timeout = timeouts::from_env("REDIS_TIMEOUT", None);
    let server = Arc::new(Server { idle_timeout, ..Server::default() });
    let mut next_id = 0u64;
    accept::accept_until_stopped(&listener, &graceful, |stream, _peer, connection| {
        next_id += 1;
        let (server, id) = (server.clone(), next_id);
        drop(coro::spawn!(
            connection.serve(stream, move |stream, commands| serve(stream, server, id, commands))
        ));
    });
    graceful.drain();
    Ok(())
}
