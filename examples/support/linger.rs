//! Closing a connection without losing the last reply (shared by the `http` and `redis` examples).
//!
//! A server that closes a socket while bytes it has not read are still queued makes the kernel reset the
//! connection, and the client may lose the response it was about to read (an error reply, say, that
//! explains why the connection closes). Lingering, as nginx does: shut the sending side down (the client
//! reads the end of the stream after the response), then read and drop what the client still sends, for a
//! moment and a bounded number of bytes, before closing.

use coro::net::{Shutdown, TcpStream};
use std::time::Duration;

const LINGER: Duration = Duration::from_secs(1);
const LINGER_BYTES: usize = 256 * 1024;

#[coro::coroutine]
pub fn close_gracefully(mut stream: TcpStream) {
    if stream.shutdown(Shutdown::Write).is_err() || stream.set_read_timeout(Some(LINGER)).is_err() {
        return;
    }
    let mut sink = [0u8; 4096];
    let mut budget = LINGER_BYTES;
    while budget > 0 {
        match stream.read(&mut sink) {
            Ok(n) if n > 0 => budget = budget.saturating_sub(n),
            _ => return, // the client closed, went quiet, or failed
        }
    }
}
