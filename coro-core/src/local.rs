//! Coroutine-local storage: a value that follows a coroutine from worker to worker, declared with
//! [`coro_local!`](crate::coro_local).
//!
//! # Design
//!
//! A coroutine has no stack of its own to keep locals on, and it may resume on any worker, so a plain
//! thread-local would be shared by every coroutine that happens to run on a thread, and lost when one moves.
//! As tokio's `task_local!` does, the value lives in the future instead: [`LocalKey::scope`] wraps a future
//! and holds the value, and around each poll of the inner future it swaps the value into a thread-local slot
//! and swaps it back out afterwards (also when the poll unwinds). While the inner future runs, on whichever
//! worker, [`LocalKey::with`] finds the value in the slot; between polls the slot holds whatever it held
//! before, so two coroutines interleaved on one worker each see their own value, and code outside any scope
//! sees none (`with` panics, `try_with` errs): there is never a silent per-thread value.
//!
//! Scopes nest: an inner scope of the same key swaps its value over the outer one for the inner future's
//! polls and puts the outer one back after. The inner future is also dropped inside its scope, so its
//! destructors see the value. A spawned task is a new root: it does not inherit the spawner's values (pass
//! them on explicitly, as [`LocalKey::scope`] shows).

use crate::Suspend;
use std::cell::RefCell;
use std::fmt;
use std::future::Future;
use std::mem;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::thread;

/// Declares coroutine-local values, each a `static` [`LocalKey`].
///
/// ```
/// coro_core::coro_local! {
///     /// The id of the request being served.
///     static REQUEST_ID: u64;
///     pub static USER: String;
/// }
///
/// async fn handle() -> u64 {
///     coro_core::yield_now().await; // the value survives suspension, on whichever worker
///     REQUEST_ID.get()
/// }
///
/// assert_eq!(coro_core::block_on(REQUEST_ID.scope(7, handle())), 7);
/// assert!(REQUEST_ID.try_with(|id| *id).is_err()); // outside any scope
/// ```
///
/// Through the facade it is `coro::coro_local!`.
#[macro_export]
macro_rules! coro_local {
    () => {};
    ($(#[$attr:meta])* $vis:vis static $name:ident : $t:ty $(; $($rest:tt)*)?) => {
        $(#[$attr])*
        $vis static $name: $crate::local::LocalKey<$t> = {
            ::std::thread_local! {
                static __CORO_LOCAL: ::std::cell::RefCell<::std::option::Option<$t>> =
                    const { ::std::cell::RefCell::new(::std::option::Option::None) };
            }
            $crate::local::LocalKey::__new(__CORO_LOCAL, ::std::stringify!($name))
        };
        $($crate::coro_local! { $($rest)* })?
    };
}

/// A coroutine-local value, declared with [`coro_local!`](crate::coro_local).
///
/// The value is set for the duration of a future with [`scope`](LocalKey::scope) (or of a closure with
/// [`sync_scope`](LocalKey::sync_scope)) and read inside it with [`with`](LocalKey::with),
/// [`try_with`](LocalKey::try_with) or [`get`](LocalKey::get).
pub struct LocalKey<T: 'static> {
    slot: thread::LocalKey<RefCell<Option<T>>>,
    name: &'static str,
}

/// The value was read outside of any scope of its key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AccessError {
    name: &'static str,
}

impl fmt::Display for AccessError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "coroutine-local `{}` is not set here: it is only set inside `{0}.scope(..)`", self.name)
    }
}

impl std::error::Error for AccessError {}

/// Why a scope could not be entered.
enum EnterError {
    /// Inside `with` on the same key: the slot is borrowed.
    Borrowed,
    /// The thread is exiting and its thread-locals are gone.
    Destroyed,
}

impl<T: 'static> LocalKey<T> {
    #[doc(hidden)]
    pub const fn __new(slot: thread::LocalKey<RefCell<Option<T>>>, name: &'static str) -> Self {
        LocalKey { slot, name }
    }

    /// Runs `future` with the value set to `value`, on whichever worker each of its polls happens. The
    /// operation is [`Suspend`].
    ///
    /// Inside a `#[coro::coroutine]`, whose calls are awaited where they stand, pass the coroutine call
    /// unawaited with `nowait!`: `REQUEST_ID.scope(7, coro::nowait!(handle(req)))`.
    ///
    /// A task spawned inside the scope does not inherit the value; pass it on explicitly:
    ///
    /// ```ignore
    /// let id = REQUEST_ID.get();
    /// coro::spawn!(REQUEST_ID.scope(id, audit(req)));
    /// ```
    pub fn scope<F: Future>(&'static self, value: T, future: F) -> Scope<T, F> {
        Scope { key: self, slot: Some(value), future: Some(future) }
    }

    /// Runs `f` with the value set to `value`; for plain (non-suspending) code.
    ///
    /// ```
    /// coro_core::coro_local! { static DEPTH: u32; }
    ///
    /// let seen = DEPTH.sync_scope(1, || DEPTH.get() + DEPTH.sync_scope(2, || DEPTH.get()));
    /// assert_eq!(seen, 3);
    /// ```
    pub fn sync_scope<R>(&'static self, value: T, f: impl FnOnce() -> R) -> R {
        let mut slot = Some(value);
        self.enter(&mut slot, f).unwrap_or_else(|e| self.enter_failed(e))
    }

    /// Runs `f` with a reference to the value.
    ///
    /// # Panics
    ///
    /// Outside of any scope of this key, with a message naming it (a spawned task starts outside).
    pub fn with<R>(&'static self, f: impl FnOnce(&T) -> R) -> R {
        self.try_with(f).unwrap_or_else(|e| panic!("{e}"))
    }

    /// Runs `f` with a reference to the value, or fails outside of any scope of this key.
    pub fn try_with<R>(&'static self, f: impl FnOnce(&T) -> R) -> Result<R, AccessError> {
        let error = AccessError { name: self.name };
        self.slot
            .try_with(|slot| {
                // The slot is only borrowed mutably while a scope swaps values, which runs no user code.
                let value = slot.try_borrow().map_err(|_| error)?;
                value.as_ref().map(f).ok_or(error)
            })
            .unwrap_or(Err(error))
    }

    /// A clone of the value.
    ///
    /// # Panics
    ///
    /// Outside of any scope of this key, as [`with`](LocalKey::with).
    pub fn get(&'static self) -> T
    where
        T: Clone,
    {
        self.with(T::clone)
    }

    /// Swaps `slot` into the thread-local for the duration of `f`, and back out after (also on unwinding).
    fn enter<R>(&'static self, slot: &mut Option<T>, f: impl FnOnce() -> R) -> Result<R, EnterError> {
        struct SwapBack<'a, T: 'static> {
            key: &'static LocalKey<T>,
            slot: &'a mut Option<T>,
        }
        impl<T: 'static> Drop for SwapBack<'_, T> {
            fn drop(&mut self) {
                // Cannot fail: the swap in succeeded, and every borrow taken inside ended with `f`.
                let _ = self.key.swap(self.slot);
            }
        }
        self.swap(slot)?;
        let _back = SwapBack { key: self, slot };
        Ok(f())
    }

    fn swap(&'static self, slot: &mut Option<T>) -> Result<(), EnterError> {
        self.slot
            .try_with(|current| {
                let mut current = current.try_borrow_mut().map_err(|_| EnterError::Borrowed)?;
                mem::swap(slot, &mut *current);
                Ok(())
            })
            .unwrap_or(Err(EnterError::Destroyed))
    }

    fn enter_failed(&self, error: EnterError) -> ! {
        match error {
            EnterError::Borrowed => {
                panic!("cannot enter a scope of coroutine-local `{0}` inside `{0}.with(..)`", self.name)
            }
            EnterError::Destroyed => {
                panic!("cannot enter a scope of coroutine-local `{}` while the thread exits", self.name)
            }
        }
    }
}

/// The operation returned by [`LocalKey::scope`]: the inner future, run with the value set.
#[must_use = "a scope does nothing unless awaited"]
pub struct Scope<T: 'static, F> {
    key: &'static LocalKey<T>,
    /// The value while the inner future is not being polled.
    slot: Option<T>,
    /// `None` once it completed (it is dropped inside the scope).
    future: Option<F>,
}

impl<T: 'static, F: Future> Future for Scope<T, F> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        // SAFETY: `future` is structurally pinned: it is never moved out of the `Scope`, only dropped in
        // place (set to `None`), here and in `Drop`. `key` and `slot` are not pinned, and `Scope` is `Unpin`
        // only when `F` is (the auto trait).
        let this = unsafe { self.get_unchecked_mut() };
        // SAFETY: see above.
        let mut future = unsafe { Pin::new_unchecked(&mut this.future) };
        let key = this.key;
        let polled = key.enter(&mut this.slot, || {
            let inner = future.as_mut().as_pin_mut().expect("`Scope` polled after it completed");
            let res = inner.poll(cx);
            if res.is_ready() {
                // Dropped while the value is still set, so its destructors see it.
                future.set(None);
            }
            res
        });
        polled.unwrap_or_else(|e| key.enter_failed(e))
    }
}

impl<T: 'static, F: Future> Suspend for Scope<T, F> {}

impl<T: 'static, F> Drop for Scope<T, F> {
    fn drop(&mut self) {
        if self.future.is_some() {
            // Cancelled: drop the inner future inside the scope too. (If the scope cannot be entered, the
            // future is dropped after this, without the value.)
            let Scope { key, slot, future } = self;
            let _ = key.enter(slot, || *future = None);
        }
    }
}

impl<T: 'static> fmt::Debug for LocalKey<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LocalKey").field("name", &self.name).finish_non_exhaustive()
    }
}

impl<T: 'static, F> fmt::Debug for Scope<T, F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Scope").field("key", &self.key.name).finish_non_exhaustive()
    }
}
