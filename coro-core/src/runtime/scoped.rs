//! Setting a thread-local for the duration of a call: the runtime context of a worker thread, the budget of the
//! task being polled. The previous value comes back when the call returns or unwinds, so nested scopes (a
//! `block_on` inside a task, a budget inside a budget) restore what they found.

use std::cell::Cell;
use std::thread::LocalKey;

/// Runs `f` with `key` set to `value`, then restores the previous value.
#[inline]
pub(crate) fn set<T: Copy + 'static, R>(
    key: &'static LocalKey<Cell<T>>,
    value: T,
    f: impl FnOnce() -> R,
) -> R {
    struct Restore<T: Copy + 'static> {
        key: &'static LocalKey<Cell<T>>,
        previous: T,
    }
    impl<T: Copy + 'static> Drop for Restore<T> {
        fn drop(&mut self) {
            // `try_with`: during thread teardown the key may already be gone, and then there is nothing to restore.
            let _ = self.key.try_with(|cell| cell.set(self.previous));
        }
    }
    let previous = key.with(|cell| cell.replace(value));
    let _restore = Restore { key, previous };
    f()
}
