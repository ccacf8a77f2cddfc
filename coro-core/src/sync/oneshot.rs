//! A channel for sending one value between tasks.
//!
//! # Design
//!
//! One allocation (an `Arc`) holds a state word, the value slot and the receiver's waker slot. Ownership of
//! the two slots is handed over by the state word, with the same discipline as a task's join waker:
//!
//! - `VALUE_SENT`: the sender wrote the value; from then on the slot belongs to the receiver.
//! - `TX_CLOSED`: the sender was dropped without sending.
//! - `RX_CLOSED`: the receiver was dropped; `send` gives the value back.
//! - `RX_WAKER_SET`: the waker slot holds the receiver's waker; the sender may read it (to wake) and the
//!   receiver must clear the flag (a CAS that fails once the sender is done) before replacing it.
//!
//! So `send` never blocks and never allocates, and `recv` registers its waker at most once per distinct
//! waker. With `T = ()` the whole channel is 48 bytes.

use crate::Suspend;
use crate::loom::{Arc, AtomicUsize, Ordering::*, UnsafeCell};
use crate::runtime::coop;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, Waker, ready};

const RX_WAKER_SET: usize = 1;
const VALUE_SENT: usize = 2;
const TX_CLOSED: usize = 4;
const RX_CLOSED: usize = 8;

struct Inner<T> {
    state: AtomicUsize,
    value: UnsafeCell<Option<T>>,
    rx_waker: UnsafeCell<Option<Waker>>,
}

// SAFETY: the slots are handed between the two sides by the state word; the value crosses threads, hence
// `T: Send`.
unsafe impl<T: Send> Send for Inner<T> {}
// SAFETY: as above.
unsafe impl<T: Send> Sync for Inner<T> {}

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
    let inner = Arc::new(Inner {
        state: AtomicUsize::new(0),
        value: UnsafeCell::new(None),
        rx_waker: UnsafeCell::new(None),
    });
    (Sender { inner: Some(inner.clone()) }, Receiver { inner: Some(inner) })
}

/// The sending half. Sending consumes it; dropping it unsent closes the channel.
pub struct Sender<T> {
    inner: Option<Arc<Inner<T>>>,
}

/// The receiving half. [`recv`](Receiver::recv) is the operation that waits.
pub struct Receiver<T> {
    inner: Option<Arc<Inner<T>>>,
}

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

impl<T> Sender<T> {
    /// Sends the value, waking the receiver. Fails, giving the value back, if the receiver is gone.
    pub fn send(mut self, value: T) -> Result<(), T> {
        let inner = self.inner.take().expect("sender used after send");
        if inner.state.load(Acquire) & RX_CLOSED != 0 {
            return Err(value);
        }
        // SAFETY: until `VALUE_SENT` is set the value slot belongs to the sender, and there is one sender.
        inner.value.with_mut(|slot| unsafe { *slot = Some(value) });
        let mut state = inner.state.load(Acquire);
        loop {
            if state & RX_CLOSED != 0 {
                // SAFETY: `VALUE_SENT` was not set: the slot is still ours.
                let value = inner.value.with_mut(|slot| unsafe { (*slot).take() });
                return Err(value.expect("value just written"));
            }
            match inner.state.compare_exchange_weak(state, state | VALUE_SENT, AcqRel, Acquire) {
                Ok(_) => break,
                Err(actual) => state = actual,
            }
        }
        if state & RX_WAKER_SET != 0 {
            // SAFETY: `RX_WAKER_SET` was set when we set `VALUE_SENT`: the slot holds the receiver's waker, and
            // the receiver can no longer replace it (its CAS fails once `VALUE_SENT` is set).
            inner.rx_waker.with(|waker| {
                // SAFETY: as above: shared read access to the slot.
                if let Some(waker) = unsafe { &*waker } {
                    waker.wake_by_ref();
                }
            });
        }
        Ok(())
    }

    /// Whether the receiver is gone (a `send` would fail).
    pub fn is_closed(&self) -> bool {
        self.inner.as_ref().is_none_or(|inner| inner.state.load(Acquire) & RX_CLOSED != 0)
    }
}

impl<T> Drop for Sender<T> {
    fn drop(&mut self) {
        let Some(inner) = self.inner.take() else { return };
        let prev = inner.state.fetch_or(TX_CLOSED, AcqRel);
        if prev & RX_WAKER_SET != 0 && prev & RX_CLOSED == 0 {
            // SAFETY: as in `send`: the receiver cannot replace the waker once `TX_CLOSED` is set.
            inner.rx_waker.with(|waker| {
                // SAFETY: as above: shared read access to the slot.
                if let Some(waker) = unsafe { &*waker } {
                    waker.wake_by_ref();
                }
            });
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
        let inner = self.inner.as_ref().ok_or(TryRecvError::Closed)?;
        let state = inner.state.load(Acquire);
        if state & VALUE_SENT != 0 {
            // SAFETY: `VALUE_SENT` hands the value slot to the receiver, and there is one receiver.
            let value = inner.value.with_mut(|slot| unsafe { (*slot).take() });
            self.inner = None;
            // The value was taken once; a second `try_recv` reports the channel closed.
            return value.ok_or(TryRecvError::Closed);
        }
        if state & TX_CLOSED != 0 {
            return Err(TryRecvError::Closed);
        }
        Err(TryRecvError::Empty)
    }

    fn poll_recv(&mut self, cx: &mut Context<'_>) -> Poll<Result<T, RecvError>> {
        let Some(inner) = self.inner.as_ref() else { return Poll::Ready(Err(RecvError)) };
        let mut state = inner.state.load(Acquire);
        if state & (VALUE_SENT | TX_CLOSED) == 0 {
            if state & RX_WAKER_SET != 0 {
                // SAFETY: reading the waker the receiver itself stored; the sender only reads it.
                let same =
                    inner.rx_waker.with(|w| unsafe { &*w }.as_ref().is_some_and(|w| w.will_wake(cx.waker())));
                if same {
                    return Poll::Pending;
                }
                match unset_flag(&inner.state, RX_WAKER_SET) {
                    Ok(()) => state &= !RX_WAKER_SET,
                    Err(actual) => state = actual,
                }
            }
            if state & (VALUE_SENT | TX_CLOSED) == 0 {
                // SAFETY: `RX_WAKER_SET` is clear: the slot is the receiver's.
                inner.rx_waker.with_mut(|w| unsafe { *w = Some(cx.waker().clone()) });
                match set_flag(&inner.state, RX_WAKER_SET) {
                    Ok(()) => return Poll::Pending,
                    Err(actual) => state = actual,
                }
            }
        }
        if state & VALUE_SENT != 0 {
            // SAFETY: `VALUE_SENT` hands the value slot to the receiver.
            let value = inner.value.with_mut(|slot| unsafe { (*slot).take() });
            self.inner = None;
            return Poll::Ready(value.ok_or(RecvError));
        }
        self.inner = None;
        Poll::Ready(Err(RecvError))
    }
}

/// Sets `flag` unless the sender is done (`VALUE_SENT` or `TX_CLOSED`), returning the state then.
fn set_flag(state: &AtomicUsize, flag: usize) -> Result<(), usize> {
    let mut curr = state.load(Acquire);
    loop {
        if curr & (VALUE_SENT | TX_CLOSED) != 0 {
            return Err(curr);
        }
        match state.compare_exchange_weak(curr, curr | flag, AcqRel, Acquire) {
            Ok(_) => return Ok(()),
            Err(actual) => curr = actual,
        }
    }
}

/// Clears `flag` unless the sender is done, returning the state then.
fn unset_flag(state: &AtomicUsize, flag: usize) -> Result<(), usize> {
    let mut curr = state.load(Acquire);
    loop {
        if curr & (VALUE_SENT | TX_CLOSED) != 0 {
            return Err(curr);
        }
        match state.compare_exchange_weak(curr, curr & !flag, AcqRel, Acquire) {
            Ok(_) => return Ok(()),
            Err(actual) => curr = actual,
        }
    }
}

impl<T> Drop for Receiver<T> {
    fn drop(&mut self) {
        let Some(inner) = self.inner.take() else { return };
        let prev = inner.state.fetch_or(RX_CLOSED, AcqRel);
        if prev & VALUE_SENT != 0 {
            // SAFETY: the value slot is the receiver's; drop the unreceived value here.
            let value = inner.value.with_mut(|slot| unsafe { (*slot).take() });
            drop(value);
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
    }

    #[test]
    fn unreceived_value_is_dropped() {
        let value = std::sync::Arc::new(());
        let (tx, rx) = channel();
        tx.send(value.clone()).unwrap();
        drop(rx);
        assert_eq!(std::sync::Arc::strong_count(&value), 1);
    }

    #[test]
    fn size_for_unit() {
        assert!(std::mem::size_of::<Inner<()>>() <= 40);
    }
}

#[cfg(all(test, loom))]
mod loom_tests {
    use super::*;
    use crate::loom::thread;
    use std::sync::atomic::AtomicBool;
    use std::task::Wake;

    struct Flag(AtomicBool);
    impl Wake for Flag {
        fn wake(self: std::sync::Arc<Self>) {
            self.0.store(true, SeqCst);
        }
    }

    /// A receiver polling while the sender sends: it gets the value at once or is woken.
    #[test]
    fn loom_oneshot_send_recv() {
        loom::model(|| {
            let (tx, rx) = channel::<usize>();
            let mut recv = rx.recv();
            let t = thread::spawn(move || tx.send(7).unwrap());
            let flag = std::sync::Arc::new(Flag(AtomicBool::new(false)));
            let waker = Waker::from(flag.clone());
            let mut cx = Context::from_waker(&waker);
            let first = Pin::new(&mut recv).poll(&mut cx);
            t.join().unwrap();
            match first {
                Poll::Ready(v) => assert_eq!(v, Ok(7)),
                Poll::Pending => {
                    assert!(flag.0.load(SeqCst), "lost wake-up");
                    assert_eq!(Pin::new(&mut recv).poll(&mut cx), Poll::Ready(Ok(7)));
                }
            }
        });
    }

    /// The receiver is dropped while the sender sends: the value is returned or dropped, never leaked.
    #[test]
    fn loom_oneshot_drop_receiver_race() {
        loom::model(|| {
            let (tx, rx) = channel::<std::sync::Arc<()>>();
            let value = std::sync::Arc::new(());
            let v2 = value.clone();
            let t = thread::spawn(move || drop(tx.send(v2)));
            drop(rx);
            t.join().unwrap();
            assert_eq!(std::sync::Arc::strong_count(&value), 1);
        });
    }
}
