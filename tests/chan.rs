//! `coro::chan` seen from coroutines and plain threads, on `coro::Runtime` with one and two workers.
//!
//! Durations are only ever asserted from below (a timeout never fires early); nothing asserts an upper bound.

#![deny(warnings)]

use coro::chan::{self, RecvError, RecvTimeoutError, SendError, TryRecvError, TrySendError, broadcast};
use std::time::{Duration, Instant};

/// Runs `make()` to completion on a fresh `coro::Runtime` with one worker, then with two.
fn on_each_runtime<F: std::future::Future>(make: impl Fn() -> F) {
    for workers in [1, 2] {
        let rt = coro::Runtime::builder().workers(workers).build().unwrap();
        rt.block_on(make());
    }
}

fn channel(cap: Option<usize>) -> (chan::Sender<u64>, chan::Receiver<u64>) {
    match cap {
        Some(n) => chan::bounded(n),
        None => chan::unbounded(),
    }
}

#[coro::coroutine]
fn produce(tx: chan::Sender<u64>, values: std::ops::Range<u64>) {
    for v in values {
        tx.send(v).unwrap();
    }
}

#[coro::coroutine]
fn drain(rx: chan::Receiver<u64>) -> Vec<u64> {
    let mut got = Vec::new();
    while let Ok(v) = rx.recv() {
        got.push(v);
    }
    got
}

/// Like [`drain`], but every receive may be cancelled by a timeout that is bound to fire often: each
/// cancelled (possibly notified) receive must leave its value to another consumer.
#[coro::coroutine]
fn drain_with_cancellations(rx: chan::Receiver<u64>) -> Vec<u64> {
    let mut got = Vec::new();
    loop {
        match rx.recv_timeout(Duration::from_micros(50)) {
            Ok(v) => got.push(v),
            Err(RecvTimeoutError::Timeout) => continue,
            Err(RecvTimeoutError::Closed) => return got,
        }
    }
}

/// `producers` coroutines send disjoint ranges of `per_producer` values to `consumers` coroutines; returns
/// everything received, sorted.
#[coro::coroutine]
fn exchange(
    cap: Option<usize>,
    producers: u64,
    consumers: usize,
    per_producer: u64,
    cancel: bool,
) -> Vec<u64> {
    let (tx, rx) = channel(cap);
    let mut consuming = Vec::new();
    for _ in 0..consumers {
        let rx = rx.clone();
        consuming.push(if cancel {
            coro::spawn!(drain_with_cancellations(rx))
        } else {
            coro::spawn!(drain(rx))
        });
    }
    drop(rx);
    for p in 0..producers {
        drop(coro::spawn!(produce(tx.clone(), p * per_producer..(p + 1) * per_producer)));
    }
    drop(tx); // the consumers end when the last producer is done
    let mut all = Vec::new();
    for consumer in consuming {
        all.extend(consumer.join().unwrap());
    }
    all.sort_unstable();
    all
}

#[test]
fn no_message_is_lost_or_duplicated_with_many_producers_and_consumers() {
    for cap in [Some(0), Some(1), Some(16), None] {
        on_each_runtime(|| async move {
            assert_eq!(exchange(cap, 4, 4, 2000, false).await, (0..8000).collect::<Vec<_>>(), "cap {cap:?}");
        });
    }
}

#[test]
fn cancelled_receives_lose_nothing() {
    for cap in [Some(0), Some(1), Some(16)] {
        on_each_runtime(|| async move {
            assert_eq!(exchange(cap, 4, 4, 500, true).await, (0..2000).collect::<Vec<_>>(), "cap {cap:?}");
        });
    }
}

#[coro::coroutine]
fn close_semantics() {
    let (tx, rx) = chan::bounded(2);
    tx.send(1u64).unwrap();
    tx.send(2).unwrap();
    // A sender parked on the full channel is woken by the close and gets its value back.
    let tx2 = tx.clone();
    let parked = coro::spawn!(move || tx2.send(3));
    coro::yield_now();
    assert!(rx.close());
    assert_eq!(parked.join().unwrap(), Err(SendError(3)));
    assert_eq!(tx.send(4), Err(SendError(4)));
    assert_eq!(tx.try_send(5), Err(TrySendError::Closed(5)));
    // What was buffered is still received, then the close.
    assert_eq!(rx.recv(), Ok(1));
    assert_eq!(rx.recv(), Ok(2));
    assert_eq!(rx.recv(), Err(RecvError));
    assert_eq!(rx.try_recv(), Err(TryRecvError::Closed));

    // A receiver parked on an empty channel is woken by a close from the sending side.
    let (tx, rx) = chan::bounded::<u64>(0);
    let parked = coro::spawn!(move || rx.recv());
    coro::yield_now();
    assert!(tx.close());
    assert_eq!(parked.join().unwrap(), Err(RecvError));
}

#[test]
fn close_wakes_parked_operations_and_drains() {
    on_each_runtime(close_semantics);
}

#[coro::coroutine]
fn try_operations() {
    let (tx, rx) = chan::bounded(1);
    assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
    tx.try_send("a").unwrap();
    assert_eq!(tx.try_send("b"), Err(TrySendError::Full("b")));
    assert_eq!(rx.try_recv(), Ok("a"));

    // Rendezvous: `try_send` succeeds only while a receiver waits.
    let (tx, rx) = chan::bounded(0);
    assert!(tx.try_send(1u64).unwrap_err().is_full());
    let receiver = coro::spawn!(move || rx.recv());
    let mut spins = 0;
    while let Err(TrySendError::Full(_)) = tx.try_send(2) {
        spins += 1;
        assert!(spins < 1_000_000, "the receiver never parked");
        coro::yield_now();
    }
    assert_eq!(receiver.join().unwrap(), Ok(2));
}

#[test]
fn try_send_and_try_recv() {
    on_each_runtime(try_operations);
}

#[coro::coroutine]
fn timeouts() {
    let (tx, rx) = chan::bounded::<u64>(1);
    let start = Instant::now();
    assert_eq!(rx.recv_timeout(Duration::from_millis(5)), Err(RecvTimeoutError::Timeout));
    assert!(start.elapsed() >= Duration::from_millis(5));
    // The timed-out receive left the channel: a value sent now is there for the next one.
    tx.send(1).unwrap();
    assert_eq!(rx.recv_timeout(Duration::from_millis(5)), Ok(1));
    // A value that arrives while the receive waits is returned.
    let tx2 = tx.clone();
    let sender = coro::spawn!(move || {
        coro::sleep(Duration::from_millis(5));
        tx2.send(2)
    });
    assert_eq!(rx.recv_timeout(Duration::from_secs(3600)), Ok(2));
    sender.join().unwrap().unwrap();
    drop(tx);
    assert_eq!(rx.recv_timeout(Duration::from_secs(3600)), Err(RecvTimeoutError::Closed));
}

#[test]
fn recv_timeout_fires_and_returns_values_in_time() {
    on_each_runtime(timeouts);
}

#[coro::coroutine]
fn talk_to_threads() {
    // Threads send to a coroutine...
    let (tx, rx) = chan::bounded(1);
    let threads: Vec<_> = (0..3u64)
        .map(|t| {
            let tx = tx.clone();
            std::thread::spawn(move || {
                for i in 0..100 {
                    tx.send_blocking(t * 100 + i).unwrap();
                }
            })
        })
        .collect();
    drop(tx);
    let mut got = drain(rx);
    got.sort_unstable();
    assert_eq!(got, (0..300).collect::<Vec<_>>());
    for thread in threads {
        thread.join().unwrap();
    }

    // ...and a coroutine to a thread, over a rendezvous channel, which answers on another.
    let (requests, thread_rx) = chan::bounded::<u64>(0);
    let (thread_tx, replies) = chan::bounded::<u64>(0);
    let echo = std::thread::spawn(move || {
        while let Ok(v) = thread_rx.recv_blocking() {
            thread_tx.send_blocking(v * 2).unwrap();
        }
    });
    for i in 0..100 {
        requests.send(i).unwrap();
        assert_eq!(replies.recv(), Ok(i * 2));
    }
    drop(requests);
    assert_eq!(replies.recv(), Err(RecvError));
    echo.join().unwrap();
}

#[test]
fn blocking_halves_on_plain_threads_talk_to_coroutines() {
    on_each_runtime(talk_to_threads);
}

#[coro::coroutine]
fn senders_dropped() {
    let (tx, rx) = chan::unbounded::<u64>();
    let consumers: Vec<_> = (0..4).map(|_| coro::spawn!(drain(rx.clone()))).collect();
    for i in 0..10 {
        tx.send(i).unwrap();
    }
    let tx2 = tx.clone();
    drop(tx);
    tx2.send(10).unwrap();
    drop(tx2);
    let mut total = 0;
    for consumer in consumers {
        total += consumer.join().unwrap().len();
    }
    assert_eq!(total, 11);
    assert_eq!(rx.recv(), Err(RecvError));
}

#[test]
fn dropping_all_senders_ends_the_receivers() {
    on_each_runtime(senders_dropped);
}

#[coro::coroutine]
fn subscriber(mut rx: broadcast::Receiver<u64>) -> Vec<u64> {
    let mut got = Vec::new();
    loop {
        match rx.recv() {
            Ok(v) => got.push(v),
            Err(broadcast::RecvError::Closed) => return got,
            Err(broadcast::RecvError::Lagged(n)) => panic!("lagged by {n} with room for everything"),
        }
    }
}

#[coro::coroutine]
fn broadcasting() {
    // Every subscriber sees every value (the buffer holds them all, so nobody lags).
    let (tx, rx) = broadcast::channel(100);
    let subscribers: Vec<_> = (0..4).map(|_| coro::spawn!(subscriber(tx.subscribe()))).collect();
    drop(rx);
    for i in 0..100 {
        assert_eq!(tx.send(i), Ok(4));
        if i % 10 == 0 {
            coro::yield_now();
        }
    }
    drop(tx);
    for subscriber in subscribers {
        assert_eq!(subscriber.join().unwrap(), (0..100).collect::<Vec<_>>());
    }

    // A receiver more than `cap` behind is told how many values it missed, then resumes from the oldest.
    let (tx, mut slow) = broadcast::channel(4);
    for i in 0..10 {
        tx.send(i).unwrap();
    }
    assert_eq!(slow.recv(), Err(broadcast::RecvError::Lagged(6)));
    let mut rest = Vec::new();
    drop(tx);
    while let Ok(v) = slow.recv() {
        rest.push(v);
    }
    assert_eq!(rest, [6, 7, 8, 9]);
}

#[test]
fn broadcast_delivers_to_all_and_reports_lag() {
    on_each_runtime(broadcasting);
}

#[test]
fn values_arrive_in_order_from_one_producer() {
    on_each_runtime(|| async {
        let (tx, rx) = chan::bounded(3);
        let producer = coro::spawn!(produce(tx, 0..1000));
        let got = drain(rx).await;
        producer.join().await.unwrap();
        assert_eq!(got, (0..1000).collect::<Vec<_>>());
    });
}
