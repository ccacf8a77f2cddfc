use super::*;
use crate::Runtime;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::SeqCst};

fn rt(workers: usize) -> Runtime {
    Runtime::builder().workers(workers).build().unwrap()
}

#[test]
fn sleep_waits_at_least_its_duration() {
    rt(2).block_on(async {
        for ms in [0, 1, 3, 10] {
            let d = Duration::from_millis(ms);
            let start = Instant::now();
            sleep(d).await;
            assert!(start.elapsed() >= d, "slept {:?} < {d:?}", start.elapsed());
        }
        let past = Instant::now();
        sleep_until(past).await;
    });
}

#[test]
fn many_concurrent_sleeps_complete() {
    let done = Arc::new(AtomicUsize::new(0));
    rt(2).block_on(async {
        let handles: Vec<_> = (0..1000u64)
            .map(|i| {
                let done = done.clone();
                coro_core::spawn(async move {
                    let d = Duration::from_millis(i % 20);
                    let start = Instant::now();
                    sleep(d).await;
                    assert!(start.elapsed() >= d);
                    done.fetch_add(1, SeqCst);
                })
            })
            .collect();
        for handle in handles {
            handle.join().await.unwrap();
        }
        assert_eq!(lock(&Driver::current().unwrap().timers).len(), 0);
    });
    assert_eq!(done.load(SeqCst), 1000);
}

struct DropFlag(Arc<AtomicBool>);

impl Drop for DropFlag {
    fn drop(&mut self) {
        self.0.store(true, SeqCst);
    }
}

#[test]
fn timeout_fires_and_cancels_the_inner_future() {
    let dropped = Arc::new(AtomicBool::new(false));
    let flag = DropFlag(dropped.clone());
    rt(1).block_on(async {
        let inner = async move {
            let _flag = flag;
            sleep(Duration::from_secs(3600)).await;
        };
        let start = Instant::now();
        assert_eq!(timeout(Duration::from_millis(5), inner).await, Err(Elapsed(())));
        assert!(start.elapsed() >= Duration::from_millis(5));
        assert!(dropped.load(SeqCst), "the inner future was dropped when the timeout fired");
        // Both timers are gone: the timeout's, and the cancelled inner sleep's.
        assert_eq!(lock(&Driver::current().unwrap().timers).len(), 0);
    });
}

#[test]
fn timeout_does_not_fire_when_the_inner_future_completes() {
    rt(1).block_on(async {
        let inner = async {
            sleep(Duration::from_millis(1)).await;
            7
        };
        assert_eq!(timeout(Duration::from_secs(3600), inner).await, Ok(7));
        assert_eq!(
            timeout(Duration::ZERO, async { 8 }).await,
            Ok(8),
            "a ready future wins over an expired timer"
        );
        assert_eq!(lock(&Driver::current().unwrap().timers).len(), 0);
    });
}

#[test]
fn timeout_fires_even_when_the_inner_future_keeps_the_task_busy() {
    rt(1).block_on(async {
        // Yields through the budget forever: always woken, never done.
        let busy = std::future::poll_fn(|cx| {
            let _ = coop::poll_proceed(cx).map(coop::Progress::made_progress);
            cx.waker().wake_by_ref();
            Poll::<()>::Pending
        });
        assert!(timeout(Duration::from_millis(3), busy).await.is_err());
    });
}

#[test]
fn interval_ticks_n_times_a_period_apart() {
    rt(1).block_on(async {
        let period = Duration::from_millis(3);
        let mut ticker = interval(period);
        let start = Instant::now();
        let mut last = None;
        for _ in 0..5 {
            let at = ticker.tick().await;
            if let Some(last) = last {
                assert!(at >= last + period);
            }
            last = Some(at);
        }
        assert!(start.elapsed() >= period * 4, "the first tick is immediate, then 4 periods");
    });
}

#[test]
fn interval_does_not_pile_up_missed_ticks() {
    rt(1).block_on(async {
        let period = Duration::from_millis(2);
        let mut ticker = interval(period);
        ticker.tick().await;
        // Miss about 10 ticks without suspending.
        let busy = Instant::now();
        while busy.elapsed() < period * 10 {
            std::hint::spin_loop();
        }
        let late = ticker.tick().await; // the missed tick, at once
        let before = Instant::now();
        let next = ticker.tick().await; // then a whole period later, not a burst of catch-up ticks
        assert!(next >= before + period - Duration::from_millis(1), "no catch-up burst");
        assert!(next > late);
        assert!(Instant::now() >= next);
    });
}

#[test]
fn a_dropped_sleep_frees_its_timer_entry() {
    rt(1).block_on(async {
        let driver = Driver::current().unwrap();
        let mut sleeping = Box::pin(sleep(Duration::from_secs(3600)));
        std::future::poll_fn(|cx| {
            assert!(sleeping.as_mut().poll(cx).is_pending());
            Poll::Ready(())
        })
        .await;
        assert_eq!(lock(&driver.timers).len(), 1);
        drop(sleeping);
        let timers = lock(&driver.timers);
        assert_eq!((timers.len(), timers.next_deadline()), (0, None));
    });
}

#[test]
fn timers_fire_while_every_worker_is_busy() {
    // One worker, kept busy by a task that yields until the timer fires: only the periodic non-blocking
    // poll of the driver (`Park::maintain`) can fire it.
    rt(1).block_on(async {
        let fired = Arc::new(AtomicBool::new(false));
        let fired2 = fired.clone();
        let timer = coro_core::spawn(async move {
            sleep(Duration::from_millis(2)).await;
            fired2.store(true, SeqCst);
        });
        let spinner = coro_core::spawn(async move {
            while !fired.load(SeqCst) {
                coro_core::yield_now().await;
            }
        });
        spinner.join().await.unwrap();
        timer.join().await.unwrap();
    });
}

#[test]
fn sleep_outside_a_runtime_uses_the_fallback_timer() {
    let start = Instant::now();
    coro_core::block_on(sleep(Duration::from_millis(5)));
    assert!(start.elapsed() >= Duration::from_millis(5));
}
