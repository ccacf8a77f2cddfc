//! Drives the echo example: several connections, each sending messages and checking every echo.
//!
//! ```sh
//! cargo run --release --example echo &
//! cargo run --release --example echo_client                       # 127.0.0.1:8000, 16 conns, 1000 msgs each
//! cargo run --release --example echo_client 127.0.0.1:8000 64 5000
//! ```

use coro::net::TcpStream;
use std::io;
use std::time::Instant;

/// Sends `messages` messages of 64 bytes and checks that each comes back intact.
#[coro::coroutine]
fn client(addr: String, id: usize, messages: usize) -> io::Result<usize> {
    let mut stream = TcpStream::connect(addr.as_str())?;
    stream.set_nodelay(true)?;
    let mut sent = [0u8; 64];
    let mut received = [0u8; 64];
    for i in 0..messages {
        sent.iter_mut().enumerate().for_each(|(k, b)| *b = (id + i + k) as u8);
        stream.write_all(&sent)?;
        stream.read_exact(&mut received)?;
        if received != sent {
            return Err(io::Error::new(io::ErrorKind::InvalidData, format!("connection {id}: bad echo")));
        }
    }
    Ok(messages)
}

#[coro::main]
fn main() -> io::Result<()> {
    let mut args = std::env::args().skip(1);
    let addr = args.next().unwrap_or_else(|| "127.0.0.1:8000".to_string());
    let connections: usize = args.next().map_or(Ok(16), |n| n.parse()).map_err(io::Error::other)?;
    let messages: usize = args.next().map_or(Ok(1000), |n| n.parse()).map_err(io::Error::other)?;

    let start = Instant::now();
    let clients: Vec<_> =
        (0..connections).map(|id| coro::spawn!(client(addr.clone(), id, messages))).collect();
    let mut total = 0;
    for handle in clients {
        total += handle.join().map_err(io::Error::other)??;
    }
    let elapsed = start.elapsed();
    println!(
        "{total} echoes over {connections} connections in {:.2?} ({:.0} round trips/s)",
        elapsed,
        total as f64 / elapsed.as_secs_f64()
    );
    Ok(())
}
