//! Shutdown cancels what is left and frees every task: the bytes allocated while a runtime lives are all
//! returned when it is dropped, counted by a global allocator.
//!
//! This binary holds one test on purpose, and runs it without libtest's harness (`harness = false` in
//! Cargo.toml), from its own `main`: other tests running beside it would allocate concurrently, and so does
//! the harness's main thread while a test runs (it records the running test and waits on a channel, 900 bytes
//! that it may allocate after the test thread took its first count, whenever the test thread gets there
//! first on a busy machine).

use coro::Runtime;
use coro::sync::oneshot;
use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicIsize, AtomicUsize, Ordering};

/// Bytes currently allocated by the whole process.
static LIVE: AtomicIsize = AtomicIsize::new(0);

struct Counting;

// SAFETY: every method forwards to `System` with the caller's arguments unchanged; the counter only
// observes sizes.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        LIVE.fetch_add(layout.size() as isize, Ordering::Relaxed);
        // SAFETY: forwarded with the caller's guarantees about `layout`.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size() as isize, Ordering::Relaxed);
        // SAFETY: forwarded with the caller's guarantees about `ptr` and `layout`.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        LIVE.fetch_add(new_size as isize - layout.size() as isize, Ordering::Relaxed);
        // SAFETY: forwarded with the caller's guarantees about `ptr`, `layout` and `new_size`.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// Counts drops of the futures left behind, to prove shutdown dropped them and not only freed memory.
struct Counted(Arc<AtomicUsize>);

impl Drop for Counted {
    fn drop(&mut self) {
        self.0.fetch_add(1, Ordering::Relaxed);
    }
}

/// Starts a runtime, leaves tasks parked forever, spawned-but-never-run and local, then drops it.
fn run_and_abandon(tasks: usize) -> usize {
    let dropped = Arc::new(AtomicUsize::new(0));
    let runtime = Runtime::builder().workers(2).build().unwrap();
    let counted = dropped.clone();
    runtime.block_on(async move {
        let mut senders = Vec::new();
        for _ in 0..tasks {
            let (tx, rx) = oneshot::channel::<()>();
            senders.push(tx);
            let guard = Counted(counted.clone());
            drop(coro::spawn(async move {
                let _guard = guard;
                let _ = rx.recv().await; // parked: the sender is never used
            }));
            let guard = Counted(counted.clone());
            drop(coro::spawn_local(async move {
                let _guard = guard;
                std::future::pending::<()>().await;
            }));
        }
        // The senders outlive this future in a task that never finishes either.
        let started = Arc::new(AtomicBool::new(false));
        let holder_started = started.clone();
        drop(coro::spawn(async move {
            let _senders = senders;
            holder_started.store(true, Ordering::Release);
            std::future::pending::<()>().await;
        }));
        while !started.load(Ordering::Acquire) {
            coro::yield_now().await;
        }
    });
    drop(runtime);
    dropped.load(Ordering::Relaxed)
}

fn main() {
    dropping_the_runtime_drops_every_future_and_frees_every_task();
    println!("test dropping_the_runtime_drops_every_future_and_frees_every_task ... ok");
}

fn dropping_the_runtime_drops_every_future_and_frees_every_task() {
    // The first runtime initialises what lives for the whole process (std's thread bookkeeping, env).
    run_and_abandon(10);
    let before = LIVE.load(Ordering::Relaxed);
    let dropped = run_and_abandon(1000);
    let after = LIVE.load(Ordering::Relaxed);
    assert_eq!(dropped, 2000, "every abandoned future is dropped at shutdown");
    assert_eq!(after - before, 0, "bytes still allocated after the runtime was dropped");
}
