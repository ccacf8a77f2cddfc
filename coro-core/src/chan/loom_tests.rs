//! Loom models of the channel's races. [`block_on`] parks the model's thread until its waker is used, so
//! a lost wake-up shows as a deadlock.

use super::*;
use crate::loom::thread;
use std::future::Future;
use std::pin::{Pin, pin};
use std::sync::atomic::{AtomicBool, Ordering::SeqCst};
use std::task::{Context, Poll, Wake, Waker};

struct Flag(AtomicBool);
impl Wake for Flag {
    fn wake(self: std::sync::Arc<Self>) {
        self.0.store(true, SeqCst);
    }
}
fn flag_waker() -> (std::sync::Arc<Flag>, Waker) {
    let flag = std::sync::Arc::new(Flag(AtomicBool::new(false)));
    (flag.clone(), Waker::from(flag))
}

struct Unpark(thread::Thread);
impl Wake for Unpark {
    fn wake(self: std::sync::Arc<Self>) {
        self.0.unpark();
    }
}

/// Drives `future` on the current model thread, parking (as loom sees it) while it is pending.
fn block_on<F: Future>(future: F) -> F::Output {
    let waker = Waker::from(std::sync::Arc::new(Unpark(thread::current())));
    let mut future = pin!(future);
    loop {
        if let Poll::Ready(output) = future.as_mut().poll(&mut Context::from_waker(&waker)) {
            return output;
        }
        thread::park();
    }
}

fn poll<F: Future + Unpin>(fut: &mut F, waker: &Waker) -> Poll<F::Output> {
    Pin::new(fut).poll(&mut Context::from_waker(waker))
}

/// A sender fills a one-slot channel twice and drops its half while the receiver drains it: both values
/// arrive, in order, then the close.
#[test]
fn loom_chan_send_recv_close() {
    loom::model(|| {
        let (tx, rx) = bounded(1);
        let t = thread::spawn(move || {
            block_on(tx.send(1)).unwrap();
            block_on(tx.send(2)).unwrap();
        });
        assert_eq!(block_on(rx.recv()), Ok(1));
        assert_eq!(block_on(rx.recv()), Ok(2));
        assert_eq!(block_on(rx.recv()), Err(RecvError));
        t.join().unwrap();
    });
}

/// A send races a close: either it was sent (and is received) or it comes back; never both, never lost.
#[test]
fn loom_chan_send_races_close() {
    loom::model(|| {
        let (tx, rx) = bounded(1);
        let t = thread::spawn(move || block_on(tx.send(7)));
        rx.close();
        let sent = t.join().unwrap();
        match sent {
            Ok(()) => assert_eq!(rx.try_recv(), Ok(7)),
            Err(SendError(back)) => {
                assert_eq!(back, 7);
                assert_eq!(rx.try_recv(), Err(TryRecvError::Closed));
            }
        }
    });
}

/// A rendezvous send completes only with a receiver waiting, and hands its value to it.
#[test]
fn loom_chan_rendezvous_handoff() {
    loom::model(|| {
        let (tx, rx) = bounded(0);
        let t = thread::spawn(move || block_on(tx.send(3)).unwrap());
        assert_eq!(block_on(rx.recv()), Ok(3));
        assert_eq!(block_on(rx.recv()), Err(RecvError));
        t.join().unwrap();
    });
}

/// A waiting rendezvous receiver is dropped while a sender hands it a value: the value goes to the next
/// receiver (or the sender waits for it), never lost.
#[test]
fn loom_chan_rendezvous_cancelled_receiver() {
    loom::model(|| {
        let (tx, rx) = bounded(0);
        let (_, waker) = flag_waker();
        let mut first = rx.recv();
        assert!(poll(&mut first, &waker).is_pending());
        let t = thread::spawn(move || block_on(tx.send(5)).unwrap());
        drop(first);
        assert_eq!(block_on(rx.recv()), Ok(5));
        t.join().unwrap();
    });
}

/// Select cancellation: of two parked receivers, the one a send notifies may be dropped without running
/// (a `select!` branch that lost); the notification passes to the other, which gets the value.
#[test]
fn loom_chan_select_cancellation() {
    loom::model(|| {
        let (tx, rx) = bounded(1);
        let (_, waker_a) = flag_waker();
        let (flag_b, waker_b) = flag_waker();
        let mut a = rx.recv();
        let mut b = rx.recv();
        assert!(poll(&mut a, &waker_a).is_pending());
        assert!(poll(&mut b, &waker_b).is_pending());
        // A clone: the last sender's drop would close the channel, which wakes every receiver anyway.
        let tx2 = tx.clone();
        let t = thread::spawn(move || tx2.try_send(9).unwrap());
        drop(a);
        t.join().unwrap();
        assert!(flag_b.0.load(SeqCst), "the message is stranded: the second receiver was never woken");
        assert_eq!(poll(&mut b, &waker_b), Poll::Ready(Ok(9)));
        drop(tx);
    });
}

/// The send-side twin: of two parked senders, the one a freed slot notifies is dropped without running;
/// the room passes to the other.
#[test]
fn loom_chan_cancelled_sender_passes_room_on() {
    loom::model(|| {
        let (tx, rx) = bounded(1);
        tx.try_send(0).unwrap();
        let (_, waker_a) = flag_waker();
        let (flag_b, waker_b) = flag_waker();
        let mut a = tx.send(1);
        let mut b = tx.send(2);
        assert!(poll(&mut a, &waker_a).is_pending());
        assert!(poll(&mut b, &waker_b).is_pending());
        let rx2 = rx.clone();
        let t = thread::spawn(move || rx2.try_recv().unwrap());
        drop(a);
        assert_eq!(t.join().unwrap(), 0);
        assert!(flag_b.0.load(SeqCst), "the free slot is stranded: the second sender was never woken");
        assert_eq!(poll(&mut b, &waker_b), Poll::Ready(Ok(())));
        assert_eq!(rx.try_recv(), Ok(2));
    });
}

/// Two senders wait for room in a full one-slot channel; each freed slot wakes one of them.
#[test]
fn loom_chan_capacity_waiters() {
    loom::model(|| {
        let (tx, rx) = bounded(1);
        tx.try_send(0).unwrap();
        let tx2 = tx.clone();
        let t1 = thread::spawn(move || block_on(tx.send(1)).unwrap());
        let t2 = thread::spawn(move || block_on(tx2.send(2)).unwrap());
        let mut got = [0; 3];
        for slot in &mut got {
            *slot = block_on(rx.recv()).unwrap();
        }
        t1.join().unwrap();
        t2.join().unwrap();
        assert_eq!(got[0], 0);
        got.sort_unstable();
        assert_eq!(got, [0, 1, 2]);
        assert_eq!(rx.try_recv(), Err(TryRecvError::Closed));
    });
}

/// A broadcast send races a receiver parking: it gets the value.
#[test]
fn loom_broadcast_send_wakes_receiver() {
    loom::model(|| {
        let (tx, mut rx) = broadcast::channel(1);
        let t = thread::spawn(move || tx.send(4).unwrap());
        assert_eq!(block_on(rx.recv()), Ok(4));
        assert_eq!(block_on(rx.recv()), Err(broadcast::RecvError::Closed));
        t.join().unwrap();
    });
}
