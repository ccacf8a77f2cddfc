//! A channel for sending one value between tasks.
//!
//! # Design
//!
//! One heap allocation, owned jointly by the two halves without an `Arc`:
//!
//! ```text
//! Inner<T>
//! +-----------------------------------------------------------------------+
//! | state     AtomicUsize: the flags below                                |
//! | value     UnsafeCell<MaybeUninit<T>>: the sent value (0 bytes for ()) |
//! | rx_waker  UnsafeCell<Option<Waker>>: the receiver's waker             |
//! +-----------------------------------------------------------------------+
//! ```
//!
//! With `T = ()` it is 24 bytes, the allocator's smallest chunk (32 bytes with glibc). The single state word
//! hands the two slots between the halves, with the same discipline as a task's join waker, and also counts
//! the two owners:
//!
//! - `VALUE`: the value slot holds the sent value. The sender owns the slot until it sets `VALUE`; from then
//!   on the receiver does (it clears `VALUE` as it takes the value).
//! - `TX_CLOSED`: the sender was dropped without sending. "The sender is done" means `VALUE | TX_CLOSED`.
//! - `RX_WAKER`: the waker slot holds the receiver's waker. While it is set and the sender is not done, both
//!   halves may read the slot, and the receiver must clear the flag (a CAS that fails once the sender is
//!   done) before replacing the waker. When the sender gets done with `RX_WAKER` set, it reads the slot to
//!   wake the receiver, which no longer touches it; with `RX_WAKER` clear the slot stays the receiver's.
//! - `TX_GONE`, `RX_GONE`: that half released the channel and will never touch it again. Each half sets its
//!   bit with one read-modify-write; the one that sees the other's bit already set frees the allocation,
//!   dropping the value if `VALUE` is still set and whatever waker is left in the slot. (This is the
//!   reference count of an `Arc` with two owners, folded into the flags.)
//!
//! So `send` never blocks and allocates nothing: one CAS that both publishes the value and releases the
//! sender when no receiver waits, plus, when one does, a `wake_by_ref` and a `fetch_or` to release. `recv`
//! registers its waker at most once per distinct waker, and taking the value releases the receiver in the
//! same `fetch_xor` that clears `VALUE`.

use crate::Suspend;
use crate::loom::{AtomicUsize, Ordering::*, UnsafeCell};
use crate::runtime::coop;
use std::fmt;
use std::future::Future;
use std::mem::MaybeUninit;
use std::pin::Pin;
use std::ptr::NonNull;
use std::task::{Context, Poll, Waker, ready};

const VALUE: usize = 1 << 0;
const TX_CLOSED: usize = 1 << 1;
const RX_WAKER: usize = 1 << 2;
const TX_GONE: usize = 1 << 3;
const RX_GONE: usize = 1 << 4;
/// The sender is done: it sent, or was dropped.
const TX_DONE: usize = VALUE | TX_CLOSED;

struct Inner<T> {
    state: AtomicUsize,
    value: UnsafeCell<MaybeUninit<T>>,
    rx_waker: UnsafeCell<Option<Waker>>,
}

/// The size of one channel's allocation (for the size tests).
#[cfg(all(test, not(loom)))]
pub(crate) fn allocation_size<T>() -> usize {
    std::mem::size_of::<Inner<T>>()
}

/// Creates a oneshot channel.
///
/// ```
/// use coro_core::sync::oneshot;
///
/// let (tx, rx) = oneshot::channel();
/// tx.send(7).unwrap();
/// assert_eq!(coro_core::block_on(rx.recv()), Ok(7));
/// ```
pub fn channel<T>() -> (Sender<T>, Receiver<T>) {
    let inner = Box::new(Inner {
        state: AtomicUsize::new(0),
        value: UnsafeCell::new(MaybeUninit::uninit()),
        rx_waker: UnsafeCell::new(None),
    });
    let ptr = NonNull::from(Box::leak(inner));
    (Sender { inner: Some(ptr) }, Receiver { inner: Some(ptr) })
}

/// The sending half. Sending consumes it; dropping it unsent closes the channel.
pub struct Sender<T> {
    /// `None` once released. `Inner<T>` holds `T` in an `UnsafeCell`, so the half is invariant in `T`, as it
    /// must be (a covariant sender could send a shorter-lived value than the receiver expects).
    inner: Option<NonNull<Inner<T>>>,
}

/// The receiving half. [`recv`](Receiver::recv) is the operation that waits.
pub struct Receiver<T> {
    /// `None` once released (the value was taken, or the closed channel reported).
    inner: Option<NonNull<Inner<T>>>,
}

// SAFETY: each half touches the shared allocation only through the state word and the slots the state word
// hands it (see the module docs); the value crosses threads, hence `T: Send`. `Waker` is `Send + Sync`.
unsafe impl<T: Send> Send for Sender<T> {}
// SAFETY: `&Sender` only offers `is_closed`, an atomic load.
unsafe impl<T: Send> Sync for Sender<T> {}
// SAFETY: as for `Sender`.
unsafe impl<T: Send> Send for Receiver<T> {}
// SAFETY: `&Receiver` offers nothing but `Debug`, which reads nothing shared.
unsafe impl<T: Send> Sync for Receiver<T> {}

/// The sender was dropped without sending.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RecvError;

/// Why [`Receiver::try_recv`] returned no value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TryRecvError {
    /// Nothing sent yet.
    Empty,
    /// The sender was dropped without sending.
    Closed,
}

impl fmt::Display for RecvError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("oneshot sender dropped without sending")
    }
}

impl std::error::Error for RecvError {}

impl fmt::Display for TryRecvError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TryRecvError::Empty => f.write_str("oneshot channel empty"),
            TryRecvError::Closed => f.write_str("oneshot sender dropped without sending"),
        }
    }
}

impl std::error::Error for TryRecvError {}

/// Frees the channel.
///
/// # Safety
/// Both halves have released it (`TX_GONE` and `RX_GONE`), and the caller's own release (or the load that
/// saw the other half's) synchronized with the other half's release (`Acquire`), so nothing else touches it.
unsafe fn dealloc<T>(ptr: NonNull<Inner<T>>) {
    // SAFETY: `channel` allocated it with `Box`, and the caller is its last owner.
    let inner = unsafe { Box::from_raw(ptr.as_ptr()) };
    if inner.state.load(Relaxed) & VALUE != 0 {
        // SAFETY: `VALUE` says the slot holds a value nobody took; we own it now. (If its drop panics, the
        // box is still freed by the unwinding, and `MaybeUninit` does not drop it twice.)
        inner.value.with_mut(|slot| unsafe { (*slot).assume_init_drop() });
    }
    // Dropping the box drops whatever waker is left in the slot.
    drop(inner);
}

/// Sets `TX_GONE` (the sender's release); frees the channel if the receiver is gone too.
///
/// # Safety
/// Called by the sender, once, and it touches the channel no more.
unsafe fn release_tx<T>(ptr: NonNull<Inner<T>>) {
    // SAFETY: the sender has not released yet, so the channel is alive.
    let prev = unsafe { ptr.as_ref() }.state.fetch_or(TX_GONE, AcqRel);
    if prev & RX_GONE != 0 {
        // SAFETY: both released; the `AcqRel` RMW synchronized with the receiver's release.
        unsafe { dealloc(ptr) };
    }
}

/// The sender's last step when it got done with `RX_WAKER` set: wakes the receiver, then releases.
///
/// # Safety
/// Called by the sender, once, after the CAS that got it done saw `RX_WAKER` set; it touches the channel no
/// more.
unsafe fn wake_rx_and_release<T>(ptr: NonNull<Inner<T>>) {
    // SAFETY: the sender has not released yet.
    let inner = unsafe { ptr.as_ref() };
    inner.rx_waker.with(|waker| {
        // SAFETY: `RX_WAKER` was set when the sender got done, so the slot holds the receiver's waker, which
        // the receiver no longer writes (its CAS fails once the sender is done): shared reads only.
        if let Some(waker) = unsafe { &*waker } {
            waker.wake_by_ref();
        }
    });
    // SAFETY: forwarded contract.
    unsafe { release_tx(ptr) };
}

/// Takes the sent value and releases the receiver.
///
/// # Safety
/// Called by the receiver, once, after it saw `VALUE` (with `Acquire`); it touches the channel no more.
unsafe fn take_value<T>(ptr: NonNull<Inner<T>>) -> T {
    // SAFETY: the receiver has not released yet.
    let inner = unsafe { ptr.as_ref() };
    // SAFETY: `VALUE` hands the initialized slot to the receiver, and it is read once (`VALUE` is cleared
    // next).
    let value = inner.value.with_mut(|slot| unsafe { (*slot).assume_init_read() });
    // `VALUE` is set and `RX_GONE` clear (only the receiver changes either now), so one `xor` empties the
    // slot and releases the receiver.
    let prev = inner.state.fetch_xor(VALUE | RX_GONE, AcqRel);
    debug_assert!(prev & VALUE != 0 && prev & RX_GONE == 0);
    if prev & TX_GONE != 0 {
        // SAFETY: both released; the `AcqRel` RMW synchronized with the sender's release.
        unsafe { dealloc(ptr) };
    }
    value
}

/// Sets `RX_GONE` without taking a value (a value sent meanwhile is dropped by whoever frees the channel).
///
/// # Safety
/// Called by the receiver, once; it touches the channel no more.
unsafe fn release_rx<T>(ptr: NonNull<Inner<T>>) {
    // SAFETY: the receiver has not released yet.
    let prev = unsafe { ptr.as_ref() }.state.fetch_or(RX_GONE, AcqRel);
    if prev & TX_GONE != 0 {
        // SAFETY: both released; the `AcqRel` RMW synchronized with the sender's release.
        unsafe { dealloc(ptr) };
    }
}

impl<T> Sender<T> {
    /// Sends the value, waking the receiver. Fails, giving the value back, if the receiver is gone.
    pub fn send(mut self, value: T) -> Result<(), T> {
        let ptr = self.inner.take().expect("sender used after send");
        // SAFETY: the sender has not released the channel, so it is alive.
        let inner = unsafe { ptr.as_ref() };
        let mut state = inner.state.load(Acquire);
        if state & RX_GONE != 0 {
            // SAFETY: the receiver released (the `Acquire` load synchronized with it): we are the last owner.
            unsafe { dealloc(ptr) };
            return Err(value);
        }
        // SAFETY: until `VALUE` is set the value slot belongs to the sender, and there is one sender.
        inner.value.with_mut(|slot| unsafe { (*slot).write(value) });
        loop {
            if state & RX_GONE != 0 {
                // SAFETY: `VALUE` was not set: the slot is still ours, and holds the value just written.
                let value = inner.value.with_mut(|slot| unsafe { (*slot).assume_init_read() });
                // SAFETY: the receiver released (`state` was read with `Acquire`); `VALUE` is clear, so the
                // value is not dropped again.
                unsafe { dealloc(ptr) };
                return Err(value);
            }
            // With no receiver's waker to wake, the sender releases the channel in the same CAS.
            let next = if state & RX_WAKER != 0 { state | VALUE } else { state | VALUE | TX_GONE };
            match inner.state.compare_exchange_weak(state, next, AcqRel, Acquire) {
                Ok(_) => break,
                Err(actual) => state = actual,
            }
        }
        if state & RX_WAKER != 0 {
            // SAFETY: the CAS that set `VALUE` saw `RX_WAKER`; the sender does nothing more.
            unsafe { wake_rx_and_release(ptr) };
        }
        Ok(())
    }

    /// Whether the receiver is gone (a `send` would fail).
    pub fn is_closed(&self) -> bool {
        self.inner.is_none_or(|ptr| {
            // SAFETY: the sender has not released the channel, so it is alive.
            unsafe { ptr.as_ref() }.state.load(Acquire) & RX_GONE != 0
        })
    }
}

impl<T> Drop for Sender<T> {
    fn drop(&mut self) {
        let Some(ptr) = self.inner.take() else { return };
        // SAFETY: the sender has not released the channel, so it is alive.
        let inner = unsafe { ptr.as_ref() };
        let mut state = inner.state.load(Acquire);
        loop {
            if state & RX_GONE != 0 {
                // SAFETY: the receiver released (`Acquire`): we are the last owner.
                unsafe { dealloc(ptr) };
                return;
            }
            // Close; release in the same CAS unless there is a waker to wake first.
            let next = if state & RX_WAKER != 0 { state | TX_CLOSED } else { state | TX_CLOSED | TX_GONE };
            match inner.state.compare_exchange_weak(state, next, AcqRel, Acquire) {
                Ok(_) => break,
                Err(actual) => state = actual,
            }
        }
        if state & RX_WAKER != 0 {
            // SAFETY: the CAS that set `TX_CLOSED` saw `RX_WAKER`; the sender does nothing more.
            unsafe { wake_rx_and_release(ptr) };
        }
    }
}

impl<T> Receiver<T> {
    /// Waits for the value. The operation is [`Suspend`]: inside a `#[coro::coroutine]` a plain
    /// `rx.recv()` suspends.
    pub fn recv(self) -> Recv<T> {
        Recv { rx: self }
    }

    /// Takes the value if it was sent, without waiting.
    pub fn try_recv(&mut self) -> Result<T, TryRecvError> {
        // The value was taken once: a second `try_recv` reports the channel closed.
        let ptr = self.inner.ok_or(TryRecvError::Closed)?;
        // SAFETY: the receiver has not released the channel, so it is alive.
        let state = unsafe { ptr.as_ref() }.state.load(Acquire);
        if state & VALUE != 0 {
            self.inner = None;
            // SAFETY: `VALUE` seen with `Acquire`; `inner` is cleared, so the receiver touches it no more.
            return Ok(unsafe { take_value(ptr) });
        }
        if state & TX_CLOSED != 0 {
            return Err(TryRecvError::Closed);
        }
        Err(TryRecvError::Empty)
    }

    fn poll_recv(&mut self, cx: &mut Context<'_>) -> Poll<Result<T, RecvError>> {
        let Some(ptr) = self.inner else { return Poll::Ready(Err(RecvError)) };
        // SAFETY: the receiver has not released the channel, so it is alive.
        let inner = unsafe { ptr.as_ref() };
        let mut state = inner.state.load(Acquire);
        if state & TX_DONE == 0 {
            if state & RX_WAKER != 0 {
                // SAFETY: `RX_WAKER` is set: the slot holds our waker, and the sender only ever reads it.
                let same =
                    inner.rx_waker.with(|w| unsafe { &*w }.as_ref().is_some_and(|w| w.will_wake(cx.waker())));
                if same {
                    return Poll::Pending;
                }
                // Take the slot back to replace the waker; fails once the sender is done (it may be reading).
                match update(&inner.state, |s| s & !RX_WAKER) {
                    Ok(()) => state &= !RX_WAKER,
                    Err(actual) => state = actual,
                }
            }
            if state & TX_DONE == 0 {
                // SAFETY: `RX_WAKER` is clear and the sender is not done: the slot is the receiver's.
                inner.rx_waker.with_mut(|w| unsafe { *w = Some(cx.waker().clone()) });
                match update(&inner.state, |s| s | RX_WAKER) {
                    Ok(()) => return Poll::Pending,
                    Err(actual) => {
                        // The sender got done first and saw no waker: the slot is still ours; free the
                        // waker now rather than with the channel.
                        // SAFETY: as above.
                        drop(inner.rx_waker.with_mut(|w| unsafe { (*w).take() }));
                        state = actual;
                    }
                }
            }
        }
        self.inner = None;
        if state & VALUE != 0 {
            // SAFETY: `VALUE` seen with `Acquire`; `inner` is cleared, so the receiver touches it no more.
            Poll::Ready(Ok(unsafe { take_value(ptr) }))
        } else {
            // SAFETY: as above; the sender was dropped unsent.
            unsafe { release_rx(ptr) };
            Poll::Ready(Err(RecvError))
        }
    }
}

/// Applies `f` to the state unless the sender is done, returning the state then.
fn update(state: &AtomicUsize, f: impl Fn(usize) -> usize) -> Result<(), usize> {
    let mut curr = state.load(Acquire);
    loop {
        if curr & TX_DONE != 0 {
            return Err(curr);
        }
        match state.compare_exchange_weak(curr, f(curr), AcqRel, Acquire) {
            Ok(_) => return Ok(()),
            Err(actual) => curr = actual,
        }
    }
}

impl<T> Drop for Receiver<T> {
    fn drop(&mut self) {
        let Some(ptr) = self.inner.take() else { return };
        // SAFETY: the receiver has not released the channel, so it is alive.
        let state = unsafe { ptr.as_ref() }.state.load(Acquire);
        if state & VALUE != 0 {
            // An unreceived value: drop it here, on the receiver's thread (after releasing the channel).
            // SAFETY: `VALUE` seen with `Acquire`; the receiver touches the channel no more.
            drop(unsafe { take_value(ptr) });
        } else {
            // SAFETY: the receiver touches the channel no more.
            unsafe { release_rx(ptr) };
        }
    }
}

/// The operation returned by [`Receiver::recv`].
#[must_use = "recv does nothing unless awaited"]
pub struct Recv<T> {
    rx: Receiver<T>,
}

impl<T> Unpin for Recv<T> {}

impl<T> Future for Recv<T> {
    type Output = Result<T, RecvError>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let coop = ready!(coop::poll_proceed(cx));
        let res = self.rx.poll_recv(cx);
        if res.is_ready() {
            coop.made_progress();
        }
        res
    }
}

impl<T> Suspend for Recv<T> {}

impl<T> fmt::Debug for Sender<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sender").field("closed", &self.is_closed()).finish()
    }
}

impl<T> fmt::Debug for Receiver<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Receiver").finish_non_exhaustive()
    }
}

impl<T> fmt::Debug for Recv<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Recv").finish_non_exhaustive()
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;
    use crate::block_on;
    use crate::test_util::{Drops, counting_waker, poll};
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};

    #[test]
    fn send_then_recv() {
        let (tx, rx) = channel();
        tx.send(String::from("hi")).unwrap();
        assert_eq!(block_on(rx.recv()).unwrap(), "hi");
    }

    #[test]
    fn recv_then_send_from_another_thread() {
        let (tx, rx) = channel();
        let t = std::thread::spawn(move || tx.send(5u32).unwrap());
        assert_eq!(block_on(rx.recv()), Ok(5));
        t.join().unwrap();
    }

    #[test]
    fn sender_dropped() {
        let (tx, rx) = channel::<u8>();
        drop(tx);
        assert_eq!(block_on(rx.recv()), Err(RecvError));
    }

    #[test]
    fn receiver_dropped_gives_value_back() {
        let (tx, rx) = channel();
        assert!(!tx.is_closed());
        drop(rx);
        assert!(tx.is_closed());
        assert_eq!(tx.send(3), Err(3));
    }

    #[test]
    fn try_recv_states() {
        let (tx, mut rx) = channel();
        assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
        tx.send(1).unwrap();
        assert_eq!(rx.try_recv(), Ok(1));
        assert_eq!(rx.try_recv(), Err(TryRecvError::Closed));

        let (tx, mut rx) = channel::<u8>();
        drop(tx);
        assert_eq!(rx.try_recv(), Err(TryRecvError::Closed));
        assert_eq!(rx.try_recv(), Err(TryRecvError::Closed));
        assert_eq!(block_on(rx.recv()), Err(RecvError));
    }

    #[test]
    fn unreceived_value_is_dropped() {
        let value = Arc::new(());
        let (tx, rx) = channel();
        tx.send(value.clone()).unwrap();
        drop(rx);
        assert_eq!(Arc::strong_count(&value), 1);
    }

    /// Every order of send, receive and drop drops the value exactly once.
    #[test]
    fn value_dropped_exactly_once() {
        let drops = Arc::new(AtomicUsize::new(0));
        let new = || Drops(drops.clone());

        // Received, then dropped by the receiver's caller.
        let (tx, rx) = channel();
        tx.send(new()).unwrap_or_else(|_| panic!("receiver alive"));
        drop(block_on(rx.recv()).unwrap());
        assert_eq!(drops.load(SeqCst), 1);

        // Sent, never received: dropped with the receiver.
        let (tx, rx) = channel();
        tx.send(new()).unwrap_or_else(|_| panic!("receiver alive"));
        assert_eq!(drops.load(SeqCst), 1);
        drop(rx);
        assert_eq!(drops.load(SeqCst), 2);

        // Receiver gone first: handed back, not dropped by the channel.
        let (tx, rx) = channel();
        drop(rx);
        let back = tx.send(new()).expect_err("receiver gone");
        assert_eq!(drops.load(SeqCst), 2);
        drop(back);
        assert_eq!(drops.load(SeqCst), 3);

        // Receiver parked, then dropped after the send.
        let (tx, rx) = channel();
        let mut recv = rx.recv();
        let (_, waker) = counting_waker();
        assert!(poll(&mut recv, &waker).is_pending());
        tx.send(new()).unwrap_or_else(|_| panic!("receiver alive"));
        drop(recv);
        assert_eq!(drops.load(SeqCst), 4);
    }

    /// A parked receiver is woken by the send, and the channel frees its waker once both halves are gone.
    #[test]
    fn parked_receiver_is_woken_and_waker_freed() {
        let (tx, rx) = channel();
        let mut recv = rx.recv();
        let (count, waker) = counting_waker();
        assert!(poll(&mut recv, &waker).is_pending());
        // Polled again with the same waker: not cloned again.
        assert!(poll(&mut recv, &waker).is_pending());
        assert_eq!(Arc::strong_count(&count), 3); // `count`, `waker`, the slot
        tx.send(9u32).unwrap();
        assert_eq!(count.woken(), 1);
        assert_eq!(poll(&mut recv, &waker), Poll::Ready(Ok(9)));
        // Both halves released: the channel is freed, and the waker in its slot with it.
        assert_eq!(Arc::strong_count(&count), 2);
        // A completed `Recv` reports the channel closed.
        assert_eq!(poll(&mut recv, &waker), Poll::Ready(Err(RecvError)));
    }

    /// A receiver moved to another task replaces its waker: the new one is woken, the old one freed.
    #[test]
    fn new_waker_replaces_the_old() {
        let (tx, rx) = channel();
        let mut recv = rx.recv();
        let (old, old_waker) = counting_waker();
        let (new, new_waker) = counting_waker();
        assert!(poll(&mut recv, &old_waker).is_pending());
        assert!(poll(&mut recv, &new_waker).is_pending());
        assert_eq!(Arc::strong_count(&old), 2);
        tx.send(()).unwrap();
        assert_eq!((old.woken(), new.woken()), (0, 1));
        drop(recv);
        assert_eq!(Arc::strong_count(&new), 2);
    }

    /// The sender dropped while the receiver waits: woken, told closed, waker freed.
    #[test]
    fn sender_dropped_while_receiver_waits() {
        let (tx, rx) = channel::<u8>();
        let mut recv = rx.recv();
        let (count, waker) = counting_waker();
        assert!(poll(&mut recv, &waker).is_pending());
        drop(tx);
        assert_eq!(count.woken(), 1);
        assert_eq!(poll(&mut recv, &waker), Poll::Ready(Err(RecvError)));
        assert_eq!(Arc::strong_count(&count), 2);
    }

    /// The receiver dropped while parked: the sender gets its value back and the waker is freed.
    #[test]
    fn parked_receiver_dropped() {
        let (tx, rx) = channel();
        let mut recv = rx.recv();
        let (count, waker) = counting_waker();
        assert!(poll(&mut recv, &waker).is_pending());
        drop(recv);
        assert!(tx.is_closed());
        assert_eq!(tx.send(4), Err(4));
        assert_eq!(count.woken(), 0);
        assert_eq!(Arc::strong_count(&count), 2);
    }

    #[test]
    fn halves_are_send_and_sync() {
        fn check<T: Send + Sync>() {}
        check::<Sender<String>>();
        check::<Receiver<String>>();
        check::<Recv<String>>();
    }

    /// The idle-memory target counts on this: with `T = ()` the channel is the allocator's smallest chunk.
    #[test]
    fn size_for_unit() {
        #[cfg(target_pointer_width = "64")]
        assert_eq!(allocation_size::<()>(), 24);
        assert_eq!(std::mem::size_of::<Sender<()>>(), std::mem::size_of::<usize>());
        assert_eq!(std::mem::size_of::<Receiver<()>>(), std::mem::size_of::<usize>());
    }
}

#[cfg(all(test, loom))]
mod loom_tests {
    use super::*;
    use crate::loom::thread;
    use crate::test_util::{counting_waker, poll};
    use std::sync::Arc;

    /// A receiver polling while the sender sends: it gets the value at once or is woken. Afterwards the
    /// channel is freed (the waker it held is dropped).
    #[test]
    fn loom_oneshot_send_recv() {
        loom::model(|| {
            let (tx, rx) = channel::<usize>();
            let mut recv = rx.recv();
            let t = thread::spawn(move || tx.send(7).unwrap());
            let (count, waker) = counting_waker();
            let first = poll(&mut recv, &waker);
            t.join().unwrap();
            match first {
                Poll::Ready(v) => assert_eq!(v, Ok(7)),
                Poll::Pending => {
                    assert!(count.woken() > 0, "lost wake-up");
                    assert_eq!(poll(&mut recv, &waker), Poll::Ready(Ok(7)));
                }
            }
            drop(waker);
            assert_eq!(Arc::strong_count(&count), 1, "channel not freed");
        });
    }

    /// A parked receiver re-polled with a new waker while the sender sends: if it stays pending, the new
    /// waker is the one woken.
    #[test]
    fn loom_oneshot_new_waker_vs_send() {
        loom::model(|| {
            let (tx, rx) = channel::<usize>();
            let mut recv = rx.recv();
            let (old, old_waker) = counting_waker();
            assert!(poll(&mut recv, &old_waker).is_pending());
            let t = thread::spawn(move || tx.send(7).unwrap());
            let (new, new_waker) = counting_waker();
            let second = poll(&mut recv, &new_waker);
            t.join().unwrap();
            match second {
                Poll::Ready(v) => assert_eq!(v, Ok(7)),
                Poll::Pending => {
                    assert!(new.woken() > 0, "lost wake-up");
                    assert_eq!(poll(&mut recv, &new_waker), Poll::Ready(Ok(7)));
                }
            }
            drop((old_waker, new_waker));
            assert_eq!((Arc::strong_count(&old), Arc::strong_count(&new)), (1, 1), "waker leaked");
        });
    }

    /// The receiver is dropped while the sender sends: the value is returned or dropped, never leaked.
    #[test]
    fn loom_oneshot_drop_receiver_race() {
        loom::model(|| {
            let (tx, rx) = channel::<Arc<()>>();
            let value = Arc::new(());
            let v2 = value.clone();
            let t = thread::spawn(move || drop(tx.send(v2)));
            drop(rx);
            t.join().unwrap();
            assert_eq!(Arc::strong_count(&value), 1);
        });
    }

    /// A parked receiver is dropped while the sender sends (and maybe wakes it): value and waker are each
    /// dropped once, and the channel is freed by whichever half goes last.
    #[test]
    fn loom_oneshot_drop_parked_receiver_during_send() {
        loom::model(|| {
            let (tx, rx) = channel::<Arc<()>>();
            let value = Arc::new(());
            let v2 = value.clone();
            let mut recv = rx.recv();
            let (count, waker) = counting_waker();
            assert!(poll(&mut recv, &waker).is_pending());
            drop(waker);
            let t = thread::spawn(move || tx.send(v2).is_ok());
            drop(recv);
            let sent = t.join().unwrap();
            assert_eq!(Arc::strong_count(&value), 1, "value leaked");
            assert_eq!(Arc::strong_count(&count), 1, "channel not freed");
            if !sent {
                assert_eq!(count.woken(), 0, "woke a receiver that was gone");
            }
        });
    }

    /// The sender is dropped unsent while the receiver registers its waker: the receiver is told the channel
    /// is closed at once, or woken and then told.
    #[test]
    fn loom_oneshot_drop_sender_while_receiver_waits() {
        loom::model(|| {
            let (tx, rx) = channel::<usize>();
            let mut recv = rx.recv();
            let t = thread::spawn(move || drop(tx));
            let (count, waker) = counting_waker();
            let first = poll(&mut recv, &waker);
            t.join().unwrap();
            match first {
                Poll::Ready(v) => assert_eq!(v, Err(RecvError)),
                Poll::Pending => {
                    assert!(count.woken() > 0, "lost wake-up");
                    assert_eq!(poll(&mut recv, &waker), Poll::Ready(Err(RecvError)));
                }
            }
            drop(waker);
            assert_eq!(Arc::strong_count(&count), 1, "channel not freed");
        });
    }
}
