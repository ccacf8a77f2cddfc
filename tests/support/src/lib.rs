//! Test doubles and shared scaffolding for coro's own tests.
//!
//! [`TcpStream`] is an in-memory stream whose every operation returns `Pending` once (waking itself) before it
//! completes, so a test can count real suspensions with [`suspensions`]: the count proves which calls the
//! `#[coro::coroutine]` transform awaited. [`prelude`] holds what the compile-case corpus (`tests/ui`) uses.
//!
//! What the integration tests share: [`HANG`], the bound on waits that only a bug reaches, [`join_all`], and
//! [`on_1_and_2_workers!`], which runs each scenario on one worker and on two.

mod harness;

pub use harness::{HANG, join_all};

use std::cell::Cell;
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

thread_local! {
    static SUSPENSIONS: Cell<usize> = const { Cell::new(0) };
}

/// How many times an operation of this crate returned `Pending` on the current thread.
pub fn suspensions() -> usize {
    SUSPENSIONS.with(Cell::get)
}

/// Runs `f` and returns its result with the number of suspensions it caused.
pub fn count_suspensions<T>(f: impl FnOnce() -> T) -> (T, usize) {
    let before = suspensions();
    let result = f();
    (result, suspensions() - before)
}

/// Returns `true` (and wakes the task) the first time it is called for an operation.
fn suspend_once(suspended: &mut bool, cx: &mut Context<'_>) -> bool {
    if *suspended {
        return false;
    }
    *suspended = true;
    SUSPENSIONS.with(|count| count.set(count.get() + 1));
    cx.waker().wake_by_ref();
    true
}

/// An in-memory stream: reads return at most `chunk` bytes of its input, writes append to `output`.
#[derive(Debug)]
pub struct TcpStream {
    input: Vec<u8>,
    position: usize,
    chunk: usize,
    /// Everything written so far.
    pub output: Vec<u8>,
}

impl TcpStream {
    pub fn new(input: &[u8], chunk: usize) -> Self {
        TcpStream { input: input.to_vec(), position: 0, chunk, output: Vec::new() }
    }

    pub fn read<'a>(&'a mut self, buf: &'a mut [u8]) -> ReadFut<'a> {
        ReadFut { stream: self, buf, suspended: false }
    }

    pub fn write_all<'a>(&'a mut self, buf: &'a [u8]) -> WriteAllFut<'a> {
        WriteAllFut { stream: self, buf, suspended: false }
    }

    /// A plain method: never suspends.
    pub fn peer_addr(&self) -> String {
        "127.0.0.1:80".to_string()
    }
}

/// The operation returned by [`TcpStream::read`].
#[derive(Debug)]
pub struct ReadFut<'a> {
    stream: &'a mut TcpStream,
    buf: &'a mut [u8],
    suspended: bool,
}

impl Future for ReadFut<'_> {
    type Output = io::Result<usize>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        if suspend_once(&mut this.suspended, cx) {
            return Poll::Pending;
        }
        let stream = &mut *this.stream;
        let n = (stream.input.len() - stream.position).min(stream.chunk).min(this.buf.len());
        this.buf[..n].copy_from_slice(&stream.input[stream.position..stream.position + n]);
        stream.position += n;
        Poll::Ready(Ok(n))
    }
}

impl coro::Suspend for ReadFut<'_> {}

/// The operation returned by [`TcpStream::write_all`].
#[derive(Debug)]
pub struct WriteAllFut<'a> {
    stream: &'a mut TcpStream,
    buf: &'a [u8],
    suspended: bool,
}

impl Future for WriteAllFut<'_> {
    type Output = io::Result<()>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        if suspend_once(&mut this.suspended, cx) {
            return Poll::Pending;
        }
        this.stream.output.extend_from_slice(this.buf);
        Poll::Ready(Ok(()))
    }
}

impl coro::Suspend for WriteAllFut<'_> {}

/// A stream abstraction for generic coroutines (`fn f<S: Stream>(s: S)`).
pub trait Stream {
    fn read<'a>(&'a mut self, buf: &'a mut [u8]) -> impl coro::Suspend<Output = io::Result<usize>> + 'a;
    fn write_all<'a>(&'a mut self, buf: &'a [u8]) -> impl coro::Suspend<Output = io::Result<()>> + 'a;
}

impl Stream for TcpStream {
    fn read<'a>(&'a mut self, buf: &'a mut [u8]) -> impl coro::Suspend<Output = io::Result<usize>> + 'a {
        TcpStream::read(self, buf)
    }

    fn write_all<'a>(&'a mut self, buf: &'a [u8]) -> impl coro::Suspend<Output = io::Result<()>> + 'a {
        TcpStream::write_all(self, buf)
    }
}

/// What every compile case of `tests/ui` starts from.
pub mod prelude {
    pub use super::{ReadFut, Stream, TcpStream, WriteAllFut};
    pub use std::collections::HashMap;
    pub use std::io;

    pub fn takes_u64(x: u64) -> u64 {
        x
    }

    pub fn takes_u32(x: u32) -> u32 {
        x
    }

    #[derive(Default, Debug, PartialEq)]
    pub struct Foo {
        pub a: u32,
    }

    #[derive(Default, Debug, PartialEq)]
    pub struct Bar(pub u8);

    pub fn takes_bar(_: Bar) {}

    /// A call whose type only the context decides.
    pub fn make<T: Default>() -> T {
        T::default()
    }

    /// The canonical coroutine.
    #[coro::coroutine]
    pub fn echo(mut stream: TcpStream) -> io::Result<()> {
        let mut buf = [0u8; 64];
        loop {
            let n = stream.read(&mut buf)?;
            if n == 0 {
                return Ok(());
            }
            stream.write_all(&buf[..n])?;
        }
    }
}
