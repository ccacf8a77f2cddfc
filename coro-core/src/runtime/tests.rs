//! The scheduler's own tests: its edge cases (re-entry, misuse, detached outputs, shutdown, the blocking pool,
//! the coop budget, the LIFO cap) and what only its internals can check. The behaviour seen from user code
//! (stealing, fairness of yields, panics, abort, `spawn_local` from a task) has its home in
//! `tests/runtime.rs`, through the `coro` facade.

use super::*;
use crate::sync::oneshot;
use crate::yield_now;
use std::future::{Future, pending, poll_fn};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::SeqCst};
use std::sync::{Arc, Barrier};
use std::task::Poll;
use std::thread::{self, ThreadId};

fn rt(workers: usize) -> Runtime {
    Runtime::builder().workers(workers).build().unwrap()
}

/// Counts drops, and on which thread the last one happened.
struct DropProbe {
    count: Arc<AtomicUsize>,
    thread: Arc<std::sync::Mutex<Option<ThreadId>>>,
}

impl Drop for DropProbe {
    fn drop(&mut self) {
        *self.thread.lock().unwrap() = Some(thread::current().id());
        self.count.fetch_add(1, SeqCst);
    }
}

#[test]
fn block_on_returns_output() {
    for workers in [1, 3] {
        let rt = rt(workers);
        assert_eq!(rt.workers(), workers);
        assert_eq!(rt.block_on(async { 40 + 2 }), 42);
        // A runtime can block_on again.
        assert_eq!(rt.block_on(async { 7 }), 7);
    }
}

#[test]
fn zero_workers_is_an_error() {
    let err = Runtime::builder().workers(0).build().unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput);
}

#[test]
fn spawn_and_join() {
    for workers in [1, 2, 4] {
        let out = rt(workers).block_on(async {
            let handles: Vec<_> = (0..100u64).map(|i| spawn(async move { i * 2 })).collect();
            let mut sum = 0;
            for h in handles {
                sum += h.join().await.unwrap();
            }
            sum
        });
        assert_eq!(out, (0..100).map(|i| i * 2).sum::<u64>());
    }
}

#[test]
fn nested_spawns_chain() {
    fn chain(n: usize) -> std::pin::Pin<Box<dyn Future<Output = usize> + Send>> {
        Box::pin(async move { if n == 0 { 0 } else { spawn(chain(n - 1)).join().await.unwrap() + 1 } })
    }
    assert_eq!(rt(2).block_on(chain(1000)), 1000);
}

#[test]
fn spawn_outside_runtime_panics_clearly() {
    let err = catch_unwind(|| drop(spawn(async {}))).unwrap_err();
    let msg = err.downcast_ref::<String>().unwrap();
    assert!(msg.contains("inside a coro runtime"), "{msg}");
    assert!(catch_unwind(|| drop(spawn_local(async {}))).is_err());
    assert!(catch_unwind(|| drop(spawn_blocking(|| ()))).is_err());
}

#[test]
fn block_on_inside_runtime_panics() {
    let rt1 = rt(1);
    let res = rt1.block_on(async { catch_unwind(AssertUnwindSafe(|| rt(1).block_on(async {}))) });
    assert!(res.is_err());
}

#[test]
fn panic_in_block_on_future_propagates_and_runtime_survives() {
    let rt = rt(2);
    let res = catch_unwind(AssertUnwindSafe(|| rt.block_on(async { panic!("main") })));
    assert!(res.is_err());
    assert_eq!(rt.block_on(async { spawn(async { 1 }).join().await.unwrap() }), 1);
}

#[test]
fn abort_after_completion_keeps_output() {
    rt(1).block_on(async {
        let handle = spawn(async { 3 });
        while !handle.is_finished() {
            yield_now().await;
        }
        handle.abort();
        assert_eq!(handle.join().await.unwrap(), 3);
    });
}

#[test]
fn dropping_handle_detaches() {
    rt(2).block_on(async {
        let (tx, rx) = oneshot::channel();
        drop(spawn(async move {
            yield_now().await;
            tx.send(9).unwrap();
        }));
        assert_eq!(rx.recv().await.unwrap(), 9);
    });
}

#[test]
fn output_of_detached_task_is_dropped() {
    let drops = Arc::new(AtomicUsize::new(0));
    let d = drops.clone();
    rt(2).block_on(async move {
        let (tx, rx) = oneshot::channel();
        let handle = spawn(async move {
            rx.recv().await.unwrap();
            DropProbe { count: d, thread: Default::default() }
        });
        drop(handle);
        tx.send(()).unwrap();
        // The output is dropped by the worker at completion; wait for it without sleeping.
        while drops.load(SeqCst) == 0 {
            yield_now().await;
        }
    });
}

#[test]
fn ping_pong_pair_does_not_starve_the_queue() {
    // Two tasks waking each other through the LIFO slot forever; a third must still run.
    rt(1).block_on(async {
        let stop = Arc::new(AtomicBool::new(false));
        let (a, b) = (Arc::new(AtomicBool::new(false)), Arc::new(AtomicBool::new(false)));
        let slot_a: Arc<std::sync::Mutex<Option<std::task::Waker>>> = Default::default();
        let slot_b: Arc<std::sync::Mutex<Option<std::task::Waker>>> = Default::default();
        let player = |me: Arc<AtomicBool>,
                      my_slot: Arc<std::sync::Mutex<Option<std::task::Waker>>>,
                      other: Arc<AtomicBool>,
                      other_slot: Arc<std::sync::Mutex<Option<std::task::Waker>>>,
                      stop: Arc<AtomicBool>| {
            poll_fn(move |cx| {
                if stop.load(SeqCst) {
                    return Poll::Ready(());
                }
                me.store(false, SeqCst);
                *my_slot.lock().unwrap() = Some(cx.waker().clone());
                other.store(true, SeqCst);
                if let Some(w) = other_slot.lock().unwrap().take() {
                    w.wake();
                }
                Poll::Pending
            })
        };
        let p1 = spawn(player(a.clone(), slot_a.clone(), b.clone(), slot_b.clone(), stop.clone()));
        let p2 = spawn(player(b, slot_b.clone(), a, slot_a.clone(), stop.clone()));
        let third = spawn(async {});
        third.join().await.unwrap();
        stop.store(true, SeqCst);
        for slot in [slot_a, slot_b] {
            if let Some(w) = slot.lock().unwrap().take() {
                w.wake();
            }
        }
        p1.join().await.unwrap();
        p2.join().await.unwrap();
    });
}

#[test]
fn coop_budget_makes_busy_task_yield() {
    // A task whose operations always complete immediately must still let the task it spawned run, even on
    // one worker: without the budget this never terminates.
    rt(1).block_on(async {
        let busy = spawn(async move {
            let flag = Arc::new(AtomicBool::new(false));
            let f = flag.clone();
            let other = spawn(async move { f.store(true, SeqCst) });
            let mut ops = 0u64;
            while !flag.load(SeqCst) {
                let (tx, rx) = oneshot::channel();
                tx.send(()).unwrap();
                rx.recv().await.unwrap();
                ops += 1;
            }
            other.join().await.unwrap();
            ops
        });
        // It yielded exactly when its budget ran out: the 129th operation completes after the yield.
        assert_eq!(busy.join().await.unwrap(), u64::from(coop::BUDGET) + 1);
    });
}

#[test]
fn spawn_local_runs_on_its_thread() {
    rt(3).block_on(async {
        let here = thread::current().id();
        let rc = Rc::new(5); // `!Send`
        let handle = spawn_local(async move {
            yield_now().await;
            (*rc, thread::current().id())
        });
        let (v, id) = handle.join().await.unwrap();
        assert_eq!(v, 5);
        assert_eq!(id, here);
    });
}

#[test]
fn spawn_local_woken_from_another_thread() {
    rt(2).block_on(async {
        let (tx, rx) = oneshot::channel();
        let here = thread::current().id();
        let local = spawn_local(async move {
            let v = rx.recv().await.unwrap();
            (v, thread::current().id())
        });
        let sender = thread::spawn(move || tx.send(11).unwrap());
        let (v, id) = local.join().await.unwrap();
        sender.join().unwrap();
        assert_eq!((v, id), (11, here));
    });
}

#[test]
fn shutdown_cancels_and_frees_everything() {
    let drops = Arc::new(AtomicUsize::new(0));
    let local_drop_thread = Arc::new(std::sync::Mutex::new(None));
    let rt = rt(3);
    let shared = rt.shared().clone();
    let (handles, local_handle, main_thread) = rt.block_on(async {
        let handles: Vec<_> = (0..50)
            .map(|_| {
                let probe = DropProbe { count: drops.clone(), thread: Default::default() };
                spawn(async move {
                    let _probe = probe;
                    pending::<()>().await
                })
            })
            .collect();
        let probe = DropProbe { count: drops.clone(), thread: local_drop_thread.clone() };
        let rc = Rc::new(()); // make it `!Send`
        let local = spawn_local(async move {
            let _keep = (probe, rc);
            pending::<()>().await
        });
        (handles, local, thread::current().id())
    });
    assert_eq!(drops.load(SeqCst), 0);
    drop(rt);
    assert_eq!(drops.load(SeqCst), 51, "every future dropped");
    assert_eq!(*local_drop_thread.lock().unwrap(), Some(main_thread), "local future dropped on its thread");
    for h in handles {
        assert!(h.is_finished());
        assert!(crate::block_on(h.join()).unwrap_err().is_cancelled());
    }
    assert!(crate::block_on(local_handle.join()).unwrap_err().is_cancelled());
    // Every task holds a reference to the runtime: only ours is left, so every task was freed.
    assert_eq!(shared.owned.len(), 0);
    assert_eq!(Arc::strong_count(&shared), 1);
}

#[test]
fn shutdown_frees_tasks_with_wakers_held_elsewhere() {
    let rt = rt(2);
    let shared = rt.shared().clone();
    let (tx, rx) = std::sync::mpsc::channel();
    rt.block_on(async move {
        for _ in 0..10 {
            let tx = tx.clone();
            drop(spawn(poll_fn(move |cx| {
                tx.send(cx.waker().clone()).unwrap();
                Poll::<()>::Pending
            })));
        }
        yield_now().await;
    });
    drop(rt);
    // Wakers outlive the runtime: waking a cancelled task is a no-op, dropping the last one frees it.
    let wakers: Vec<_> = rx.try_iter().collect();
    for w in &wakers {
        w.wake_by_ref();
    }
    drop(wakers);
    assert_eq!(Arc::strong_count(&shared), 1);
}

#[test]
fn spawn_blocking_runs_off_the_workers() {
    let rt = rt(1);
    let worker_thread = thread::current().id();
    rt.block_on(async move {
        let handles: Vec<_> = (0..8).map(|i| spawn_blocking(move || (i, thread::current().id()))).collect();
        for (i, h) in handles.into_iter().enumerate() {
            let (v, id) = h.join().await.unwrap();
            assert_eq!(v, i);
            assert_ne!(id, worker_thread);
        }
        let err = spawn_blocking(|| panic!("blocking boom")).join().await.unwrap_err();
        assert!(err.is_panic());
        // Tasks can be spawned from the pool's threads.
        let nested = spawn_blocking(|| spawn(async { 4 })).join().await.unwrap();
        assert_eq!(nested.join().await.unwrap(), 4);
    });
}

#[test]
fn blocking_pool_is_bounded() {
    let rt = Runtime::builder().workers(1).max_blocking_threads(2).build().unwrap();
    let shared = rt.shared().clone();
    rt.block_on(async {
        let barrier = Arc::new(Barrier::new(2));
        let handles: Vec<_> = (0..6)
            .map(|_| {
                let b = barrier.clone();
                spawn_blocking(move || {
                    b.wait();
                })
            })
            .collect();
        assert!(shared.blocking.num_threads() <= 2);
        for h in handles {
            h.join().await.unwrap();
        }
    });
}

/// `Pool::is_busy` counts a closure from its spawn until it has run or been cancelled at shutdown.
#[test]
fn blocking_pool_counts_closures_in_flight() {
    let rt = Runtime::builder().workers(1).max_blocking_threads(1).build().unwrap();
    let shared = rt.shared().clone();
    assert!(!shared.blocking.is_busy());
    let (release, released) = std::sync::mpsc::channel::<()>();
    rt.block_on(async move {
        // The pool's one thread runs the first closure until `release` is dropped, which only the
        // cancellation of the second, queued behind it, does.
        drop(spawn_blocking(move || released.recv()));
        drop(spawn_blocking(move || drop(release)));
    });
    assert!(shared.blocking.is_busy());
    drop(rt);
    assert!(!shared.blocking.is_busy(), "the cancelled closure and the one that ran are both uncounted");
}

#[test]
fn run_helper() {
    assert_eq!(run(async { spawn(async { 1 }).join().await.unwrap() + 1 }), 2);
}

#[test]
fn join_is_suspend() {
    fn assert_suspend<S: crate::Suspend>(_: &S) {}
    rt(1).block_on(async {
        let join = spawn(async {}).join();
        assert_suspend(&join);
        join.await.unwrap();
    });
}

#[test]
fn handles_are_send_and_sync() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<JoinHandle<u32>>();
    assert_send_sync::<JoinError>();
    assert_send_sync::<oneshot::Sender<u32>>();
    assert_send_sync::<oneshot::Receiver<u32>>();
}
