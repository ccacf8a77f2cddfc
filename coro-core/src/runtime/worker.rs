//! The worker loop: where tasks are found, run, stolen, and where workers sleep.
//!
//! # Design
//!
//! A runtime with `n` workers has `n` [`Core`]s: worker 0's is driven by the thread that calls
//! [`Runtime::block_on`](super::Runtime::block_on) (the thread that built the runtime), the others by one
//! thread each. A core owns:
//!
//! - a LIFO slot: the task most recently woken by the task running on this worker, run next (its data is
//!   still in cache). A chain of LIFO runs is capped at [`MAX_LIFO_POLLS`] per tick, after which the
//!   slot's task goes to the back of the queue, so two tasks waking each other cannot starve the rest (and
//!   wakes a sleeper only if other tasks are queued: a pair alone keeps to one worker);
//! - the run queue ([`queue`](super::queue)): 512 slots, stealable, overflowing half to the injector;
//! - the pinned queue: `spawn_local` tasks, runnable only here. Other threads waking them push to this
//!   worker's inbox (a mutex-guarded deque) and unpark it specifically.
//!
//! Each tick the worker takes one task, in this order: every [`GLOBAL_INTERVAL`] (61) ticks the inbox and the
//! injector first (so outside work is not starved by a busy local queue, as Go's `schedule` does every 61st
//! tick); then the LIFO slot; the pinned queue and the run queue alternately; the inbox; a batch from the
//! injector (its fair share, moved into the run queue). With nothing local it tries to become a searcher
//! ([`idle`](super::idle): at most half the workers search), steals half of another worker's queue (starting
//! at a random victim), then tries the injector again, and finally parks. Every [`GLOBAL_INTERVAL`] ticks it
//! also lets its parker poll the I/O driver without blocking ([`Park::maintain`]), so that readiness and
//! timers are served while every worker is busy; a `park` that returns with tasks woken into this core (by
//! the driver's dispatch) ends the parking even if nobody unparked the worker.
//!
//! Where a runnable task goes depends on who makes it runnable ([`Placement`]): a task woken by a task
//! running on a worker of the same runtime goes to that worker's LIFO slot; a task spawned there, or one that
//! woke itself during its poll (a yield, an exhausted budget: the poll hands it straight back to the worker,
//! see [`Schedule::yielded`], with no look-up of the thread's context), goes to the back of that worker's run
//! queue, where idle workers can steal it (the LIFO slot is not stealable: a spawned task parked there would wait
//! for its spawner to finish, however long that blocks); wakes that this worker's I/O driver dispatches while it
//! parks or maintains are queued as one batch, in event order, behind everything already waiting: in the run
//! queue if the injector is empty and the batch fits, else in the injector ([`dispatching`]); anything else
//! goes to the injector.
//! Making work stealable wakes at most one sleeper ([`Idle::worker_to_notify`]).
//!
//! # Fairness
//!
//! A task that wakes many others (a hub fanning a message out to a thousand connections) fills the run
//! queue, and the overflow goes to the injector, which a busy worker reads only once per
//! [`GLOBAL_INTERVAL`] ticks. If that task then ran out of budget and went back to the run queue, it would
//! run again, and wake the same tasks again, long before the ones in the injector had their turn: those
//! would fall further behind every round (a chat hub dropped most of its readers as too slow that way).
//! So a task that yields having spent its whole budget goes behind everything waiting: to the back of the
//! injector whenever tasks wait there, where the workers take it in turn after the tasks it woke. A task
//! that yields before its budget is spent (`yield_now`, a wake of its own) goes to the run queue as usual,
//! and an empty injector (the common case) costs one atomic load.
//!
//! The thread-local [`ThreadCx`] tells `spawn` and the wakers which runtime and worker the current thread
//! belongs to. The core sits in a `RefCell` inside it; the loop borrows it only between polls, so a wake from
//! inside a poll can borrow it to reach the LIFO slot. Parking takes the parker out of the core first, so a
//! parker that runs wakers (an I/O driver) can schedule into the core too.
//!
//! # Shutdown
//!
//! `Runtime` drop sets the shutdown flag, closes the injector and unparks every worker. Each worker, on its
//! own thread, closes its inbox, cancels its `spawn_local` tasks (dropping their futures on the thread they
//! belong to), cancels every task of the shared owned list it can claim (tasks running elsewhere are marked
//! cancelled and cancelled by their poller when the poll returns), and drops the references in its queues
//! (which cancels the tasks never polled: they are in no list yet).
//! Then the runtime joins the worker threads and shuts the blocking pool down. Every task is then complete,
//! its future dropped, and freed as soon as the last `JoinHandle` or waker referring to it goes.
//!
//! `Runtime::shutdown_timeout` first sets the closing flag, which makes every spawn cancel its new task at
//! once, and runs worker 0 until no task is alive (spawns minus completions, counted per worker: see
//! [`metrics`](super::metrics); checked every millisecond) or the deadline passes; then it shuts down as
//! above.

use super::blocking::Pool;
use super::coop;
use super::idle::Idle;
use super::inject::Inject;
use super::metrics::{Counters, WorkerCounters, bump};
use super::park::{Park, Unpark};
use super::queue::{self, Overflow};
use super::task::list::OwnedList;
use super::task::{self, JoinHandle, Placement, Runnable, Schedule, Task};
use crate::loom::{AtomicBool, AtomicU64, AtomicUsize, Mutex, Ordering::*, lock};
use crossbeam_utils::CachePadded;
use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::fmt;
use std::future::Future;
use std::ptr;
use std::sync::Arc;

/// Ticks between two checks of the injector and inbox ahead of local work.
pub(crate) const GLOBAL_INTERVAL: u32 = 61;
/// Rounds of stealing a searcher makes before it parks, [`SEARCH_PAUSE`] spin hints apart (a few
/// microseconds in all). Work made stealable meanwhile, such as a chain of spawns or a task woken on another
/// worker, is then taken without a futex round trip on either side; a worker that parked at once would be
/// woken for it by the very next spawn (as Go's spinning Ms look several times before they sleep). Not
/// while a blocking-pool closure is in flight ([`Pool::is_busy`]): its thread may need this CPU.
const SEARCH_ROUNDS: u32 = 4;
const SEARCH_PAUSE: u32 = 128;
/// Tasks run back to back from the LIFO slot before it is demoted to the run queue.
pub(crate) const MAX_LIFO_POLLS: usize = 3;

/// What all workers share. Every task holds an `Arc` to it (its scheduler), so it outlives them all.
pub(crate) struct Shared {
    pub(crate) remotes: Box<[Remote]>,
    pub(crate) inject: Inject,
    pub(crate) idle: Idle,
    pub(crate) owned: OwnedList,
    pub(crate) blocking: Pool,
    pub(crate) extension: Option<super::Extension>,
    pub(crate) timer: Option<Arc<dyn super::Timer>>,
    pub(crate) counters: Counters,
    shutdown: AtomicBool,
    /// Set by [`Runtime::shutdown_timeout`](super::Runtime::shutdown_timeout): new tasks are refused.
    closing: AtomicBool,
}

/// The part of a worker other threads may touch.
pub(crate) struct Remote {
    steal: queue::Steal<Runnable>,
    unpark: Arc<dyn Unpark>,
    inbox: Mutex<Inbox>,
    inbox_len: AtomicUsize,
    /// The worker's `spawn_local` tasks.
    locals: OwnedList,
}

struct Inbox {
    tasks: VecDeque<Runnable>,
    closed: bool,
}

impl Remote {
    /// The tasks in the worker's run queue.
    pub(crate) fn queue_depth(&self) -> usize {
        self.steal.len()
    }
}

/// A worker's private state.
pub(crate) struct Core {
    index: usize,
    tick: u32,
    /// This worker's counters (see [`metrics`](super::metrics)), and its polls since it started, published to
    /// them by [`Core::publish_polls`].
    counters: Arc<CachePadded<WorkerCounters>>,
    polls: u64,
    lifo: Option<Runnable>,
    run_queue: queue::Local<Runnable>,
    pinned: VecDeque<Runnable>,
    is_searching: bool,
    park: Option<Box<dyn Park>>,
    rand: u32,
}

/// The runtime context of the current thread.
pub(crate) struct ThreadCx {
    pub(crate) shared: Arc<Shared>,
    /// The worker this thread drives, if any (`None` on blocking-pool threads).
    worker: Option<usize>,
    core: RefCell<Option<Box<Core>>>,
    /// Whether this worker's parker is running its driver (`park`, `maintain`), and the wakes it dispatched
    /// meanwhile, queued in one batch when it returns (see [`dispatching`]).
    in_driver: Cell<bool>,
    dispatched: RefCell<Vec<Runnable>>,
    /// The task this worker is polling (its [`Id`](crate::task::Id)), else 0. Set before each poll and left
    /// as it is after it: between polls only the scheduler runs, which asks no task id, so the worker clears
    /// it only where other code runs on its thread (before the `block_on` future's poll, before parking,
    /// when it stops), which saves a store per poll.
    pub(crate) current_task: Cell<u64>,
}

thread_local! {
    static CURRENT: Cell<*const ThreadCx> = const { Cell::new(ptr::null()) };
}

/// Runs `f` with the current thread's runtime context, if any.
pub(crate) fn with_current<R>(f: impl FnOnce(Option<&ThreadCx>) -> R) -> R {
    let ptr = CURRENT.try_with(Cell::get).unwrap_or(ptr::null());
    // SAFETY: the pointer is set by `ThreadCx::enter` for the duration of a borrow of a live `ThreadCx` on this
    // thread and reset before that borrow ends.
    f(unsafe { ptr.as_ref() })
}

impl ThreadCx {
    pub(crate) fn new(shared: Arc<Shared>, worker: Option<usize>, core: Option<Box<Core>>) -> ThreadCx {
        ThreadCx {
            shared,
            worker,
            core: RefCell::new(core),
            in_driver: Cell::new(false),
            dispatched: RefCell::new(Vec::new()),
            current_task: Cell::new(0),
        }
    }

    /// Makes `self` the current context while `f` runs.
    pub(crate) fn enter<R>(&self, f: impl FnOnce() -> R) -> R {
        super::scoped::set(&CURRENT, self, f)
    }

    /// Spawns a task on this thread's runtime.
    pub(crate) fn spawn<F>(&self, future: F) -> JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        self.shared.spawn_from(Some(self), future)
    }

    /// Puts a task of this thread's runtime into this worker's core, or returns it if it must go to the
    /// injector (not a worker, or the core is out or in use).
    fn schedule_here(&self, task: Runnable, placement: Placement) -> Option<Runnable> {
        if self.in_driver.get() {
            // Wakes dispatched by this worker's I/O driver are collected into one batch (see `dispatching`).
            if placement == Placement::Back {
                self.shared.count_spawn_elsewhere();
            }
            self.dispatched.borrow_mut().push(task);
            return None;
        }
        if self.worker.is_none() {
            return Some(task);
        }
        match self.core.try_borrow_mut().ok().as_deref_mut().and_then(Option::as_mut) {
            Some(core) => {
                core.schedule_local(&self.shared, task, placement);
                None
            }
            None => Some(task),
        }
    }

    /// Whether this thread drives a worker (rather than being a blocking-pool or `Handle::block_on` thread).
    pub(crate) fn is_worker(&self) -> bool {
        self.worker.is_some()
    }

    pub(crate) fn take_core(&self) -> Option<Box<Core>> {
        self.core.borrow_mut().take()
    }

    /// Spawns a `!Send` future pinned to this thread's worker. Panics off a worker thread.
    pub(crate) fn spawn_local<F>(&self, future: F) -> JoinHandle<F::Output>
    where
        F: Future + 'static,
        F::Output: 'static,
    {
        let Some(index) = self.worker else {
            panic!(
                "`coro::spawn_local` must be called from a worker thread of a coro runtime, not from a blocking-pool thread"
            )
        };
        let scheduler = LocalScheduler { shared: self.shared.clone(), index };
        bump(&self.shared.counters.workers[index].spawned);
        // SAFETY: `LocalScheduler` queues the task only on worker `index`, which is this thread: the future is
        // polled and dropped here only (shutdown cancels it on this thread too). Bound at once, so that a
        // `Runnable` dropped elsewhere does not cancel it there.
        let (task, notified, join) = unsafe { task::new_bound_task(future, scheduler) };
        // Refused while `shutdown_timeout` drains the runtime, as a closed list refuses it.
        let bound = match self.shared.closing.load(Relaxed) {
            false => self.shared.remotes[index].locals.bind(task),
            true => Err(task),
        };
        match bound {
            Ok(()) => self.shared.schedule_pinned(index, notified),
            Err(task) => {
                drop(notified);
                task.shutdown();
            }
        }
        join
    }
}

impl Shared {
    #[allow(clippy::vec_box, reason = "cores move between threads and thread-locals as boxes")]
    pub(crate) fn new(
        parks: Vec<Box<dyn Park>>,
        blocking: Pool,
        extension: Option<super::Extension>,
        timer: Option<Arc<dyn super::Timer>>,
    ) -> (Arc<Shared>, Vec<Box<Core>>) {
        let n = parks.len();
        let counters = Counters::new(n);
        let mut remotes = Vec::with_capacity(n);
        let mut cores = Vec::with_capacity(n);
        for (index, park) in parks.into_iter().enumerate() {
            let (local, steal) = queue::new();
            remotes.push(Remote {
                steal,
                unpark: park.unparker(),
                inbox: Mutex::new(Inbox { tasks: VecDeque::new(), closed: false }),
                inbox_len: AtomicUsize::new(0),
                locals: OwnedList::new(1),
            });
            cores.push(Box::new(Core {
                index,
                tick: 0,
                counters: counters.workers[index].clone(),
                polls: 0,
                lifo: None,
                run_queue: local,
                pinned: VecDeque::new(),
                is_searching: false,
                park: Some(park),
                // Any odd seed works for xorshift; spread the workers' victims.
                rand: (index as u32).wrapping_mul(0x9E37_79B9) | 1,
            }));
        }
        let shared = Arc::new(Shared {
            remotes: remotes.into_boxed_slice(),
            inject: Inject::new(),
            idle: Idle::new(n),
            owned: OwnedList::new(n * 4),
            blocking,
            extension,
            timer,
            counters,
            shutdown: AtomicBool::new(false),
            closing: AtomicBool::new(false),
        });
        (shared, cores)
    }

    pub(crate) fn is_shutdown(&self) -> bool {
        self.shutdown.load(Acquire)
    }

    /// Spawns a task from any thread (see [`ThreadCx::spawn`] for the runtime's own threads).
    pub(crate) fn spawn<F>(self: &Arc<Self>, future: F) -> JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        with_current(|cx| self.spawn_from(cx, future))
    }

    /// Spawns a task from a thread whose context is `cx`.
    fn spawn_from<F>(self: &Arc<Self>, cx: Option<&ThreadCx>, future: F) -> JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        // SAFETY: the future and its output are `Send`: any worker may poll and drop them. The task joins the
        // owned list if it ever waits; during shutdown, it is cancelled where its `Runnable` is dropped.
        let (notified, join) = unsafe { task::new_task(future, self.clone()) };
        self.schedule_spawned(cx, notified);
        join
    }

    /// Queues a new task behind the waiting ones, where the spawn is counted, or, while `shutdown_timeout`
    /// drains the runtime (no new tasks), cancels it at once. Out of line, so that the spawning code above,
    /// inlined into every spawning task, is no larger than it would be without counters and the closing flag.
    #[inline(never)]
    fn schedule_spawned(self: &Arc<Self>, cx: Option<&ThreadCx>, task: Runnable) {
        if self.closing.load(Relaxed) {
            return self.refuse(task);
        }
        self.schedule_from(cx, task, Placement::Back);
    }

    /// Cancels a task spawned while `shutdown_timeout` drains the runtime, counted as spawned so that its
    /// completion is matched.
    #[cold]
    fn refuse(&self, task: Runnable) {
        self.count_spawn_elsewhere();
        task.shutdown();
    }

    /// Counts a spawn on a thread that has no counters of its own, or on a worker outside its core.
    fn count_spawn_elsewhere(&self) {
        self.counters.spawned_elsewhere.fetch_add(1, Release);
    }

    /// Counts a task completed outside [`run_task`] (cancelled by a shutdown, on any thread).
    fn count_completion(&self) {
        with_current(|cx| match cx.and_then(|cx| cx.worker.filter(|_| ptr::eq(&*cx.shared, self))) {
            Some(index) => bump(&self.counters.workers[index].completed),
            None => _ = self.counters.completed_elsewhere.fetch_add(1, Release),
        });
    }

    /// Refuses new tasks from now on (see [`Runtime::shutdown_timeout`](super::Runtime::shutdown_timeout)).
    pub(crate) fn begin_closing(&self) {
        self.closing.store(true, SeqCst);
    }

    /// Whether every task has completed (its future dropped).
    pub(crate) fn is_drained(&self) -> bool {
        self.counters.live_tasks() == 0
    }

    /// Schedules a task of this runtime from a thread whose context is `cx`: into that worker's core if the
    /// thread is one of this runtime's workers, else into the injector.
    fn schedule_from(self: &Arc<Self>, cx: Option<&ThreadCx>, task: Runnable, placement: Placement) {
        let task = match cx {
            Some(cx) if Arc::ptr_eq(&cx.shared, self) => cx.schedule_here(task, placement),
            _ => Some(task),
        };
        if let Some(task) = task {
            if placement == Placement::Back {
                self.count_spawn_elsewhere();
            }
            self.inject.push(task);
            self.notify_parked();
        }
    }

    /// Queues a `spawn_local` task on its worker.
    fn schedule_pinned(&self, index: usize, task: Runnable) {
        let task = with_current(|cx| match cx {
            Some(cx) if ptr::eq(&*cx.shared, self) && cx.worker == Some(index) => {
                match cx.core.try_borrow_mut().ok().as_deref_mut().and_then(Option::as_mut) {
                    Some(core) => {
                        core.pinned.push_back(task);
                        None
                    }
                    None => Some(task),
                }
            }
            _ => Some(task),
        });
        let Some(task) = task else { return };
        let remote = &self.remotes[index];
        {
            let mut inbox = lock(&remote.inbox);
            if inbox.closed {
                drop(inbox);
                // The worker shut down: its local tasks are all cancelled already.
                drop(task);
                return;
            }
            inbox.tasks.push_back(task);
            remote.inbox_len.fetch_add(1, Release);
        }
        self.unpark_worker(index);
    }

    /// Wakes worker `index` if it sleeps.
    pub(crate) fn unpark_worker(&self, index: usize) {
        if self.idle.unpark_worker_by_id(index) {
            self.remotes[index].unpark.unpark();
        }
    }

    /// Called on a worker that made work stealable: wakes one sleeping worker if nobody is searching. The
    /// caller is awake, so with a single worker there is nobody to wake, and not even the check is paid.
    fn notify_parked_local(&self) {
        if self.remotes.len() > 1 {
            self.notify_parked();
        }
    }

    /// Wakes one sleeping worker if nobody is searching.
    fn notify_parked(&self) {
        if let Some(index) = self.idle.worker_to_notify() {
            self.remotes[index].unpark.unpark();
        }
    }

    fn has_stealable_work(&self) -> bool {
        !self.inject.is_empty() || self.remotes.iter().any(|r| !r.steal.is_empty())
    }

    /// Starts the shutdown: workers stop at their next tick.
    pub(crate) fn begin_shutdown(&self) {
        if self.shutdown.swap(true, AcqRel) {
            return;
        }
        self.inject.close();
        for remote in self.remotes.iter() {
            remote.unpark.unpark();
        }
    }
}

impl Schedule for Arc<Shared> {
    fn schedule(&self, task: Runnable, placement: Placement) {
        with_current(|cx| self.schedule_from(cx, task, placement));
    }

    /// Hands the task back: its runner is one of this runtime's workers (`run_task`), which queues it itself.
    fn yielded(&self, task: Runnable) -> Option<Runnable> {
        Some(task)
    }

    fn bind(&self, task: Task) -> Result<(), Task> {
        self.owned.bind(task)
    }

    fn release(&self, task: &Task) -> Option<Task> {
        self.owned.remove(task)
    }

    fn completed(&self) {
        self.count_completion();
    }
}

/// The scheduler of a `spawn_local` task: its runtime and the worker it is pinned to.
pub(crate) struct LocalScheduler {
    shared: Arc<Shared>,
    index: usize,
}

impl Schedule for LocalScheduler {
    fn schedule(&self, task: Runnable, _: Placement) {
        self.shared.schedule_pinned(self.index, task);
    }

    fn yielded(&self, task: Runnable) -> Option<Runnable> {
        self.shared.schedule_pinned(self.index, task);
        None
    }

    fn bind(&self, task: Task) -> Result<(), Task> {
        self.shared.remotes[self.index].locals.bind(task)
    }

    fn release(&self, task: &Task) -> Option<Task> {
        self.shared.remotes[self.index].locals.remove(task)
    }

    fn completed(&self) {
        self.shared.count_completion();
    }
}

impl Core {
    fn schedule_local(&mut self, shared: &Shared, task: Runnable, placement: Placement) {
        match placement {
            Placement::Next => match self.lifo.replace(task) {
                // Only the LIFO slot changed; it is not stealable, nobody needs waking.
                None => return,
                Some(prev) => self.run_queue.push_back(prev, &shared.inject),
            },
            Placement::Back => {
                bump(&self.counters.spawned);
                self.run_queue.push_back(task, &shared.inject);
            }
        }
        shared.notify_parked_local();
    }

    /// Publishes this worker's poll count, kept in the core between publications (see
    /// [`metrics`](super::metrics)).
    fn publish_polls(&self) {
        self.counters.polls.store(self.polls, Release);
    }

    fn has_local_work(&self) -> bool {
        self.lifo.is_some() || !self.run_queue.is_empty() || !self.pinned.is_empty()
    }

    fn next_rand(&mut self) -> u32 {
        // xorshift32
        let mut x = self.rand;
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        self.rand = x;
        x
    }

    fn drain_inbox(&mut self, shared: &Shared) {
        let remote = &shared.remotes[self.index];
        if remote.inbox_len.load(Acquire) == 0 {
            return;
        }
        let mut inbox = lock(&remote.inbox);
        remote.inbox_len.store(0, Release);
        self.pinned.append(&mut inbox.tasks);
    }

    fn next_task(&mut self, shared: &Shared) -> Option<Runnable> {
        self.tick = self.tick.wrapping_add(1);
        if self.tick.is_multiple_of(GLOBAL_INTERVAL) {
            self.drain_inbox(shared);
            if let Some(task) = shared.inject.pop() {
                return Some(task);
            }
        }
        if let Some(task) = self.lifo.take() {
            return Some(task);
        }
        if self.tick & 1 == 0 {
            if let Some(task) = self.pinned.pop_front() {
                return Some(task);
            }
        }
        if let Some(task) = self.run_queue.pop() {
            return Some(task);
        }
        self.drain_inbox(shared);
        if let Some(task) = self.pinned.pop_front() {
            return Some(task);
        }
        self.next_from_inject(shared)
    }

    /// Takes this worker's fair share of the injector: one to run, the rest into the run queue.
    fn next_from_inject(&mut self, shared: &Shared) -> Option<Runnable> {
        let len = shared.inject.len();
        if len == 0 {
            return None;
        }
        let n = (len / shared.remotes.len() + 1).min(self.run_queue.remaining() / 2).max(1);
        let mut first = None;
        let queue = &mut self.run_queue;
        shared.inject.pop_batch(n, |task| match first {
            None => first = Some(task),
            Some(_) => queue.push_back(task, &NoOverflow),
        });
        first
    }

    /// Searches other workers' queues and the injector, a few rounds apart before giving up (see
    /// [`SEARCH_ROUNDS`]).
    fn steal_work(&mut self, shared: &Shared) -> Option<Runnable> {
        if !self.is_searching {
            self.is_searching = shared.idle.transition_worker_to_searching();
        }
        if !self.is_searching {
            return None;
        }
        // Alone, there is nobody to steal from; outside work arrives with a wake-up.
        let rounds = if shared.remotes.len() > 1 { SEARCH_ROUNDS } else { 1 };
        for round in 0..rounds {
            if round > 0 {
                if shared.blocking.is_busy() {
                    break;
                }
                for _ in 0..SEARCH_PAUSE {
                    std::hint::spin_loop();
                }
            }
            if let Some(task) = self.steal_once(shared) {
                return Some(task);
            }
        }
        None
    }

    fn steal_once(&mut self, shared: &Shared) -> Option<Runnable> {
        let n = shared.remotes.len();
        let start = self.next_rand() as usize % n;
        for i in 0..n {
            let victim = (start + i) % n;
            if victim == self.index {
                continue;
            }
            if let Some(task) = shared.remotes[victim].steal.steal_into(&mut self.run_queue) {
                bump(&self.counters.steals);
                return Some(task);
            }
        }
        self.next_from_inject(shared)
    }

    /// Stops searching before running a task; the last searcher wakes a replacement.
    fn found_work(&mut self, shared: &Shared) {
        if self.is_searching {
            self.is_searching = false;
            if shared.idle.transition_worker_from_searching() {
                shared.notify_parked();
            }
        }
    }
}

/// The run queue never overflows while taking a batch sized to its free space; this is never called.
struct NoOverflow;

impl Overflow<Runnable> for NoOverflow {
    fn push_batch(&self, iter: impl Iterator<Item = Runnable>) {
        // Unreachable by construction; dropping would leak nothing but lose wake-ups, so fail loudly.
        let n = iter.count();
        unreachable!("run queue overflow of {n} while refilling from the injector");
    }
}

/// The `block_on` future's wake-up flag, and the worker it belongs to.
pub(crate) struct MainWaker {
    pub(crate) woken: AtomicBool,
    pub(crate) shared: Arc<Shared>,
    pub(crate) index: usize,
}

impl std::task::Wake for MainWaker {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        if !self.woken.swap(true, AcqRel) {
            self.shared.unpark_worker(self.index);
        }
    }
}

/// Drives the current thread's core until `main` reports completion (for `block_on`) or, without one, until
/// shutdown. `main` is polled whenever its waker fired.
pub(crate) fn run(cx: &ThreadCx, mut main: Option<(&MainWaker, &mut dyn FnMut() -> bool)>) {
    let shared = &*cx.shared;
    // Handed to every poll, which counts a completion there (see `metrics`).
    let counters = with_core(cx, |core| core.counters.clone());
    let completed = &counters.completed;
    loop {
        match main.as_mut() {
            Some((waker, poll_main)) => {
                // A plain load first: the swap is a locked instruction, and the flag is nearly always clear.
                if waker.woken.load(Relaxed) && waker.woken.swap(false, AcqRel) && {
                    // Not a task: see `ThreadCx::current_task`.
                    cx.current_task.set(0);
                    coop::budget(&mut **poll_main)
                } {
                    return;
                }
            }
            None => {
                if shared.is_shutdown() {
                    cx.current_task.set(0);
                    return;
                }
            }
        }
        // One borrow of the core finds the task; whether the driver is due is read in it too, so that it runs
        // ahead of the tick that checks the injector first.
        let (task, maintain_due) = with_core(cx, |core| {
            let task = core.next_task(shared).or_else(|| core.steal_work(shared));
            if task.is_some() {
                core.found_work(shared);
            }
            (task, core.tick.wrapping_add(1) % GLOBAL_INTERVAL == 0)
        });
        // A `maintain` that found no task to run first may have dispatched wakes (into the run queue or the
        // injector): look again before parking rather than park with work waiting.
        let dispatched = maintain_due && maintain(cx);
        match task {
            Some(task) => run_task(cx, task, completed),
            None if dispatched => {}
            None => {
                cx.current_task.set(0);
                park(cx, main.as_ref().map(|(w, _)| &w.woken));
            }
        }
    }
}

fn with_core<R>(cx: &ThreadCx, f: impl FnOnce(&mut Core) -> R) -> R {
    let mut core = cx.core.borrow_mut();
    f(core.as_mut().expect("worker core missing"))
}

/// Runs `task`, then the LIFO slot's tasks, up to [`MAX_LIFO_POLLS`] of them, counting their completions in
/// `completed`.
fn run_task(cx: &ThreadCx, mut task: Runnable, completed: &AtomicU64) {
    let shared = &*cx.shared;
    let mut lifo_polls = 0;
    loop {
        cx.current_task.set(task.id());
        let yielded = coop::budget(|| {
            let yielded = task.run_counted(completed)?;
            // One that spent its whole budget goes behind the injector's tasks, if any wait there (see
            // "Fairness" above).
            if !shared.inject.is_empty() && !coop::has_budget_remaining() {
                shared.inject.push(yielded);
                return None;
            }
            Some(yielded)
        });
        let next = with_core(cx, |core| {
            core.polls += 1;
            if let Some(yielded) = yielded {
                // It woke itself (see `Schedule::yielded`): behind the queued tasks, nobody woken.
                core.run_queue.push_back(yielded, &shared.inject);
            }
            if lifo_polls < MAX_LIFO_POLLS {
                return core.lifo.take();
            }
            // Cap reached: demote the slot's task behind the queued ones. Alone in the queue, it runs here
            // next, and a sleeper woken to steal it would only split a ping-pong pair across two workers,
            // every round trip then crossing threads; so a sleeper is woken only when there is other work for
            // it to take.
            if let Some(task) = core.lifo.take() {
                let others_queued = !core.run_queue.is_empty();
                core.run_queue.push_back(task, &shared.inject);
                if others_queued {
                    shared.notify_parked_local();
                }
            }
            None
        });
        let Some(next) = next else { return };
        task = next;
        lifo_polls += 1;
    }
}

/// Lets the parker poll its driver without blocking (see [`Park::maintain`]). The parker is out of the core
/// meanwhile, so that wakes it dispatches can schedule into the core. Returns whether it dispatched any.
fn maintain(cx: &ThreadCx) -> bool {
    let mut parker = with_core(cx, |core| {
        core.publish_polls();
        core.park.take().expect("parker missing")
    });
    let dispatched = dispatching(cx, || parker.maintain());
    if dispatched {
        cx.shared.notify_parked_local();
    }
    with_core(cx, |core| core.park = Some(parker));
    dispatched
}

/// Runs `drive` (a parker's `park` or `maintain`) and queues the wakes its I/O driver dispatched meanwhile,
/// in event order, behind every task already waiting; returns whether there were any.
///
/// The batch goes to this worker's run queue when all of it fits there and the injector is empty: then
/// everything queued before it is in the run queue, and it runs in turn without a round trip through the
/// injector's lock. Otherwise the whole batch goes to the injector, in one lock. Splitting a batch, or
/// queueing it locally while older tasks wait in the injector, would break the first come, first served
/// order: with more ready sockets than the run queue's 512 slots, the overflow would sit in the injector,
/// read one task per 61 ticks, while every poll of the driver refilled the run queue, and the connections
/// that overflowed would wait for milliseconds (BENCHMARKS.md, "Measurements behind design choices").
/// From the injector they are served in batches the size of the worker's fair share, and idle workers take
/// their share too (as Go's netpoller hands its goroutines to the global queue); from the run queue, idle
/// workers steal them.
fn dispatching(cx: &ThreadCx, drive: impl FnOnce()) -> bool {
    cx.in_driver.set(true);
    drive();
    cx.in_driver.set(false);
    let mut dispatched = cx.dispatched.borrow_mut();
    if dispatched.is_empty() {
        return false;
    }
    let shared = &*cx.shared;
    let queued_here =
        shared.inject.is_empty() && with_core(cx, |core| core.run_queue.push_all(&mut dispatched));
    if !queued_here {
        shared.inject.push_batch(dispatched.drain(..));
    }
    true
}

fn park(cx: &ThreadCx, main_woken: Option<&AtomicBool>) {
    let shared = &*cx.shared;
    let (index, mut parker, was_searching) = with_core(cx, |core| {
        core.publish_polls();
        bump(&core.counters.parks);
        let searching = std::mem::replace(&mut core.is_searching, false);
        (core.index, core.park.take().expect("parker missing"), searching)
    });
    let remote = &shared.remotes[index];
    if shared.idle.transition_worker_to_parked(index, was_searching) && shared.has_stealable_work() {
        shared.notify_parked();
    }
    loop {
        let wake_now = shared.is_shutdown()
            || main_woken.is_some_and(|w| w.load(Acquire))
            || remote.inbox_len.load(Acquire) > 0;
        if wake_now {
            // Take ourselves off the list (unless someone already did; either way we count as searching).
            shared.idle.unpark_worker_by_id(index);
            break;
        }
        let dispatched = dispatching(cx, || parker.park());
        if !shared.idle.is_parked(index) {
            break;
        }
        // The driver dispatched work (into the run queue or the injector), or a wake put tasks into this
        // core: run them.
        if dispatched || with_core(cx, |core| core.has_local_work()) {
            shared.idle.unpark_worker_by_id(index);
            break;
        }
    }
    with_core(cx, |core| {
        core.park = Some(parker);
        core.is_searching = true;
    });
}

/// Stops searching and gives the core's parking state a consistent "awake, not searching" shape (used when
/// `block_on` returns and worker 0's core goes back to the runtime).
pub(crate) fn release_core(shared: &Shared, core: &mut Core) {
    core.publish_polls();
    core.found_work(shared);
    if let Some(task) = core.lifo.take() {
        core.run_queue.push_back(task, &shared.inject);
    }
    if !core.run_queue.is_empty() {
        shared.notify_parked();
    }
}

/// Shuts down one worker, on its own thread: its inbox, its `spawn_local` tasks, its share of the owned
/// tasks, and the references left in its queues.
pub(crate) fn shutdown_core(cx: &ThreadCx, core: &mut Core) {
    core.publish_polls();
    let shared = &*cx.shared;
    let remote = &shared.remotes[core.index];
    let leftover = {
        let mut inbox = lock(&remote.inbox);
        inbox.closed = true;
        remote.inbox_len.store(0, Release);
        std::mem::take(&mut inbox.tasks)
    };
    // The core is out of the context: wakes during the cancellations go to the (closed) inbox and injector.
    cx.enter(|| {
        drop(leftover);
        remote.locals.close_and_shutdown_all();
        shared.owned.close_and_shutdown_all();
        drop(core.lifo.take());
        while let Some(task) = core.run_queue.pop() {
            drop(task);
        }
        core.pinned.clear();
    });
    debug_assert!(core.run_queue.is_empty());
}

impl fmt::Debug for Shared {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Shared")
            .field("workers", &self.remotes.len())
            .field("inject", &self.inject)
            .field("idle", &self.idle)
            .field("shutdown", &self.is_shutdown())
            .finish_non_exhaustive()
    }
}

impl fmt::Debug for Core {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Core")
            .field("index", &self.index)
            .field("run_queue", &self.run_queue)
            .finish_non_exhaustive()
    }
}
