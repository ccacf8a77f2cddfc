//! The reactor: one mio `Poll` per runtime, polled by whichever worker is idle, and the timers.
//!
//! # Design
//!
//! ```text
//!   worker with nothing to run ── Park::park ──▶ driver free? ──yes──▶ epoll_wait(until the next timer)
//!                                                    │                    dispatch readiness, fire timers
//!                                                    no                   release: hand the driver to a
//!                                                    ▼                    worker waiting for it
//!                                           condvar (listed as waiting for the driver)
//!   busy worker, every 61 ticks ── Park::maintain ──▶ driver free? ──yes──▶ epoll_wait(0), dispatch
//! ```
//!
//! **One `Poll` per runtime, tokio-style.** The [`Driver`] owns the runtime's `mio::Poll`, the registrations
//! and the timers. It is installed on every worker through `coro_core`'s `Builder::park_with` ([`park`]):
//! a worker with nothing to run tries to take the driver; the one that gets it blocks in `epoll_wait`
//! (bounded by the next timer), dispatches the readiness it gets and fires the expired timers; the others
//! sleep on their own condition variable. A worker's [`Unpark`](coro_core::rt_internal::park::Unpark) knows
//! which of the two it sleeps in: the condition variable, or `epoll_wait`, which it interrupts with the
//! runtime's `mio::Waker`.
//!
//! **A stuck worker never stops I/O for the others** (tokio issue #4730). The driver is held only while a
//! worker is parked in it, never while a task runs, and a worker that leaves it hands it over: every worker
//! that failed to take it is listed as waiting, and the one leaving wakes one of them, which then polls. So
//! whenever a worker is idle, one idle worker is in `epoll_wait`, whatever the others are running. The
//! wakes the driver dispatches are queued as one batch, in event order, behind every task already waiting:
//! in the polling worker's stealable run queue when the injector is empty and the batch fits, else in the
//! injector, and a sleeper is woken to share them (`dispatching` in `coro-core`'s worker). Busy workers
//! also poll the driver without blocking every 61 ticks (`Park::maintain`, tokio's `maintenance`), so
//! readiness and timers are served even when no worker ever runs out of work.
//!
//! **Why not one `Poll` per worker.** A per-worker poll keeps a socket's events on the worker that
//! registered it (no shared driver lock, better locality), but the requirement above then needs every
//! idle worker to also poll every other worker's `Poll` (a blocked worker's sockets would otherwise never
//! be served): either nested epolls or periodic non-blocking polls of all of them, and a sleeping worker
//! can block in only one of them. Tasks migrate by stealing, so "the socket's worker" is not the task's
//! worker anyway. The shared poll's costs: a lock per park (idle path only), a hand-over wake-up per
//! `epoll_wait` return while other workers wait for the driver, one thread dispatching each batch of
//! events (up to 1024), and `epoll_ctl` from all workers serialized on one epoll instance (registration
//! and deregistration only).
//!
//! A per-worker poll wins on locality when connections never move (BENCHMARKS.md, "Measurements behind
//! design choices", has the figures), but it cannot meet the stuck-worker requirement without
//! cross-polling, and the scheduler moves tasks between workers anyway. We take the shared poll, tokio's
//! design.
//!
//! **Registrations** live in a slab; a source's mio token is its slab key plus a generation
//! ([`registration`]), so an event still in flight for a deregistered source whose key (or fd) was reused
//! is dropped instead of waking the new owner. Each source caches its readiness (readable, writable,
//! read-closed, write-closed, error) with the driver's tick of the last event; an operation that got
//! `WouldBlock` clears the bits only if no event arrived since it looked (same tick), so an event that
//! lands between the check and the clear is never lost.
//!
//! **Timers** ([`crate::time`]) are `coro_core`'s `TimerStore`, one per runtime, under one mutex: insert,
//! cancel (on drop) and pop-expired are `O(log n)`, deadlines are rounded up to the millisecond so a timer
//! never fires early. The worker in `epoll_wait` sleeps until the earliest deadline; inserting an earlier
//! one wakes it.

pub(crate) mod park;
mod registration;

pub(crate) use registration::{Direction, Registration};

use coro_core::rt_internal::TimerStore;
use registration::ScheduledIo;
use slab::Slab;
use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::Waker;
use std::time::{Duration, Instant};

/// The token of the runtime's `mio::Waker`: never a registration's (see [`registration::MAX_KEY`]).
const WAKER_TOKEN: mio::Token = mio::Token(usize::MAX);
/// Events taken per `epoll_wait`.
const EVENTS: usize = 1024;

/// The reactor and timers of one runtime, shared by its parkers, registrations and timers.
pub(crate) struct Driver {
    registry: mio::Registry,
    waker: Arc<mio::Waker>,
    /// The registrations.
    io: Mutex<IoSlab>,
    /// Who holds the poll, and who waits for it.
    slot: Mutex<Slot>,
    /// The poll itself; locked only by the worker that set `slot.held`.
    poll: Mutex<PollState>,
    pub(crate) timers: Mutex<TimerStore>,
    /// Every worker's parker, to hand the driver over.
    parkers: Mutex<Vec<Arc<park::ParkInner>>>,
}

pub(crate) struct IoSlab {
    entries: Slab<Arc<ScheduledIo>>,
    generation: usize,
    shutdown: bool,
}

struct Slot {
    held: bool,
    /// Workers sleeping on their condition variable because the driver was held.
    waiting: Vec<usize>,
}

struct PollState {
    poll: mio::Poll,
    events: mio::Events,
    /// Incremented by every turn; stamped into the readiness the turn sets.
    tick: usize,
    /// Wakers to call once the turn's locks are released.
    wakers: Vec<Waker>,
}

impl Driver {
    pub(crate) fn new() -> std::io::Result<Arc<Driver>> {
        let poll = mio::Poll::new()?;
        let registry = poll.registry().try_clone()?;
        let waker = Arc::new(mio::Waker::new(poll.registry(), WAKER_TOKEN)?);
        Ok(Arc::new(Driver {
            registry,
            waker,
            io: Mutex::new(IoSlab { entries: Slab::new(), generation: 0, shutdown: false }),
            slot: Mutex::new(Slot { held: false, waiting: Vec::new() }),
            poll: Mutex::new(PollState {
                poll,
                events: mio::Events::with_capacity(EVENTS),
                tick: 0,
                wakers: Vec::new(),
            }),
            timers: Mutex::new(TimerStore::new()),
            parkers: Mutex::new(Vec::new()),
        }))
    }

    /// The driver of the runtime the current thread belongs to.
    pub(crate) fn current() -> Option<Arc<Driver>> {
        coro_core::rt_internal::extension::<Driver>()
    }

    /// Interrupts the worker blocked in `epoll_wait`, if any.
    pub(crate) fn wake(&self) {
        // An error here means the eventfd is gone: the runtime is being torn down, nobody is polling.
        let _ = self.waker.wake();
    }

    /// Takes the poll if nobody holds it; otherwise lists `worker` as waiting for it.
    fn try_acquire(&self, worker: Option<usize>) -> Option<MutexGuard<'_, PollState>> {
        {
            let mut slot = lock(&self.slot);
            if slot.held {
                if let Some(worker) = worker {
                    if !slot.waiting.contains(&worker) {
                        slot.waiting.push(worker);
                    }
                }
                return None;
            }
            slot.held = true;
        }
        Some(self.poll.try_lock().expect("the driver's poll is locked only by the slot's holder"))
    }

    /// Gives the poll back and wakes one worker that waited for it, which takes it over.
    fn release(&self, poll: MutexGuard<'_, PollState>) {
        drop(poll);
        let next = {
            let mut slot = lock(&self.slot);
            slot.held = false;
            slot.waiting.pop()
        };
        if let Some(worker) = next {
            let parker = lock(&self.parkers).get(worker).cloned();
            if let Some(parker) = parker {
                parker.unpark();
            }
        }
    }

    /// Takes `worker` off the waiting list (it woke for another reason).
    fn unwait(&self, worker: usize) {
        lock(&self.slot).waiting.retain(|&w| w != worker);
    }

    /// One turn: wait for events up to `timeout` (and the next timer), dispatch them, fire expired timers.
    fn turn(&self, state: &mut PollState, timeout: Option<Duration>) {
        let blocking = timeout != Some(Duration::ZERO);
        let timeout = {
            let mut timers = lock(&self.timers);
            let now = Instant::now();
            let timeout = match timers.next_deadline() {
                Some(deadline) => {
                    let until = deadline.saturating_duration_since(now);
                    Some(timeout.map_or(until, |t| t.min(until)))
                }
                None => timeout,
            };
            if blocking {
                timers.sleep_until(timeout.map(|t| now + t));
            }
            timeout
        };
        if let Err(err) = state.poll.poll(&mut state.events, timeout) {
            // EINTR is a spurious wake-up; anything else would repeat on every turn, so surface it loudly.
            if err.kind() != std::io::ErrorKind::Interrupted {
                panic!("coro reactor: polling failed: {err}");
            }
        }
        state.tick = state.tick.wrapping_add(1);
        let tick = state.tick;
        {
            let io = lock(&self.io);
            for event in state.events.iter() {
                if event.token() == WAKER_TOKEN {
                    continue;
                }
                if let Some(scheduled) = registration::lookup(&io, event.token()) {
                    scheduled.set_readiness(registration::ready_bits(event), tick, &mut state.wakers);
                }
            }
        }
        lock(&self.timers).fire_expired(Instant::now(), &mut state.wakers);
        for waker in state.wakers.drain(..) {
            waker.wake();
        }
    }

    /// The runtime shut down: every registration reports an error and every timer is woken (a timer polled
    /// after that panics: its runtime is gone).
    pub(crate) fn shutdown(&self) {
        let mut wakers = Vec::new();
        {
            let mut io = lock(&self.io);
            io.shutdown = true;
            for (_, scheduled) in io.entries.iter() {
                scheduled.shutdown(&mut wakers);
            }
        }
        lock(&self.timers).close(&mut wakers);
        for waker in wakers {
            waker.wake();
        }
    }

    #[cfg(test)]
    pub(crate) fn registrations(&self) -> usize {
        lock(&self.io).entries.len()
    }
}

impl fmt::Debug for Driver {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Driver").finish_non_exhaustive()
    }
}

/// Locks, ignoring poisoning: every critical section here leaves its data consistent before it can panic.
pub(crate) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}

#[cfg(all(test, unix))]
mod tests;
