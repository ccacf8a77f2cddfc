use super::*;
use crate::block_on;
use crate::test_util::{Drops, counting_waker, park, poll};
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::task::{Poll, Waker};

#[test]
fn try_send_try_recv_and_capacity() {
    let (tx, rx) = bounded(2);
    assert_eq!((tx.capacity(), rx.capacity()), (Some(2), Some(2)));
    assert!(rx.is_empty());
    assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
    tx.try_send(1).unwrap();
    tx.try_send(2).unwrap();
    assert_eq!(tx.try_send(3), Err(TrySendError::Full(3)));
    assert_eq!((tx.len(), rx.len()), (2, 2));
    assert_eq!(rx.try_recv(), Ok(1));
    tx.try_send(3).unwrap();
    assert_eq!(rx.try_recv(), Ok(2));
    assert_eq!(rx.try_recv(), Ok(3));
    assert_eq!(bounded::<()>(0).0.capacity(), Some(0));
}

#[test]
fn close_from_either_half() {
    for close_on_sender in [true, false] {
        let (tx, rx) = bounded(4);
        tx.try_send(1).unwrap();
        tx.try_send(2).unwrap();
        let closed = if close_on_sender { tx.close() } else { rx.close() };
        assert!(closed);
        assert!(!tx.close(), "closed twice");
        assert!(tx.is_closed() && rx.is_closed());
        assert_eq!(tx.try_send(3), Err(TrySendError::Closed(3)));
        assert_eq!(block_on(tx.send(4)), Err(SendError(4)));
        // Buffered values are still received, then the channel reports closed.
        assert_eq!(block_on(rx.recv()), Ok(1));
        assert_eq!(rx.try_recv(), Ok(2));
        assert_eq!(rx.try_recv(), Err(TryRecvError::Closed));
        assert_eq!(block_on(rx.recv()), Err(RecvError));
    }
}

#[test]
fn last_sender_dropped_closes_after_drain() {
    let (tx, rx) = unbounded();
    let tx2 = tx.clone();
    tx.try_send(1).unwrap();
    drop(tx);
    assert!(!rx.is_closed());
    tx2.try_send(2).unwrap();
    drop(tx2);
    assert!(rx.is_closed());
    assert_eq!(rx.try_recv(), Ok(1));
    assert_eq!(block_on(rx.recv()), Ok(2));
    assert_eq!(block_on(rx.recv()), Err(RecvError));
}

#[test]
fn last_receiver_dropped_closes_and_drops_buffered_values() {
    let drops = Arc::new(AtomicUsize::new(0));
    let (tx, rx) = bounded(4);
    let rx2 = rx.clone();
    tx.try_send(Drops(drops.clone())).unwrap_or_else(|_| panic!("open"));
    tx.try_send(Drops(drops.clone())).unwrap_or_else(|_| panic!("open"));
    drop(rx);
    assert!(!tx.is_closed());
    drop(rx2);
    assert!(tx.is_closed());
    assert_eq!(drops.load(SeqCst), 2);
    let back = tx.try_send(Drops(drops.clone())).unwrap_err().into_inner();
    assert_eq!(drops.load(SeqCst), 2, "handed back, not dropped");
    drop(back);
}

#[test]
fn parked_operations_are_woken() {
    let (tx, rx) = bounded(1);
    let (count, waker) = counting_waker();
    let mut recv = rx.recv();
    assert!(poll(&mut recv, &waker).is_pending());
    // Polled again with the same waker: parked once, the waker not cloned again.
    assert!(poll(&mut recv, &waker).is_pending());
    assert_eq!(Arc::strong_count(&count), 3); // `count`, `waker`, the entry
    tx.try_send(7).unwrap();
    assert_eq!(count.woken(), 1);
    assert_eq!(poll(&mut recv, &waker), Poll::Ready(Ok(7)));
    drop(recv);
    assert_eq!(Arc::strong_count(&count), 2);

    // A sender parked on a full channel is woken by the receive that frees the slot.
    tx.try_send(1).unwrap();
    let mut send = tx.send(2);
    assert!(poll(&mut send, &waker).is_pending());
    assert_eq!(rx.try_recv(), Ok(1));
    assert_eq!(count.woken(), 2);
    assert_eq!(poll(&mut send, &waker), Poll::Ready(Ok(())));
    assert_eq!(rx.try_recv(), Ok(2));
}

#[test]
fn close_wakes_every_parked_operation() {
    let (tx, rx) = bounded::<u8>(0);
    let (count, waker) = counting_waker();
    let mut sends: Vec<_> = (0..40).map(|i| tx.send(i)).collect();
    for send in &mut sends {
        assert!(poll(send, &waker).is_pending());
    }
    let rx2 = rx.clone();
    let mut recvs = [rx.recv(), rx2.recv()];
    // The first receiver to park is room for a sender: that one was notified and completes.
    assert!(poll(&mut recvs[0], &waker).is_pending());
    assert_eq!(count.woken(), 1);
    assert_eq!(poll(&mut sends[0], &waker), Poll::Ready(Ok(())));
    assert_eq!(poll(&mut recvs[0], &waker), Poll::Ready(Ok(0)));
    assert!(poll(&mut recvs[1], &waker).is_pending());
    let before = count.woken();
    assert!(tx.close());
    // 39 senders (one was notified already, by the second receiver parking) and the receiver.
    assert_eq!(count.woken() - before, 39);
    for send in &mut sends[1..] {
        assert!(matches!(poll(send, &waker), Poll::Ready(Err(SendError(_)))));
    }
    assert_eq!(poll(&mut recvs[1], &waker), Poll::Ready(Err(RecvError)));
}

/// The select-cancellation rule: a notified receive dropped without completing passes the notification on.
#[test]
fn notified_recv_dropped_passes_the_wake_on() {
    let (tx, rx) = bounded(1);
    let mut a = rx.recv();
    let mut b = rx.recv();
    let (first, first_waker) = park(&mut a);
    let (second, second_waker) = park(&mut b);
    tx.try_send(5).unwrap();
    assert_eq!((first.woken(), second.woken()), (1, 0));
    drop(a);
    assert_eq!(second.woken(), 1);
    assert_eq!(poll(&mut b, &second_waker), Poll::Ready(Ok(5)));

    // A parked receive that was not notified is dropped without waking anyone.
    let mut c = rx.recv();
    assert!(poll(&mut c, &first_waker).is_pending());
    drop(c);
    assert_eq!((first.woken(), second.woken()), (1, 1));
    assert_eq!(rx.len(), 0);
}

#[test]
fn notified_send_dropped_passes_the_wake_on() {
    let drops = Arc::new(AtomicUsize::new(0));
    let (tx, rx) = bounded(1);
    tx.try_send(Drops(drops.clone())).unwrap_or_else(|_| panic!("room"));
    let mut a = tx.send(Drops(drops.clone()));
    let mut b = tx.send(Drops(drops.clone()));
    let (first, _) = park(&mut a);
    let (second, second_waker) = park(&mut b);
    drop(rx.try_recv().unwrap_or_else(|_| panic!("full")));
    assert_eq!((first.woken(), second.woken()), (1, 0));
    drop(a); // its value is dropped with it, never delivered
    assert_eq!(drops.load(SeqCst), 2);
    assert_eq!(second.woken(), 1);
    assert!(matches!(poll(&mut b, &second_waker), Poll::Ready(Ok(()))));
    assert_eq!(rx.len(), 1);
}

#[test]
fn a_notified_receive_that_finds_nothing_parks_again_first() {
    let (tx, rx) = bounded(4);
    let mut a = rx.recv();
    let mut b = rx.recv();
    let (first, first_waker) = park(&mut a);
    let (second, _) = park(&mut b);
    tx.try_send(1).unwrap();
    // Another receiver takes the value before `a` runs.
    assert_eq!(rx.try_recv(), Ok(1));
    assert!(poll(&mut a, &first_waker).is_pending());
    // `a` is first in line again.
    tx.try_send(2).unwrap();
    assert_eq!((first.woken(), second.woken()), (2, 0));
    assert_eq!(poll(&mut a, &first_waker), Poll::Ready(Ok(2)));
}

#[test]
fn rendezvous_needs_a_waiting_receiver() {
    let (tx, rx) = bounded(0);
    assert_eq!(tx.try_send(1), Err(TrySendError::Full(1)));
    let (count, waker) = counting_waker();
    // A parked sender keeps its value: `try_recv` sees nothing.
    let mut send = tx.send(2);
    assert!(poll(&mut send, &waker).is_pending());
    assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
    // A receiver that parks is room for one sender, which is woken and hands its value over.
    let mut recv = rx.recv();
    assert!(poll(&mut recv, &waker).is_pending());
    assert_eq!(count.woken(), 1);
    assert_eq!(poll(&mut send, &waker), Poll::Ready(Ok(())));
    assert_eq!(count.woken(), 2);
    assert_eq!(poll(&mut recv, &waker), Poll::Ready(Ok(2)));
    // With a receiver parked, `try_send` succeeds (once).
    let mut recv = rx.recv();
    assert!(poll(&mut recv, &waker).is_pending());
    tx.try_send(3).unwrap();
    assert_eq!(tx.try_send(4), Err(TrySendError::Full(4)));
    assert_eq!(poll(&mut recv, &waker), Poll::Ready(Ok(3)));
}

#[test]
fn rendezvous_value_survives_its_receiver() {
    let (tx, rx) = bounded(0);
    let (count, waker) = counting_waker();
    let mut a = rx.recv();
    let mut b = rx.recv();
    assert!(poll(&mut a, &waker).is_pending());
    assert!(poll(&mut b, &waker).is_pending());
    tx.try_send(1).unwrap();
    tx.try_send(2).unwrap();
    assert_eq!(tx.try_send(3), Err(TrySendError::Full(3)), "one value per waiting receiver");
    assert_eq!(count.woken(), 2);
    // Both receivers are dropped before they run: the values stay, in order, for the next receivers.
    drop((a, b));
    assert_eq!(rx.len(), 2);
    assert_eq!(rx.try_recv(), Ok(1));
    assert_eq!(block_on(rx.recv()), Ok(2));
}

#[test]
fn rendezvous_cancelled_receiver_passes_the_value_on() {
    let (tx, rx) = bounded(0);
    let mut a = rx.recv();
    let (first, _) = park(&mut a);
    let mut b = rx.recv();
    let (second, second_waker) = park(&mut b);
    tx.try_send(9).unwrap();
    assert_eq!((first.woken(), second.woken()), (1, 0));
    drop(a);
    assert_eq!(second.woken(), 1);
    assert_eq!(poll(&mut b, &second_waker), Poll::Ready(Ok(9)));
}

#[test]
fn blocking_halves_on_plain_threads() {
    let (tx, rx) = bounded(0);
    let producers: Vec<_> = (0..4)
        .map(|p| {
            let tx = tx.clone();
            std::thread::spawn(move || {
                for i in 0..100 {
                    tx.send_blocking(p * 100 + i).unwrap();
                }
            })
        })
        .collect();
    drop(tx);
    let mut got = Vec::new();
    while let Ok(v) = rx.recv_blocking() {
        got.push(v);
    }
    for p in producers {
        p.join().unwrap();
    }
    got.sort_unstable();
    assert_eq!(got, (0..400).collect::<Vec<_>>());
}

#[test]
fn recv_timeout_returns_a_ready_value_without_timers() {
    let (tx, rx) = bounded(1);
    tx.try_send(1).unwrap();
    assert_eq!(block_on(rx.recv_timeout(Duration::from_secs(1))), Ok(1));
    drop(tx);
    assert_eq!(block_on(rx.recv_timeout(Duration::from_secs(1))), Err(RecvTimeoutError::Closed));
}

#[test]
fn recv_timeout_without_runtime_timers_uses_the_fallback_timer() {
    let (tx, rx) = bounded::<u8>(1);
    let start = Instant::now();
    assert_eq!(block_on(rx.recv_timeout(Duration::from_millis(10))), Err(RecvTimeoutError::Timeout));
    assert!(start.elapsed() >= Duration::from_millis(10));
    let rt = crate::Runtime::builder().workers(1).build().unwrap();
    assert_eq!(rt.block_on(rx.recv_timeout(Duration::from_millis(1))), Err(RecvTimeoutError::Timeout));
    drop((tx, rx));
    // A value that arrives while the receive waits on the fallback timer is received: a rendezvous send
    // succeeds only once the receiver has parked.
    let (tx, rx) = bounded::<u8>(0);
    let sender = std::thread::spawn(move || {
        while let Err(TrySendError::Full(_)) = tx.try_send(7) {
            std::thread::yield_now();
        }
    });
    assert_eq!(block_on(rx.recv_timeout(Duration::from_secs(3600))), Ok(7));
    sender.join().unwrap();
}

/// A timer store for one timer that is due once `fire` is set.
#[derive(Default)]
struct ManualTimer {
    fire: std::sync::atomic::AtomicBool,
    waker: std::sync::Mutex<Option<Waker>>,
    live: AtomicUsize,
}

impl crate::runtime::Timer for ManualTimer {
    fn insert(&self, _deadline: Instant, waker: &Waker) -> Option<usize> {
        if self.fire.load(SeqCst) {
            return None;
        }
        self.live.fetch_add(1, SeqCst);
        *self.waker.lock().unwrap() = Some(waker.clone());
        Some(0)
    }
    fn poll_due(&self, _key: usize, waker: &Waker) -> bool {
        *self.waker.lock().unwrap() = Some(waker.clone());
        self.fire.load(SeqCst)
    }
    fn remove(&self, _key: usize) {
        self.live.fetch_sub(1, SeqCst);
        // As a real store drops a removed timer's waker: kept, it would hold the task, whose scheduler holds
        // the runtime, which holds this timer (a reference cycle that leaks the runtime).
        self.waker.lock().unwrap().take();
    }
}

#[test]
fn recv_timeout_uses_the_runtime_timer() {
    let timer = Arc::new(ManualTimer::default());
    let rt = crate::Runtime::builder().workers(1).timer(timer.clone()).build().unwrap();
    let (tx, rx) = bounded::<u8>(1);
    // A value that arrives before the deadline is returned and the timer removed.
    let res = rt.block_on(async {
        let recv = rx.recv_timeout(Duration::from_secs(3600));
        let sender = crate::spawn(async move {
            crate::yield_now().await;
            tx.try_send(3).unwrap();
            tx
        });
        let res = recv.await;
        (res, sender.join().await.unwrap())
    });
    assert_eq!(res.0, Ok(3));
    assert_eq!(timer.live.load(SeqCst), 0);
    // The deadline: the receive gives up and leaves the channel.
    let tx = res.1;
    let res = rt.block_on(async {
        let timer = timer.clone();
        let firer = crate::spawn(async move {
            crate::yield_now().await;
            timer.fire.store(true, SeqCst);
            if let Some(waker) = timer.waker.lock().unwrap().take() {
                waker.wake();
            }
        });
        let res = rx.recv_timeout(Duration::from_secs(3600)).await;
        firer.join().await.unwrap();
        res
    });
    assert_eq!(res, Err(RecvTimeoutError::Timeout));
    assert_eq!(timer.live.load(SeqCst), 0);
    tx.try_send(4).unwrap();
    assert_eq!(rx.try_recv(), Ok(4));
}

#[test]
fn errors_display_like_std() {
    assert_eq!(SendError(1).to_string(), "sending on a closed channel");
    assert_eq!(TrySendError::Full(1).to_string(), "sending on a full channel");
    assert_eq!(format!("{:?}", TrySendError::Closed(vec![1])), "Closed(..)");
    assert_eq!(RecvError.to_string(), "receiving on a closed channel");
    assert_eq!(TryRecvError::Empty.to_string(), "receiving on an empty channel");
    assert_eq!(RecvTimeoutError::Timeout.to_string(), "timed out waiting on a channel");
    let _: &dyn std::error::Error = &SendError(());
}

#[test]
fn halves_and_operations_are_send_and_sync() {
    fn check<T: std::marker::Send + Sync>() {}
    check::<Sender<String>>();
    check::<Receiver<String>>();
    check::<Send<'_, String>>();
    check::<Recv<'_, String>>();
    check::<RecvTimeout<'_, String>>();
    check::<broadcast::Sender<String>>();
    check::<broadcast::Receiver<String>>();
    check::<broadcast::Recv<'_, String>>();
}

/// Operations that complete at once spend the task's budget, so a busy loop still yields.
#[test]
fn completed_operations_spend_the_budget() {
    let (tx, rx) = unbounded();
    let waker = Waker::noop();
    crate::runtime::coop::budget(|| {
        for i in 0..crate::runtime::coop::BUDGET {
            assert!(poll(&mut tx.send(i), waker).is_ready());
        }
        assert!(poll(&mut tx.send(0), waker).is_pending());
        assert!(poll(&mut rx.recv(), waker).is_pending());
    });
    assert_eq!(rx.len(), usize::from(crate::runtime::coop::BUDGET));
}

/// `Stream`: the buffered values, then the end, also for a receiver parked when the channel closes.
#[test]
fn stream_over_a_closed_channel_ends() {
    use futures_lite::StreamExt;
    let (tx, mut rx) = bounded(4);
    tx.try_send(1).unwrap();
    tx.try_send(2).unwrap();
    assert_eq!(block_on(rx.next()), Some(1));
    let (count, waker) = counting_waker();
    assert_eq!(poll(&mut rx.next(), &waker), Poll::Ready(Some(2)));
    assert!(poll(&mut rx.next(), &waker).is_pending());
    drop(tx);
    assert_eq!(count.woken(), 1, "closing wakes the parked stream");
    assert_eq!(poll(&mut rx.next(), &waker), Poll::Ready(None));
    assert_eq!(block_on(rx.next()), None, "and it stays ended");
}

/// A receiver parked as a stream keeps its place between polls, and a notification it never acted on
/// passes to the next parked receiver when it is dropped.
#[test]
fn a_parked_stream_dropped_passes_the_wake_on() {
    use futures_lite::StreamExt;
    let (tx, rx) = bounded(1);
    let mut streaming = rx.clone();
    let (first, _first_waker) = park(&mut streaming.next());
    let mut recv = rx.recv();
    let (second, second_waker) = park(&mut recv);
    tx.try_send(7).unwrap();
    assert_eq!((first.woken(), second.woken()), (1, 0), "the stream parked first");
    drop(streaming);
    assert_eq!(second.woken(), 1);
    assert_eq!(poll(&mut recv, &second_waker), Poll::Ready(Ok(7)));
}

mod broadcast_tests {
    use super::*;
    use crate::chan::broadcast::{self, RecvError, TryRecvError};

    #[test]
    fn every_receiver_sees_every_value_after_it_subscribed() {
        let (tx, mut a) = broadcast::channel(4);
        tx.send(1).unwrap();
        let mut b = tx.subscribe();
        assert_eq!(tx.send(2), Ok(2));
        assert_eq!(tx.receiver_count(), 2);
        assert_eq!((a.try_recv(), a.try_recv()), (Ok(1), Ok(2)));
        assert_eq!(b.try_recv(), Ok(2));
        assert_eq!((a.try_recv(), b.try_recv()), (Err(TryRecvError::Empty), Err(TryRecvError::Empty)));
    }

    #[test]
    fn lagging_receiver_is_told_and_resumes_from_the_oldest() {
        let (tx, mut rx) = broadcast::channel(3);
        for i in 0..10 {
            tx.send(i).unwrap();
        }
        assert_eq!(block_on(rx.recv()), Err(RecvError::Lagged(7)));
        assert_eq!(block_on(rx.recv()), Ok(7));
        assert_eq!(rx.try_recv(), Ok(8));
        tx.send(10).unwrap();
        tx.send(11).unwrap();
        tx.send(12).unwrap();
        assert_eq!(rx.try_recv(), Err(TryRecvError::Lagged(1)));
        assert_eq!(rx.try_recv(), Ok(10));
    }

    #[test]
    fn closes_with_the_last_sender_after_the_rest_is_read() {
        let (tx, mut rx) = broadcast::channel(2);
        let tx2 = tx.clone();
        tx.send("a").unwrap();
        drop(tx);
        tx2.send("b").unwrap();
        let (count, waker) = counting_waker();
        assert_eq!(block_on(rx.recv()), Ok("a"));
        assert_eq!(block_on(rx.recv()), Ok("b"));
        let mut recv = rx.recv();
        assert!(poll(&mut recv, &waker).is_pending());
        drop(tx2);
        assert_eq!(count.woken(), 1);
        assert_eq!(poll(&mut recv, &waker), Poll::Ready(Err(RecvError::Closed)));
    }

    #[test]
    fn send_without_receivers_gives_the_value_back() {
        let (tx, rx) = broadcast::channel(2);
        drop(rx);
        assert_eq!(tx.send(5).unwrap_err().into_inner(), 5);
        let mut rx = tx.subscribe();
        assert_eq!(tx.send(6), Ok(1));
        assert_eq!(rx.try_recv(), Ok(6));
    }

    #[test]
    fn a_send_wakes_every_parked_receiver() {
        let (tx, first) = broadcast::channel(1);
        let mut receivers: Vec<_> = std::iter::once(first).chain((0..69).map(|_| tx.subscribe())).collect();
        let (count, waker) = counting_waker();
        let mut recvs: Vec<_> = receivers.iter_mut().map(|rx| rx.recv()).collect();
        for recv in &mut recvs {
            assert!(poll(recv, &waker).is_pending());
        }
        assert_eq!(tx.send(1), Ok(70));
        assert_eq!(count.woken(), 70);
        for recv in &mut recvs {
            assert_eq!(poll(recv, &waker), Poll::Ready(Ok(1)));
        }
        drop(recvs);
        assert_eq!(Arc::strong_count(&count), 2, "no waker left behind");
    }

    #[test]
    fn dropped_values_and_display() {
        let drops = Arc::new(AtomicUsize::new(0));
        let (tx, rx) = broadcast::channel(1);
        tx.send(Arc::new(Drops(drops.clone()))).unwrap();
        tx.send(Arc::new(Drops(drops.clone()))).unwrap();
        assert_eq!(drops.load(SeqCst), 1, "overwritten");
        drop((tx, rx));
        assert_eq!(drops.load(SeqCst), 2);
        assert_eq!(RecvError::Lagged(3).to_string(), "receiver lagged behind by 3 values");
        assert_eq!(TryRecvError::Closed.to_string(), "receiving on a closed channel");
    }

    /// `Stream`: values and lags as items, and the end once the last sender is gone.
    #[test]
    fn stream_yields_lags_and_ends_when_closed() {
        use futures_lite::StreamExt;
        let (tx, mut rx) = broadcast::channel(2);
        for i in 0..3 {
            tx.send(i).unwrap();
        }
        assert_eq!(block_on(rx.next()), Some(Err(RecvError::Lagged(1))));
        assert_eq!(block_on(rx.next()), Some(Ok(1)));
        assert_eq!(block_on(rx.next()), Some(Ok(2)));
        let (count, waker) = counting_waker();
        assert!(poll(&mut rx.next(), &waker).is_pending());
        tx.send(3).unwrap();
        assert_eq!(count.woken(), 1);
        assert_eq!(poll(&mut rx.next(), &waker), Poll::Ready(Some(Ok(3))));
        assert!(poll(&mut rx.next(), &waker).is_pending());
        drop(tx);
        assert_eq!(count.woken(), 2);
        assert_eq!(poll(&mut rx.next(), &waker), Poll::Ready(None));
        drop(rx);
        assert_eq!(Arc::strong_count(&count), 2, "no waker left behind");
    }
}
