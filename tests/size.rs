//! A coroutine costs exactly what the hand-written `async fn` costs: the same future size, and `Send`
//! exactly when the hand-written one is. This is what the expansion's "guard" shape buys (see
//! `coro-core/src/__private.rs`); a change to the expansion that adds a yield point or keeps a probe alive
//! across one shows up here.

#![deny(warnings)]

use coro_test_support::TcpStream;
use std::collections::HashMap;
use std::io;
use std::mem::size_of_val;
use std::rc::Rc;

/// `is_send!(value)`: whether the value's type is `Send`, answered at compile time by autoref specialization
/// (so a `!Send` future is a test result, not a compile error).
macro_rules! is_send {
    ($value:expr) => {{
        struct Probe<T>(std::marker::PhantomData<T>);
        #[allow(dead_code, reason = "unused where the value is not Send")]
        trait Yes {
            fn is_send(&self) -> bool {
                true
            }
        }
        impl<T: Send> Yes for Probe<T> {}
        #[allow(dead_code, reason = "unused where the value is Send")]
        trait No {
            fn is_send(&self) -> bool {
                false
            }
        }
        impl<T> No for &Probe<T> {}
        fn probe<T>(_: &T) -> Probe<T> {
            Probe(std::marker::PhantomData)
        }
        (&probe(&$value)).is_send()
    }};
}

fn stream() -> TcpStream {
    TcpStream::new(b"GET /index.html HTTP/1.1\r\nHost: x\r\nAccept: */*\r\n\r\n", 16)
}

// The same bodies twice: as coroutines, and as hand-written `async fn`s with explicit `.await`s.

/// The README's echo both ways, over the stream type `$stream`.
macro_rules! echo_both_ways {
    ($stream:ty) => {
        #[coro::coroutine]
        pub fn echo(mut stream: $stream) -> io::Result<()> {
            let mut buf = [0u8; 4096];
            loop {
                let n = stream.read(&mut buf)?;
                if n == 0 {
                    return Ok(());
                }
                stream.write_all(&buf[..n])?;
            }
        }

        pub async fn echo_by_hand(mut stream: $stream) -> io::Result<()> {
            let mut buf = [0u8; 4096];
            loop {
                let n = stream.read(&mut buf).await?;
                if n == 0 {
                    return Ok(());
                }
                stream.write_all(&buf[..n]).await?;
            }
        }
    };
}

echo_both_ways!(TcpStream);

/// The same echo over the real `coro::net::TcpStream`, whose operations have drop glue (a read or write
/// timer that may have started): where a partial move in the expansion would keep a second copy of each
/// operation in the state machine, which the test stream's plain operation types do not show.
mod net {
    use std::io;
    echo_both_ways!(coro::net::TcpStream);
}

/// A larger handler: parsing, a map, formatting, several suspension points.
#[coro::coroutine]
fn http(mut stream: TcpStream) -> io::Result<usize> {
    let mut buf = [0u8; 1024];
    let mut request = Vec::new();
    loop {
        let n = stream.read(&mut buf)?;
        if n == 0 {
            break;
        }
        request.extend_from_slice(&buf[..n]);
        if request.windows(4).any(|w| w == b"\r\n\r\n") {
            break;
        }
    }
    let text = String::from_utf8_lossy(&request).into_owned();
    let mut lines = text.split("\r\n");
    let mut parts = lines.next().unwrap_or("").split(' ');
    let method = parts.next().unwrap_or("").to_string();
    let path = parts.next().unwrap_or("/").to_string();
    let mut headers: HashMap<String, String> = HashMap::new();
    for line in lines {
        if let Some((name, value)) = line.split_once(':') {
            headers.insert(name.trim().to_ascii_lowercase(), value.trim().to_string());
        }
    }
    let body = format!("{} {} ({} headers)\n", method, path, headers.len());
    let status = if method == "GET" { "200 OK" } else { "405 Method Not Allowed" };
    let head = format!("HTTP/1.1 {}\r\nContent-Length: {}\r\n\r\n", status, body.len());
    stream.write_all(head.as_bytes())?;
    stream.write_all(body.as_bytes())?;
    Ok(head.len() + body.len())
}

async fn http_by_hand(mut stream: TcpStream) -> io::Result<usize> {
    let mut buf = [0u8; 1024];
    let mut request = Vec::new();
    loop {
        let n = stream.read(&mut buf).await?;
        if n == 0 {
            break;
        }
        request.extend_from_slice(&buf[..n]);
        if request.windows(4).any(|w| w == b"\r\n\r\n") {
            break;
        }
    }
    let text = String::from_utf8_lossy(&request).into_owned();
    let mut lines = text.split("\r\n");
    let mut parts = lines.next().unwrap_or("").split(' ');
    let method = parts.next().unwrap_or("").to_string();
    let path = parts.next().unwrap_or("/").to_string();
    let mut headers: HashMap<String, String> = HashMap::new();
    for line in lines {
        if let Some((name, value)) = line.split_once(':') {
            headers.insert(name.trim().to_ascii_lowercase(), value.trim().to_string());
        }
    }
    let body = format!("{} {} ({} headers)\n", method, path, headers.len());
    let status = if method == "GET" { "200 OK" } else { "405 Method Not Allowed" };
    let head = format!("HTTP/1.1 {}\r\nContent-Length: {}\r\n\r\n", status, body.len());
    stream.write_all(head.as_bytes()).await?;
    stream.write_all(body.as_bytes()).await?;
    Ok(head.len() + body.len())
}

/// A big local alive only across plain calls must not be saved in the state machine.
#[coro::coroutine]
fn big_local(mut stream: TcpStream) -> io::Result<u64> {
    let mut total = 0;
    {
        let table = [7u8; 2048];
        total += checksum(&table);
        total += checksum(&table[..100]);
    }
    stream.write_all(b"x")?;
    Ok(total)
}

async fn big_local_by_hand(mut stream: TcpStream) -> io::Result<u64> {
    let mut total = 0;
    {
        let table = [7u8; 2048];
        total += checksum(&table);
        total += checksum(&table[..100]);
    }
    stream.write_all(b"x").await?;
    Ok(total)
}

fn checksum(bytes: &[u8]) -> u64 {
    bytes.iter().map(|&b| u64::from(b)).sum()
}

/// An `Rc` alive across a suspension makes both versions `!Send`.
#[coro::coroutine]
fn holds_rc(mut stream: TcpStream) -> io::Result<usize> {
    let shared = Rc::new(5);
    stream.write_all(b"x")?;
    Ok(*shared)
}

async fn holds_rc_by_hand(mut stream: TcpStream) -> io::Result<usize> {
    let shared = Rc::new(5);
    stream.write_all(b"x").await?;
    Ok(*shared)
}

/// An `Rc` alive only across a plain call keeps both versions `Send`.
#[coro::coroutine]
fn rc_before_suspension(mut stream: TcpStream) -> io::Result<usize> {
    let n = {
        let shared = Rc::new(5);
        checksum(&[*shared])
    };
    stream.write_all(b"x")?;
    Ok(n as usize)
}

async fn rc_before_suspension_by_hand(mut stream: TcpStream) -> io::Result<usize> {
    let n = {
        let shared = Rc::new(5);
        checksum(&[*shared])
    };
    stream.write_all(b"x").await?;
    Ok(n as usize)
}

/// The size of the future `f` returns, without a value to call it with (a socket needs a runtime).
fn returned_size<A, F>(_: fn(A) -> F) -> usize {
    std::mem::size_of::<F>()
}

#[test]
fn same_size_as_hand_written_over_real_sockets() {
    assert_eq!(returned_size(net::echo), returned_size(net::echo_by_hand));
}

#[test]
fn same_size_as_hand_written() {
    assert_eq!(size_of_val(&echo(stream())), size_of_val(&echo_by_hand(stream())));
    assert_eq!(size_of_val(&http(stream())), size_of_val(&http_by_hand(stream())));
    assert_eq!(size_of_val(&big_local(stream())), size_of_val(&big_local_by_hand(stream())));
    // The state machine holds the 4 KiB buffer, not a second copy; the big local is not saved at all.
    assert!(size_of_val(&echo(stream())) < 4096 + 256);
    assert!(size_of_val(&big_local(stream())) < 1024);
}

#[test]
fn send_exactly_when_hand_written_is() {
    assert!(is_send!(echo(stream())));
    assert!(is_send!(http(stream())));
    assert!(is_send!(rc_before_suspension(stream())));
    assert!(is_send!(rc_before_suspension_by_hand(stream())));
    assert!(!is_send!(holds_rc_by_hand(stream())));
    assert!(!is_send!(holds_rc(stream())));
}

#[test]
fn same_results_as_hand_written() {
    use coro::block_on;
    assert_eq!(block_on(http(stream())).unwrap(), block_on(http_by_hand(stream())).unwrap());
    assert_eq!(block_on(big_local(stream())).unwrap(), block_on(big_local_by_hand(stream())).unwrap());
    assert_eq!(block_on(holds_rc(stream())).unwrap(), block_on(holds_rc_by_hand(stream())).unwrap());
}
