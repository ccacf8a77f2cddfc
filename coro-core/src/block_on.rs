//! Driving one coroutine to completion on the current thread.
//!
//! The thread polls the future, and when it is pending parks until the future's waker unparks it: there is no
//! busy loop and no timed wake-up. Each thread keeps one parker and its waker in a thread-local, so a
//! `block_on` allocates nothing after a thread's first; a nested `block_on` (called from inside the future
//! being driven) gets a parker of its own, so a wake meant for the outer one is never consumed by the inner.

use crossbeam_utils::sync::{Parker, Unparker};
use std::cell::RefCell;
use std::future::Future;
use std::pin::pin;
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};

/// Runs `future` to completion on the current thread and returns its output.
///
/// The thread sleeps while the future is pending and wakes when the future's waker is used, from any thread.
///
/// ```
/// let answer = coro_core::block_on(async { 6 * 7 });
/// assert_eq!(answer, 42);
/// ```
pub fn block_on<F: Future>(future: F) -> F::Output {
    thread_local! {
        static CACHED: RefCell<ThreadParker> = RefCell::new(ThreadParker::new());
    }
    CACHED.with(|cached| match cached.try_borrow_mut() {
        Ok(parker) => parker.run(future),
        // Re-entered from inside the future: the cached parker is in use.
        Err(_) => ThreadParker::new().run(future),
    })
}

/// A parker and the waker that unparks it.
struct ThreadParker {
    parker: Parker,
    waker: Waker,
}

struct Unpark(Unparker);

impl Wake for Unpark {
    fn wake(self: Arc<Self>) {
        self.0.unpark();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.0.unpark();
    }
}

impl ThreadParker {
    fn new() -> Self {
        let parker = Parker::new();
        let waker = Waker::from(Arc::new(Unpark(parker.unparker().clone())));
        ThreadParker { parker, waker }
    }

    fn run<F: Future>(&self, future: F) -> F::Output {
        let mut future = pin!(future);
        let mut cx = Context::from_waker(&self.waker);
        loop {
            if let Poll::Ready(output) = future.as_mut().poll(&mut cx) {
                return output;
            }
            // A wake that came during the poll left a token: `park` then returns at once.
            self.parker.park();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::block_on;
    use std::future::{Future, poll_fn};
    use std::sync::mpsc;
    use std::task::{Poll, Waker};
    use std::thread;

    /// A future that is pending until another thread wakes it once; it counts its polls.
    fn woken_from(waker_tx: mpsc::Sender<Waker>, polls: &mut u32) -> impl Future<Output = ()> + '_ {
        poll_fn(move |cx| {
            *polls += 1;
            if *polls == 1 {
                waker_tx.send(cx.waker().clone()).unwrap();
                Poll::Pending
            } else {
                Poll::Ready(())
            }
        })
    }

    #[test]
    fn sleeps_until_woken_from_another_thread() {
        let (waker_tx, waker_rx) = mpsc::channel::<Waker>();
        let waker = thread::spawn(move || waker_rx.recv().unwrap().wake());
        let mut polls = 0;
        block_on(woken_from(waker_tx, &mut polls));
        waker.join().unwrap();
        // Polled once before the wake and once after: never re-polled without a wake (no busy loop).
        assert_eq!(polls, 2);
    }

    #[test]
    fn a_wake_during_the_poll_is_not_lost() {
        let mut polls = 0;
        block_on(poll_fn(|cx| {
            polls += 1;
            if polls < 3 {
                cx.waker().wake_by_ref();
                Poll::Pending
            } else {
                Poll::Ready(())
            }
        }));
        assert_eq!(polls, 3);
    }

    #[test]
    fn nested_block_on_gets_a_parker_of_its_own() {
        let inner_polls = block_on(async {
            let (waker_tx, waker_rx) = mpsc::channel::<Waker>();
            let waker = thread::spawn(move || waker_rx.recv().unwrap().wake());
            let mut polls = 0;
            block_on(woken_from(waker_tx, &mut polls));
            waker.join().unwrap();
            polls
        });
        assert_eq!(inner_polls, 2);
    }
}
