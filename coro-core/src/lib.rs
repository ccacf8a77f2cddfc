//! The engine of coro: what a coroutine is to the type system, and what drives it.
//!
//! A `#[coro::coroutine]` function is an ordinary `async` body whose suspension points were inserted by the
//! macro. This crate owns the vocabulary the macro and the user share:
//!
//! - [`Suspend`]: the marker that says "a call producing this value suspends the coroutine". The macro awaits
//!   exactly the calls whose value implements it; everything else passes through untouched.
//! - [`wait`] and [`nowait!`]: the two escape hatches, to await a stored coroutine and to keep a call
//!   unawaited.
//! - [`block_on`]: drive one coroutine to completion on the current thread.
//! - [`yield_now`]: give other coroutines a turn.
//! - [`sync`]: mutexes, semaphores and the other primitives; [`coro_local!`]: coroutine-local storage.
//! - [`chan`]: Go-style channels between coroutines (and plain threads).
//! - [`Runtime`], [`spawn`], [`JoinHandle`]: the work-stealing scheduler, without I/O (`coro::Runtime` is
//!   this scheduler with `coro-net`'s reactor installed); its design is in the module headers of
//!   `src/runtime/`.
//! - [`task`]: [`JoinSet`](task::JoinSet) and the current task's [`id`](task::id); [`Handle`]: a runtime
//!   reached from any thread.
//!
//! The per-call classification machinery used by the macro's expansion lives in the hidden `__private`
//! module, and the hooks through which `coro-net`'s reactor plugs into the runtime in the hidden
//! `rt_internal` module; neither is a public API.

#![warn(missing_docs)]

mod block_on;
pub mod chan;
pub mod local;
mod loom;
mod runtime;
mod suspend;
pub mod sync;
pub mod task;
#[cfg(test)]
mod test_util;
mod wait_list;
mod yield_now;

#[doc(hidden)]
pub mod __private;
#[doc(hidden)]
pub mod rt_internal;

pub use block_on::block_on;
pub use runtime::{
    Builder, Join, JoinError, JoinHandle, Runtime, Spawnable, run, spawn, spawn_blocking, spawn_local,
};
pub use runtime::{Handle, RuntimeMetrics};
pub use suspend::{Suspend, wait};
pub use yield_now::{YieldNow, yield_now};
