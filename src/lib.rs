//! # coro
//!
//! Write ordinary, synchronous-looking Rust; get the efficiency of stackless async.
//!
//! ```
//! use std::io;
//!
//! /// Stands in for a socket: every read suspends once before it completes.
//! struct Source(Vec<u8>);
//! impl Source {
//!     #[coro::coroutine]
//!     fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
//!         coro::yield_now(); // suspends the coroutine, never the thread
//!         let n = buf.len().min(self.0.len());
//!         buf[..n].copy_from_slice(&self.0[..n]);
//!         self.0.drain(..n);
//!         Ok(n)
//!     }
//! }
//!
//! #[coro::coroutine]
//! fn total(mut source: Source) -> io::Result<usize> {
//!     let mut buf = [0u8; 4];
//!     let mut total = 0;
//!     loop {
//!         let n = source.read(&mut buf)?; // a coroutine call: awaited in place
//!         if n == 0 {
//!             return Ok(total);
//!         }
//!         total += n;
//!     }
//! }
//!
//! assert_eq!(coro::block_on(total(Source(b"hello coro".to_vec()))).unwrap(), 10);
//! ```
//!
//! The crate re-exports the three parts of the runtime:
//! - [`coroutine`] and the other macros (`coro-macros`),
//! - the core: [`Suspend`], [`block_on`], [`wait`], [`nowait!`], [`yield_now`] (`coro-core`),
//! - networking under [`net`] (`coro-net`).

#[doc(inline)]
pub use coro_core::*;

pub use coro_macros::coroutine;

/// Networking types that mirror `std::net`; their methods suspend the calling coroutine.
#[doc(inline)]
pub use coro_net as net;
