//! Working with tasks: [`JoinSet`], a group of tasks joined as they finish, and [`id`], which task is
//! running.
//!
//! Spawning itself is at the crate root ([`spawn`](crate::spawn), [`spawn_local`](crate::spawn_local),
//! [`spawn_blocking`](crate::spawn_blocking)) and, for a runtime reached from outside, on
//! [`Handle`](crate::Handle).

mod join_set;

pub use join_set::{JoinNext, JoinSet};

use crate::runtime::worker;
use std::fmt;

/// A task's identity, unique among the tasks alive at a time (as tokio's: a finished task's id may be
/// given to a later one).
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Id(u64);

impl fmt::Display for Id {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl fmt::Debug for Id {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Id({})", self.0)
    }
}

/// The [`Id`] of the task being polled on this thread.
///
/// ```
/// coro_core::run(async {
///     let (tx, rx) = coro_core::sync::oneshot::channel();
///     let task = coro_core::spawn(async move {
///         let me = coro_core::task::id();
///         let _ = rx.recv().await; // both tasks are alive at once: their ids differ
///         me
///     });
///     let other = coro_core::spawn(async { coro_core::task::id() }).join().await.unwrap();
///     tx.send(()).unwrap();
///     assert_ne!(task.join().await.unwrap(), other);
///     assert_eq!(coro_core::task::try_id(), None); // the future given to `run` is not a task
/// });
/// ```
///
/// # Panics
///
/// Outside a task (on a plain thread, in the future given to `block_on`); see [`try_id`].
pub fn id() -> Id {
    try_id().expect("`coro::task::id` called outside a task")
}

/// The [`Id`] of the task being polled on this thread, or `None` outside a task (including on the blocking
/// pool's threads: a `spawn_blocking` closure has no `Id`).
pub fn try_id() -> Option<Id> {
    worker::with_current(|cx| match cx?.current_task.get() {
        0 => None,
        id => Some(Id(id)),
    })
}
