//! Synchronization between tasks.
//!
//! As everywhere in coro, handles are plain values and operations suspend: a [`oneshot::Sender`] or
//! [`oneshot::Receiver`] can be stored and moved; `rx.recv()` is the operation that suspends inside a
//! `#[coro::coroutine]`.

pub mod oneshot;
