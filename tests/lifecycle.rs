//! Task lifecycles: `JoinSet`, `CancellationToken`, `Handle` from plain threads, `shutdown_timeout`, owned
//! permits, `watch`, and the runtime's metrics.
//!
//! No test measures time. Orders are forced with channels and barriers, never with sleeps; where a broken
//! feature would hang instead of fail, the wait is bounded by [`HANG`], which only a bug reaches.

#![deny(warnings)]

use coro::chan::watch;
use coro::sync::{Barrier, CancellationToken, Mutex, RwLock, Semaphore, WaitGroup, oneshot};
use coro::task::JoinSet;
use coro::{Handle, Runtime};
use coro_test_support::{HANG, join_all};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::time::Duration;

/// Counts, when dropped, in `dropped`, and says so to `wg` (which waits for all of them).
struct DropCounter {
    dropped: Arc<AtomicUsize>,
    wg: Arc<WaitGroup>,
}

impl DropCounter {
    fn new(dropped: &Arc<AtomicUsize>, wg: &Arc<WaitGroup>) -> DropCounter {
        wg.add(1);
        DropCounter { dropped: dropped.clone(), wg: wg.clone() }
    }
}

impl Drop for DropCounter {
    fn drop(&mut self) {
        self.dropped.fetch_add(1, SeqCst);
        self.wg.done();
    }
}

/// Waits for `rx`, then returns `id`.
#[coro::coroutine]
fn released(rx: oneshot::Receiver<()>, id: usize) -> usize {
    rx.recv().unwrap();
    id
}

/// Never finishes; its counter shows when the runtime drops it.
#[coro::coroutine]
fn stuck(counter: DropCounter) {
    let _counter = counter;
    std::future::pending::<()>().await;
}

#[coro::test(workers = 2)]
fn join_set_yields_results_in_completion_order() {
    let mut set = JoinSet::new();
    let mut gates = Vec::new();
    for id in 0..5 {
        let (tx, rx) = oneshot::channel();
        gates.push(Some(tx));
        coro::spawn!(in set, released(rx, id)); // spawned, not awaited
    }
    assert_eq!(set.len(), 5);
    for id in [3, 1, 4, 0, 2] {
        gates[id].take().unwrap().send(()).unwrap();
        let next = coro::timeout!(HANG, set.join_next()).expect("join_next hung");
        assert_eq!(next.unwrap().unwrap(), id);
    }
    assert!(set.is_empty());
    assert!(set.join_next().is_none());
}

#[coro::test(workers = 2)]
fn dropping_a_join_set_aborts_and_drops_what_is_left() {
    let dropped = Arc::new(AtomicUsize::new(0));
    let wg = Arc::new(WaitGroup::new());
    let mut set = JoinSet::new();
    for _ in 0..10 {
        coro::spawn!(in set, stuck(DropCounter::new(&dropped, &wg)));
    }
    let (tx, rx) = oneshot::channel();
    coro::spawn!(in set, move || {
        coro::yield_now();
        tx.send(()).unwrap();
    });
    // The closure's task finishes; the ten others never do.
    rx.recv().unwrap();
    set.join_next().unwrap().unwrap();
    assert_eq!(set.len(), 10);
    drop(set);
    coro::timeout!(HANG, wg.wait()).expect("aborted futures were not dropped");
    assert_eq!(dropped.load(SeqCst), 10);
}

#[coro::test(workers = 2)]
fn abort_all_reports_cancellations_and_detach_all_lets_tasks_run() {
    let dropped = Arc::new(AtomicUsize::new(0));
    let wg = Arc::new(WaitGroup::new());
    let mut set = JoinSet::new();
    for _ in 0..3 {
        coro::spawn!(in set, stuck(DropCounter::new(&dropped, &wg)));
    }
    set.abort_all();
    let mut cancelled = 0;
    while let Some(res) = coro::timeout!(HANG, set.join_next()).expect("join_next hung") {
        cancelled += usize::from(res.unwrap_err().is_cancelled());
    }
    assert_eq!((cancelled, dropped.load(SeqCst)), (3, 3));

    let (tx, rx) = oneshot::channel();
    let mut set = JoinSet::new();
    coro::spawn!(in set, released(rx, 7));
    set.detach_all();
    assert!(set.is_empty());
    drop(set);
    let (done_tx, done_rx) = oneshot::channel();
    coro::spawn!(move || {
        coro::yield_now();
        done_tx.send(()).unwrap();
    });
    done_rx.recv().unwrap();
    tx.send(()).expect("a detached task was aborted"); // its receiver is still alive
}

/// Waits for `token`, then counts itself in `stopped`.
#[coro::coroutine]
fn until_cancelled(token: CancellationToken, stopped: Arc<AtomicUsize>) {
    coro::select! {
        _ = token.cancelled() => {},
        _ = coro::sleep(HANG) => panic!("never cancelled"),
    }
    assert!(token.is_cancelled());
    stopped.fetch_add(1, SeqCst);
}

#[coro::test(workers = 2)]
fn cancelling_the_root_stops_a_three_level_tree() {
    let root = CancellationToken::new();
    let stopped = Arc::new(AtomicUsize::new(0));
    let mut set = JoinSet::new();
    let mut tokens = vec![root.clone()];
    for _ in 0..2 {
        let child = root.child_token();
        for _ in 0..2 {
            tokens.push(child.child_token());
        }
        tokens.push(child);
    }
    // A child cancelled on its own stops its subtree, not its parent.
    let side = root.child_token();
    let side_leaf = side.child_token();
    side.cancel();
    assert!(side_leaf.is_cancelled() && !root.is_cancelled());

    for token in &tokens {
        coro::spawn!(in set, until_cancelled(token.clone(), stopped.clone()));
    }
    coro::yield_now();
    assert_eq!(stopped.load(SeqCst), 0);
    root.cancel();
    while let Some(res) = set.join_next() {
        res.unwrap();
    }
    assert_eq!(stopped.load(SeqCst), 7);
    assert!(tokens.iter().all(CancellationToken::is_cancelled));
    assert!(root.child_token().is_cancelled());
}

#[test]
fn handle_spawns_from_eight_plain_threads_at_once() {
    fn assert_send_sync<T: Clone + Send + Sync + 'static>() {}
    assert_send_sync::<Handle>();
    let rt = Runtime::builder().workers(2).build().unwrap();
    let ran = Arc::new(AtomicUsize::new(0));
    let start = Arc::new(std::sync::Barrier::new(8));
    let threads: Vec<_> = (0..8)
        .map(|_| {
            let (handle, ran, start) = (rt.handle(), ran.clone(), start.clone());
            std::thread::spawn(move || {
                start.wait();
                let tasks: Vec<_> = (0..100)
                    .map(|_| {
                        let ran = ran.clone();
                        handle.spawn(async move {
                            coro::yield_now().await;
                            ran.fetch_add(1, SeqCst);
                            coro::task::id()
                        })
                    })
                    .collect();
                handle.block_on(join_all(tasks))
            })
        })
        .collect();
    let ids: Vec<_> = threads.into_iter().flat_map(|t| t.join().unwrap()).collect();
    assert_eq!((ran.load(SeqCst), ids.len()), (800, 800));
    assert_eq!(rt.metrics().num_alive_tasks(), 0);
}

/// Serves one connection: echoes one line.
#[coro::coroutine]
fn echo_once(listener: coro::net::TcpListener) -> std::io::Result<()> {
    let (mut stream, _) = listener.accept()?;
    let mut buf = [0u8; 5];
    stream.read_exact(&mut buf)?;
    stream.write_all(&buf)
}

#[test]
fn block_on_from_a_plain_thread_while_the_runtime_serves_others() {
    let rt = Runtime::builder().workers(2).build().unwrap();
    let handle = rt.handle();
    let (to_main, from_plain) = coro::chan::bounded::<u32>(0);
    let plain = std::thread::spawn(move || {
        handle.block_on(async move {
            // The runtime's timers, sockets and spawn all work here, on a thread that is no worker.
            coro::sleep(Duration::from_millis(1)).await;
            let listener = coro::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            let addr = listener.local_addr().unwrap();
            let server = Handle::current().spawn(echo_once(listener));
            let mut stream = coro::net::TcpStream::connect(addr).await.unwrap();
            stream.write_all(b"hello").await.unwrap();
            let mut buf = [0u8; 5];
            stream.read_exact(&mut buf).await.unwrap();
            assert_eq!(&buf, b"hello");
            server.join().await.unwrap().unwrap();
            to_main.send(42).await.unwrap();
        });
    });
    // Meanwhile the runtime runs other work, and the main future waits for the plain thread's message.
    let got = rt.block_on(async {
        let busy: Vec<_> = (0..100u64).map(|i| coro::spawn(async move { i * 2 })).collect();
        let sum: u64 = join_all(busy).await.into_iter().sum();
        (sum, coro::time::timeout(HANG, from_plain.recv()).await.expect("plain thread hung").unwrap())
    });
    assert_eq!(got, (9900, 42));
    plain.join().unwrap();
}

#[test]
#[should_panic(expected = "would block the worker")]
fn block_on_on_a_worker_panics() {
    coro::run(async { Handle::current().block_on(async {}) });
}

#[test]
fn shutdown_timeout_lets_tasks_finish_then_cancels_the_rest() {
    let rt = Runtime::builder().workers(2).build().unwrap();
    let finished = Arc::new(AtomicUsize::new(0));
    let dropped = Arc::new(AtomicUsize::new(0));
    let wg = Arc::new(WaitGroup::new());
    let (gate_tx, gate_rx) = watch::channel(false);
    for _ in 0..5 {
        // Finish in time: they only wait for the runtime to start closing, seen as a refused spawn.
        let (finished, mut gate_rx) = (finished.clone(), gate_rx.clone());
        rt.spawn(async move {
            loop {
                if coro::spawn(async {}).join().await.is_err() {
                    break; // refused: the runtime is closing
                }
                coro::yield_now().await;
            }
            let _ = gate_rx.changed().await; // a last suspension inside the grace period
            finished.fetch_add(1, SeqCst);
        });
    }
    for _ in 0..3 {
        let counter = DropCounter::new(&dropped, &wg);
        rt.spawn(async move {
            let _counter = counter;
            std::future::pending::<()>().await
        });
    }
    // A plain thread releases the gate once the runtime refuses new tasks.
    let handle = rt.handle();
    let releaser = std::thread::spawn(move || {
        while handle.block_on(handle.spawn(async {}).join()).is_ok() {
            std::thread::yield_now();
        }
        gate_tx.send(true).unwrap();
    });
    rt.shutdown_timeout(Duration::from_secs(2));
    releaser.join().unwrap();
    assert_eq!((finished.load(SeqCst), dropped.load(SeqCst)), (5, 3));
}

#[test]
fn shutdown_timeout_returns_once_every_task_is_done() {
    let rt = Runtime::builder().workers(2).build().unwrap();
    let finished = Arc::new(AtomicUsize::new(0));
    for _ in 0..20 {
        let finished = finished.clone();
        rt.spawn(async move {
            for _ in 0..10 {
                coro::yield_now().await;
            }
            finished.fetch_add(1, SeqCst);
        });
    }
    // Returns when the tasks are done, long before the deadline (a broken drain would hang here).
    rt.shutdown_timeout(Duration::from_secs(3600));
    assert_eq!(finished.load(SeqCst), 20);
}

#[coro::coroutine]
fn hold_permit(
    permit: coro::sync::OwnedSemaphorePermit,
    barrier: Arc<Barrier>,
    inside: Arc<AtomicUsize>,
    max: Arc<AtomicUsize>,
) {
    let now = inside.fetch_add(1, SeqCst) + 1;
    max.fetch_max(now, SeqCst);
    // Released only when N holders are here at once: the maximum must reach N, and can pass it only if
    // the semaphore lets too many in.
    barrier.wait();
    inside.fetch_sub(1, SeqCst);
    drop(permit);
}

#[coro::test(workers = 2)]
fn owned_permits_limit_a_thousand_tasks_to_n() {
    const N: usize = 4;
    let semaphore = Arc::new(Semaphore::new(N));
    let barrier = Arc::new(Barrier::new(N));
    let (inside, max) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
    let mut set = JoinSet::new();
    for _ in 0..1000 {
        let permit = semaphore.clone().acquire_owned().unwrap();
        coro::spawn!(in set, hold_permit(permit, barrier.clone(), inside.clone(), max.clone()));
    }
    while let Some(res) = coro::timeout!(HANG, set.join_next()).expect("a holder hung") {
        res.unwrap();
    }
    assert_eq!(max.load(SeqCst), N);
    assert_eq!(semaphore.available_permits(), N);
}

#[coro::test(workers = 2)]
fn owned_lock_guards_move_into_tasks() {
    let counter = Arc::new(Mutex::new(0));
    let mut guard = counter.clone().lock_owned();
    let task = coro::spawn!(move || {
        coro::yield_now();
        *guard += 1; // held across the yield, on whichever worker
    });
    task.join().unwrap();
    assert_eq!(*counter.lock(), 1);

    let config = Arc::new(RwLock::new(String::from("v1")));
    let mut writer = config.clone().write_owned();
    coro::spawn!(move || writer.push_str("+v2")).join().unwrap();
    let mut readers = Vec::new();
    for _ in 0..2 {
        let reader = config.clone().read_owned(); // shared: both are held at once
        readers.push(coro::spawn!(move || reader.clone()));
    }
    assert_eq!(join_all(readers), ["v1+v2", "v1+v2"]);
}

/// Waits for `go`, then reports every value it sees change to, until the sender is gone.
#[coro::coroutine]
fn slow_watcher(go: oneshot::Receiver<()>, mut rx: watch::Receiver<u32>) -> Vec<u32> {
    go.recv().unwrap();
    let mut seen = Vec::new();
    while rx.changed().is_ok() {
        seen.push(*rx.borrow_and_update());
    }
    seen
}

#[coro::test(workers = 2)]
fn slow_watch_receivers_see_only_the_latest_value() {
    let (tx, rx) = watch::channel(0u32);
    let mut gates = Vec::new();
    let mut watchers = Vec::new();
    for _ in 0..3 {
        let (go_tx, go_rx) = oneshot::channel();
        gates.push(go_tx);
        watchers.push(coro::spawn!(slow_watcher(go_rx, rx.clone())));
    }
    drop(rx);
    for value in 1..=100 {
        tx.send(value).unwrap();
    }
    for go in gates {
        go.send(()).unwrap();
    }
    drop(tx);
    assert_eq!(join_all(watchers), [[100], [100], [100]]);
}

/// Live tasks are exact whenever they are read; a worker publishes its event counts (polls) when it parks
/// or stops, so those are read once the runtime is dropped.
#[test]
fn metrics_count_tasks_polls_and_queues() {
    let rt = Runtime::builder().workers(2).build().unwrap();
    let metrics = rt.metrics();
    rt.block_on(count_tasks_and_queues(metrics.clone()));
    drop(rt);
    let polls: u64 = (0..2).map(|i| metrics.worker_poll_count(i)).sum();
    assert!(polls >= 51, "{polls}");
}

#[coro::coroutine]
fn count_tasks_and_queues(metrics: coro::RuntimeMetrics) {
    assert_eq!(metrics.num_workers(), 2);
    let (tx, rx) = oneshot::channel::<()>();
    let waiting = coro::spawn!(move || rx.recv().is_err());
    let ids = join_all((0..50).map(|_| coro::spawn!(move || coro::task::id())).collect());
    assert_eq!(metrics.num_alive_tasks(), 1); // `waiting`
    drop(tx);
    assert!(waiting.join().unwrap());
    assert_eq!(metrics.num_alive_tasks(), 0);
    assert_eq!(ids.len(), 50);
    assert_eq!(coro::task::try_id(), None); // the `block_on` future is not a task
    coro::spawn_blocking(|| ()).join().unwrap();
    assert!(metrics.num_blocking_threads() >= 1);
    assert_eq!(metrics.injection_queue_depth() + metrics.worker_local_queue_depth(0), 0);
    let _ = format!("{metrics:?}");
}

#[coro::test(workers = 2)]
fn spawn_in_a_handle_keeps_the_call_lazy() {
    let handle = Handle::current();
    let (tx, rx) = oneshot::channel();
    let task = coro::spawn!(in handle, released(rx, 9)); // a coroutine given to `Handle::spawn`
    tx.send(()).unwrap();
    assert_eq!(task.join().unwrap(), 9);
}
