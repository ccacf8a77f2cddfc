//! The traits for std's in-memory readers and writers, whose operations never suspend.
//!
//! Each operation is a [`Now`]: a future that runs a synchronous call when first polled (not when created,
//! so an operation that is never awaited does nothing, like every other). These impls delegate to std's, so
//! their results are exactly std's.

use super::{BufRead, Read, Write};
use coro_core::Suspend;
use std::collections::VecDeque;
use std::fmt;
use std::future::Future;
use std::io::{self, Cursor};
use std::pin::Pin;
use std::task::{Context, Poll};

/// An operation that completes on its first poll with the value of a synchronous call.
#[must_use = "an operation does nothing unless awaited"]
pub(crate) struct Now<F>(Option<F>);

/// Wraps a synchronous call as an operation that never suspends: it runs when first polled.
#[inline]
pub(crate) fn now<T, F: FnOnce() -> T>(call: F) -> Now<F> {
    Now(Some(call))
}

// `Now` never pins its call: it moves it out to run it.
impl<F> Unpin for Now<F> {}

impl<T, F: FnOnce() -> T> Future for Now<F> {
    type Output = T;

    #[inline]
    fn poll(mut self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<T> {
        let call = self.0.take().expect("an operation polled after it completed");
        Poll::Ready(call())
    }
}

impl<T, F: FnOnce() -> T> Suspend for Now<F> {}

impl<F> fmt::Debug for Now<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(if self.0.is_some() { "Now(pending)" } else { "Now(done)" })
    }
}

/// `Read` (and `BufRead`) for types whose std impls never block, by delegation.
macro_rules! read_via_std {
    ($([$($generics:tt)*] $ty:ty),* $(,)?) => {$(
        impl<$($generics)*> Read for $ty {
            #[inline]
            fn read<'a>(&'a mut self, buf: &'a mut [u8]) -> impl Suspend<Output = io::Result<usize>> + 'a {
                now(move || io::Read::read(self, buf))
            }

            #[inline]
            fn read_exact(&mut self, buf: &mut [u8]) -> impl Suspend<Output = io::Result<()>> {
                now(move || io::Read::read_exact(self, buf))
            }

            #[inline]
            fn read_to_end(&mut self, buf: &mut Vec<u8>) -> impl Suspend<Output = io::Result<usize>> {
                now(move || io::Read::read_to_end(self, buf))
            }

            #[inline]
            fn read_to_string(&mut self, buf: &mut String) -> impl Suspend<Output = io::Result<usize>> {
                now(move || io::Read::read_to_string(self, buf))
            }
        }
    )*};
}

macro_rules! buf_read_via_std {
    ($([$($generics:tt)*] $ty:ty),* $(,)?) => {$(
        impl<$($generics)*> BufRead for $ty {
            #[inline]
            fn fill_buf<'a>(&'a mut self) -> impl Suspend<Output = io::Result<&'a [u8]>> + 'a {
                now(move || io::BufRead::fill_buf(self))
            }

            #[inline]
            fn consume(&mut self, amount: usize) {
                io::BufRead::consume(self, amount)
            }

            #[inline]
            fn read_until(&mut self, byte: u8, buf: &mut Vec<u8>) -> impl Suspend<Output = io::Result<usize>> {
                now(move || io::BufRead::read_until(self, byte, buf))
            }

            #[inline]
            fn read_line(&mut self, buf: &mut String) -> impl Suspend<Output = io::Result<usize>> {
                now(move || io::BufRead::read_line(self, buf))
            }
        }
    )*};
}

/// `Write` for types whose std impls never block, by delegation.
macro_rules! write_via_std {
    ($([$($generics:tt)*] $ty:ty),* $(,)?) => {$(
        impl<$($generics)*> Write for $ty {
            #[inline]
            fn write<'a>(&'a mut self, buf: &'a [u8]) -> impl Suspend<Output = io::Result<usize>> + 'a {
                now(move || io::Write::write(self, buf))
            }

            #[inline]
            fn flush(&mut self) -> impl Suspend<Output = io::Result<()>> {
                now(move || io::Write::flush(self))
            }

            #[inline]
            fn write_all(&mut self, buf: &[u8]) -> impl Suspend<Output = io::Result<()>> {
                now(move || io::Write::write_all(self, buf))
            }
        }
    )*};
}

read_via_std! {
    [] &[u8],
    [T: AsRef<[u8]>] Cursor<T>,
    [] VecDeque<u8>,
    [] io::Empty,
    [] io::Repeat,
}

buf_read_via_std! {
    [] &[u8],
    [T: AsRef<[u8]>] Cursor<T>,
    [] VecDeque<u8>,
    [] io::Empty,
}

write_via_std! {
    [] Vec<u8>,
    [] VecDeque<u8>,
    [] Cursor<Vec<u8>>,
    [] Cursor<&mut Vec<u8>>,
    [] Cursor<&mut [u8]>,
    [] Cursor<Box<[u8]>>,
    [] io::Sink,
    [] io::Empty,
}
