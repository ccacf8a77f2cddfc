//! A line-based chat server: every line a client sends reaches every other client.
//!
//! ```sh
//! cargo run --release --example chat                  # listens on 127.0.0.1:7000
//! cargo run --release --example chat 0.0.0.0:7000     # or where you say (port 0: any free port)
//! CORO_WORKERS=2 cargo run --release --example chat
//! nc 127.0.0.1 7000                                   # in two terminals: type lines, see the other's
//! ```
//!
//! It prints `chat server listening on ADDR` once it accepts connections; SIGINT or SIGTERM stops it
//! gracefully, with a summary line (`support/shutdown.rs`). A client is named by its
//! address; it is greeted with `*** welcome, NAME; N here`, sees `*** NAME joined` and `*** NAME left` for
//! the others, and their lines as `NAME: text`.
//!
//! # Design
//!
//! Coroutines that share nothing and talk over channels (`coro::chan`), Go style:
//! - one hub coroutine owns the list of clients; it receives every event (a client joined, sent a line,
//!   left) on one channel and fans each line out to the other clients;
//! - each client has a reader coroutine (lines from its socket, as events to the hub) and a writer
//!   coroutine (lines from its outbox, a bounded channel, to its socket), on the two halves of its socket.
//!
//! The hub never waits on a client: it offers each line with `try_send`, and a client whose outbox is full
//! (it stopped reading) is dropped from the list. Its writer then finds its outbox closed, shuts the socket
//! down, and its reader sees the end of the stream and leaves. So one stuck client cannot stall the others,
//! and every coroutine ends when its connection does. Lines are limited to 4 KiB; invalid UTF-8 is shown
//! with replacement characters.

#[path = "support/accept.rs"]
mod accept;
#[path = "support/read_buf.rs"]
mod read_buf;
#[path = "support/shutdown.rs"]
mod shutdown;
#[path = "support/timeouts.rs"]
mod timeouts;

use coro::chan;
use coro::net::{Shutdown, TcpListener, TcpStream, WriteHalf};
use read_buf::ReadBuf;
use std::collections::HashMap;
use std::io;
use std::sync::Arc;

/// The longest line a client may send; a longer one ends its connection.
const MAX_LINE: usize = 4096;
/// How many lines may wait for a client's socket before the hub drops the client.
const OUTBOX: usize = 256;
/// How long a write to a client may wait for it to take bytes (nginx's `send_timeout`; `CHAT_SEND_TIMEOUT`
/// in seconds, 0 for none): a client that reads nothing for that long is disconnected, rather than held,
/// with its writer blocked, for as long as it keeps the connection open.
const SEND_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(60);

/// A line on its way to clients, shared by all of them.
type Line = Arc<str>;

/// What the hub hears about.
enum Event {
    Joined { id: u64, name: String, outbox: chan::Sender<Line> },
    Said { id: u64, text: String },
    Left { id: u64 },
}

/// Owns the clients; runs until every client and the acceptor are gone.
#[coro::coroutine]
fn hub(events: chan::Receiver<Event>) {
    let mut clients: HashMap<u64, (String, chan::Sender<Line>)> = HashMap::new();
    while let Ok(event) = events.recv() {
        match event {
            Event::Joined { id, name, outbox } => {
                fan_out(&mut clients, id, &format!("*** {name} joined\n"));
                // The outbox is new and empty: this cannot fail.
                let _ = outbox.try_send(format!("*** welcome, {name}; {} here\n", clients.len() + 1).into());
                clients.insert(id, (name, outbox));
            }
            Event::Said { id, text } => {
                if let Some((name, _)) = clients.get(&id) {
                    let line = format!("{name}: {text}\n");
                    fan_out(&mut clients, id, &line);
                }
            }
            Event::Left { id } => {
                if let Some((name, _)) = clients.remove(&id) {
                    fan_out(&mut clients, id, &format!("*** {name} left\n"));
                }
            }
        }
    }
}

/// Offers `line` to every client but `from`; drops the clients that cannot take it.
fn fan_out(clients: &mut HashMap<u64, (String, chan::Sender<Line>)>, from: u64, line: &str) {
    let line: Line = line.into();
    clients.retain(|&id, (_, outbox)| id == from || outbox.try_send(line.clone()).is_ok());
}

/// One client: joins, forwards its lines to the hub until it leaves, then waits for its writer.
#[coro::coroutine]
fn client(
    stream: TcpStream,
    id: u64,
    events: chan::Sender<Event>,
    send_timeout: Option<std::time::Duration>,
    mut lines: shutdown::Requests,
) -> io::Result<()> {
    let name = stream.peer_addr()?.to_string();
    stream.set_write_timeout(send_timeout)?;
    let (mut reader, writer) = stream.into_split();
    let (outbox, inbox) = chan::bounded(OUTBOX);
    if events.send(Event::Joined { id, name, outbox }).is_err() {
        return Ok(()); // the hub is gone: the server is shutting down
    }
    let delivery = coro::spawn!(deliver(writer, inbox));
    let mut input = ReadBuf::new(MAX_LINE, MAX_LINE);
    let read = loop {
        if let Some(newline) = input.data().iter().position(|&b| b == b'\n') {
            let line = &input.data()[..newline];
            let text = String::from_utf8_lossy(line.strip_suffix(b"\r").unwrap_or(line)).into_owned();
            input.consume(newline + 1);
            lines.add(1);
            if !text.is_empty() && events.send(Event::Said { id, text }).is_err() {
                break Ok(());
            }
        } else if input.is_full() {
            break Err(io::Error::new(io::ErrorKind::InvalidData, "line too long"));
        } else {
            match input.fill(&mut reader) {
                Ok(0) => break Ok(()),
                Ok(_) => {}
                Err(err) => break Err(err),
            }
        }
    };
    // Leaving drops the hub's sender to the outbox: the writer ends once it has written what is queued.
    let _ = events.send(Event::Left { id });
    delivery.join().map_err(io::Error::other)??;
    read
}

/// Writes the lines of `inbox` to the client, a batch per write, until the hub drops the outbox or a write
/// fails (the send timeout included); then shuts the socket down, which also ends the reader of a client
/// the hub dropped.
#[coro::coroutine]
fn deliver(mut writer: WriteHalf<TcpStream>, inbox: chan::Receiver<Line>) -> io::Result<()> {
    let mut batch = String::new();
    while let Ok(line) = inbox.recv() {
        batch.push_str(&line);
        while let Ok(line) = inbox.try_recv() {
            batch.push_str(&line);
        }
        if let Err(err) = writer.write_all(batch.as_bytes()) {
            let _ = writer.as_ref().shutdown(Shutdown::Both);
            return Err(err);
        }
        batch.clear();
    }
    let _ = writer.as_ref().shutdown(Shutdown::Both);
    Ok(())
}

#[coro::main]
fn main() -> io::Result<()> {
    let addr = std::env::args().nth(1).unwrap_or_else(|| "127.0.0.1:7000".to_string());
    let graceful = shutdown::Graceful::on_signals("chat server", Some("lines"))?;
    let listener = TcpListener::bind(addr.as_str())?;
    println!("chat server listening on {}", listener.local_addr()?);
    let send_timeout = timeouts::from_env("CHAT_SEND_TIMEOUT", Some(SEND_TIMEOUT));
    let (events, hub_events) = chan::bounded(1024);
    drop(coro::spawn!(hub(hub_events)));
    let mut next_id = 0u64;
    accept::accept_until_stopped(&listener, &graceful, |stream, peer, connection| {
        next_id += 1;
        let (id, events) = (next_id, events.clone());
        drop(coro::spawn!(connection.serve(stream, move |stream, lines| async move {
            if let Err(err) = client(stream, id, events, send_timeout, lines).await {
                eprintln!("{peer}: {err}");
            }
        })));
    });
    graceful.drain();
    Ok(())
}
