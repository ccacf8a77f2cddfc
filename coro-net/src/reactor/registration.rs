//! A source registered with the reactor: its token, its cached readiness, and the tasks waiting on it.
//!
//! # Design
//!
//! **Tokens.** A registration's mio token is its slab key in the low half of the word and a generation in
//! the high half. The generation is taken from a per-driver counter at registration, so when a source is
//! deregistered and its key (or its fd) is reused, an event of the old registration still in the current
//! batch finds a different generation in the slot and is dropped: no stale wake-up reaches the new owner.
//!
//! **Readiness** is one atomic word per source: the ready bits (readable, writable, read-closed,
//! write-closed, error, and shutdown) in the low byte, and above them the driver tick of the last event that
//! set them. A new registration starts readable and writable: IO is optimistic, the first operation is
//! simply tried, and only a `WouldBlock` makes the task wait. After a `WouldBlock` the direction's bits are
//! cleared only if the tick is still the one the operation observed before its system call; an event
//! dispatched in between bumped the tick, so the clear is skipped and the operation retries instead of
//! sleeping through that event. The closed bits are never cleared (EOF and broken pipes are final).
//!
//! **Waiters**, under a small mutex: a waker slot per direction, which serves the usual one task per
//! direction (a stream, or its split halves), and a list per direction for the others (coroutines accepting on
//! one listener, or receiving on one UDP socket, wait at once, and each must be woken). A task stores its
//! waker, then re-reads the readiness; the driver sets the readiness, then takes the wakers under the same
//! mutex: whichever comes second sees the other's write. The driver takes what it wakes, so a waker in the slot
//! is one still waiting: a task that finds another task's waker there moves it to the list (a re-poll with the
//! same waker changes nothing, and a listed waker is not listed twice). A waiter that gave up (its operation was
//! dropped) costs one spurious wake-up at the next readiness.
//!
//! **Layout.** Each event's dispatch and each wait touch the readiness word, the token, the mutex and a waker
//! slot of one source, and with hundreds of busy connections a source's state has left the cache since its
//! last request: so they share one 64-byte line (`ScheduledIo` is `repr(C, align(64))`, the lists of extra
//! waiters are boxed apart), where a plain layout spread them over two or three (BENCHMARKS.md, "Cache misses
//! per echo request at 512 connections").

use super::{Driver, IoSlab, lock};
use coro_core::rt_internal::coop;
use std::fmt;
use std::io;
use std::sync::atomic::{AtomicUsize, Ordering::*};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker, ready};

/// Which way an operation moves data, and so which readiness it waits for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Direction {
    /// Reading, receiving, accepting: waits until readable (or read-closed).
    Read,
    /// Writing, sending, connecting: waits until writable (or write-closed).
    Write,
}

impl Direction {
    fn index(self) -> usize {
        match self {
            Direction::Read => 0,
            Direction::Write => 1,
        }
    }

    /// The readiness bits that make this direction ready.
    fn mask(self) -> usize {
        match self {
            Direction::Read => READABLE | READ_CLOSED,
            Direction::Write => WRITABLE | WRITE_CLOSED,
        }
    }

    /// The bits a `WouldBlock` clears (the closed ones are final).
    fn clearable(self) -> usize {
        match self {
            Direction::Read => READABLE,
            Direction::Write => WRITABLE,
        }
    }
}

const READABLE: usize = 1 << 0;
const WRITABLE: usize = 1 << 1;
const READ_CLOSED: usize = 1 << 2;
const WRITE_CLOSED: usize = 1 << 3;
const ERROR: usize = 1 << 4;
/// The runtime shut down: operations fail.
const SHUTDOWN: usize = 1 << 5;
const READY_MASK: usize = (1 << TICK_SHIFT) - 1;
const TICK_SHIFT: u32 = 8;

/// Key bits of a token; the generation takes the rest.
const KEY_BITS: u32 = usize::BITS / 2;
const KEY_MASK: usize = (1 << KEY_BITS) - 1;
/// Keys stay below this, so no token is `usize::MAX`, the waker's.
pub(super) const MAX_KEY: usize = KEY_MASK - 1;

fn tick_of(state: usize) -> usize {
    state >> TICK_SHIFT
}

/// The readiness bits of a mio event.
pub(super) fn ready_bits(event: &mio::event::Event) -> usize {
    let mut bits = 0;
    if event.is_readable() {
        bits |= READABLE;
    }
    if event.is_writable() {
        bits |= WRITABLE;
    }
    if event.is_read_closed() {
        bits |= READ_CLOSED;
    }
    if event.is_write_closed() {
        bits |= WRITE_CLOSED;
    }
    if event.is_error() {
        // Errors are reported through the operation itself; wake both sides so they try it.
        bits |= ERROR | READABLE | WRITABLE;
    }
    bits
}

/// The registration whose token this is, if it is still registered (same key and generation).
pub(super) fn lookup(io: &IoSlab, token: mio::Token) -> Option<&ScheduledIo> {
    let scheduled = io.entries.get(token.0 & KEY_MASK)?;
    (scheduled.token == token.0).then_some(&**scheduled)
}

/// The driver's side of a registration: one cache line (see "Layout" in the module docs).
#[repr(C, align(64))]
pub(super) struct ScheduledIo {
    /// Ready bits and tick.
    readiness: AtomicUsize,
    /// The full token: key and generation.
    token: usize,
    waiters: Mutex<Waiters>,
}

/// The tasks waiting for a source, per direction.
#[derive(Default)]
struct Waiters {
    /// The usual single waiter.
    slot: [Option<Waker>; 2],
    /// The others, when several tasks wait in one direction: allocated for the first of them only, so that
    /// the usual case keeps the whole `ScheduledIo` in one cache line.
    others: Option<Box<[Vec<Waker>; 2]>>,
}

impl Waiters {
    /// Makes `waker` one of `direction`'s waiters.
    fn add(&mut self, direction: Direction, waker: &Waker) {
        let index = direction.index();
        match &mut self.slot[index] {
            Some(current) if current.will_wake(waker) => {}
            Some(current) => {
                let other = std::mem::replace(current, waker.clone());
                let others = &mut self.others.get_or_insert_default()[index];
                if !others.iter().any(|listed| listed.will_wake(&other)) {
                    others.push(other);
                }
            }
            slot => *slot = Some(waker.clone()),
        }
    }

    /// Takes every waiter of `direction`.
    fn take(&mut self, direction: Direction, wakers: &mut Vec<Waker>) {
        let index = direction.index();
        if let Some(waker) = self.slot[index].take() {
            wakers.push(waker);
        }
        if let Some(others) = &mut self.others {
            wakers.append(&mut others[index]);
        }
    }
}

impl ScheduledIo {
    /// Adds `bits` stamped with `tick`, and collects the wakers of the directions that became ready.
    pub(super) fn set_readiness(&self, bits: usize, tick: usize, wakers: &mut Vec<Waker>) {
        let _ = self
            .readiness
            .fetch_update(AcqRel, Acquire, |state| Some((state & READY_MASK) | bits | (tick << TICK_SHIFT)));
        self.wake(bits, wakers);
    }

    pub(super) fn shutdown(&self, wakers: &mut Vec<Waker>) {
        self.readiness.fetch_or(SHUTDOWN, AcqRel);
        self.wake(READABLE | WRITABLE, wakers);
    }

    fn wake(&self, bits: usize, wakers: &mut Vec<Waker>) {
        let mut waiters = lock(&self.waiters);
        for direction in [Direction::Read, Direction::Write] {
            if bits & direction.mask() != 0 {
                waiters.take(direction, wakers);
            }
        }
    }
}

/// A source registered with the current runtime's reactor: the internal API the network types build on.
///
/// - [`poll_io`](Registration::poll_io) runs one non-blocking operation optimistically (the usual path);
/// - [`poll_ready`](Registration::poll_ready) and [`clear_readiness`](Registration::clear_readiness) are
///   the two halves of it, for protocols such as a non-blocking connect;
/// - [`deregister`](Registration::deregister) before closing the source (it also happens on drop, minus
///   the `epoll_ctl`, which closing the fd does).
///
/// Any number of tasks may wait in each direction at once.
pub(crate) struct Registration {
    driver: Arc<Driver>,
    io: Arc<ScheduledIo>,
    /// The tick seen by each direction's last readiness check, which its `clear_readiness` compares.
    observed: [AtomicUsize; 2],
}

impl Registration {
    /// Registers `source` for `interest` with the reactor of the runtime the current thread belongs to
    /// (edge-triggered). Fails outside a coro runtime, or in one built without the reactor (a plain
    /// `coro_core::Runtime`).
    pub(crate) fn new(
        source: &mut impl mio::event::Source,
        interest: mio::Interest,
    ) -> io::Result<Registration> {
        let driver = Driver::current().ok_or_else(|| {
            io::Error::other(
                "no coro reactor: sockets must be created inside a coro runtime (`coro::run`, `#[coro::main]`, \
                 `coro::Runtime::builder()...block_on`, or a task it spawned)",
            )
        })?;
        let io = {
            let mut slab = lock(&driver.io);
            if slab.shutdown {
                return Err(io::Error::other("the coro runtime has shut down"));
            }
            let entry = slab.entries.vacant_entry();
            let key = entry.key();
            if key > MAX_KEY {
                return Err(io::Error::other("too many sources registered with the coro reactor"));
            }
            let generation = slab.generation;
            let io = Arc::new(ScheduledIo {
                readiness: AtomicUsize::new(READABLE | WRITABLE),
                token: key | (generation << KEY_BITS),
                waiters: Mutex::default(),
            });
            slab.entries.insert(io.clone());
            slab.generation = (generation + 1) & (usize::MAX >> KEY_BITS);
            io
        };
        let registration = Registration { driver, io, observed: [AtomicUsize::new(0), AtomicUsize::new(0)] };
        registration.driver.registry.register(source, mio::Token(registration.io.token), interest)?;
        Ok(registration)
    }

    /// Ready when the source may be ready in `direction` (or has an error, or is closed that way); otherwise
    /// stores the task's waker. Spends a unit of the task's [`coop`] budget when ready.
    pub(crate) fn poll_ready(&self, cx: &mut Context<'_>, direction: Direction) -> Poll<io::Result<()>> {
        let coop = ready!(coop::poll_proceed(cx));
        let result = ready!(self.poll_ready_inner(cx, direction));
        coop.made_progress();
        Poll::Ready(result)
    }

    #[inline]
    fn poll_ready_inner(&self, cx: &mut Context<'_>, direction: Direction) -> Poll<io::Result<()>> {
        let state = self.io.readiness.load(Acquire);
        if state & SHUTDOWN == 0 && state & direction.mask() != 0 {
            self.observe(direction, state);
            return Poll::Ready(Ok(()));
        }
        self.poll_wait(cx, direction, state)
    }

    /// The slow half of `poll_ready_inner`, out of line: `state` was not ready in `direction`, or shut down.
    /// Stores the task's waker, then checks the readiness again.
    #[inline(never)]
    fn poll_wait(&self, cx: &mut Context<'_>, direction: Direction, state: usize) -> Poll<io::Result<()>> {
        if state & SHUTDOWN == 0 {
            lock(&self.io.waiters).add(direction, cx.waker());
            // Re-check after publishing the waker: an event dispatched meanwhile either shows here or finds
            // it.
            let state = self.io.readiness.load(Acquire);
            if state & SHUTDOWN == 0 {
                if state & direction.mask() == 0 {
                    return Poll::Pending;
                }
                self.observe(direction, state);
                return Poll::Ready(Ok(()));
            }
        }
        Poll::Ready(Err(io::Error::other("the coro runtime that owns this socket has shut down")))
    }

    /// Records the tick of `state`, which `clear_readiness` compares.
    #[inline]
    fn observe(&self, direction: Direction, state: usize) {
        self.observed[direction.index()].store(tick_of(state), Relaxed);
    }

    /// The operation in `direction` got `WouldBlock`: forget that direction's readiness, unless an event
    /// arrived since the last [`poll_ready`](Registration::poll_ready) looked.
    #[inline]
    pub(crate) fn clear_readiness(&self, direction: Direction) {
        let observed = self.observed[direction.index()].load(Relaxed);
        let _ = self.io.readiness.fetch_update(AcqRel, Acquire, |state| {
            (tick_of(state) == observed).then_some(state & !direction.clearable())
        });
    }

    /// Runs the non-blocking operation `op` until it does not return `WouldBlock`: `op` is tried at once
    /// (readiness is assumed until an operation proves otherwise), and after a `WouldBlock` the task waits
    /// for readiness and tries again. Any other outcome, success or error, is returned.
    ///
    /// Respects the cooperative budget: a task whose operations keep completing at once yields after
    /// [`coop::BUDGET`] of them.
    #[inline]
    pub(crate) fn poll_io<R>(
        &self,
        cx: &mut Context<'_>,
        direction: Direction,
        mut op: impl FnMut() -> io::Result<R>,
    ) -> Poll<io::Result<R>> {
        let coop = ready!(coop::poll_proceed(cx));
        // Only closed bits (which are never cleared) can keep a source ready through repeated
        // `WouldBlock`s; past a few, yield rather than spin inside one poll.
        for _ in 0..4 {
            if let Err(err) = ready!(self.poll_ready_inner(cx, direction)) {
                return Poll::Ready(Err(err));
            }
            match op() {
                Err(err) if err.kind() == io::ErrorKind::WouldBlock => self.clear_readiness(direction),
                result => {
                    coop.made_progress();
                    return Poll::Ready(result);
                }
            }
        }
        cx.waker().wake_by_ref();
        Poll::Pending
    }

    /// Deregisters `source` from the reactor; events still in flight for it are dropped. Call it before
    /// the source is closed (dropping the registration without it forgets the registration, and the
    /// kernel drops the fd's epoll entry when the fd closes).
    pub(crate) fn deregister(&mut self, source: &mut impl mio::event::Source) -> io::Result<()> {
        self.remove();
        self.driver.registry.deregister(source)
    }

    fn remove(&self) {
        let mut slab = lock(&self.driver.io);
        let key = self.io.token & KEY_MASK;
        if slab.entries.get(key).is_some_and(|io| io.token == self.io.token) {
            slab.entries.remove(key);
        }
    }
}

#[cfg(test)]
impl Registration {
    pub(super) fn token(&self) -> mio::Token {
        mio::Token(self.io.token)
    }
}

impl Drop for Registration {
    fn drop(&mut self) {
        self.remove();
    }
}

impl fmt::Debug for Registration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Registration")
            .field("token", &self.io.token)
            .field("readiness", &(self.io.readiness.load(Relaxed) & READY_MASK))
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod waiters_tests {
    use super::{Direction, ScheduledIo, Waiters};
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
    use std::task::{Wake, Waker};

    struct Count(AtomicUsize);

    impl Wake for Count {
        fn wake(self: Arc<Self>) {
            self.0.fetch_add(1, SeqCst);
        }
    }

    fn waker() -> (Arc<Count>, Waker) {
        let count = Arc::new(Count(AtomicUsize::new(0)));
        (count.clone(), Waker::from(count))
    }

    #[test]
    fn every_waiter_of_a_direction_is_woken_and_repolls_add_nothing() {
        let (a_count, a) = waker();
        let (b_count, b) = waker();
        let (c_count, c) = waker();
        let mut waiters = Waiters::default();
        // Two tasks re-polled in turns many times, a third waiting the other way.
        for _ in 0..100 {
            waiters.add(Direction::Read, &a);
            waiters.add(Direction::Read, &b);
        }
        waiters.add(Direction::Write, &c);
        let listed = waiters.others.as_ref().map_or(0, |others| others[0].len());
        assert!(listed <= 2, "re-polls do not grow the list: {listed}");

        let mut wakers = Vec::new();
        waiters.take(Direction::Read, &mut wakers);
        wakers.into_iter().for_each(Waker::wake);
        assert!(a_count.0.load(SeqCst) >= 1 && b_count.0.load(SeqCst) >= 1, "both readers are woken");
        assert_eq!(c_count.0.load(SeqCst), 0, "the writer waits on");

        let mut wakers = Vec::new();
        waiters.take(Direction::Read, &mut wakers);
        assert!(wakers.is_empty(), "woken waiters are taken");
        waiters.take(Direction::Write, &mut wakers);
        assert_eq!(wakers.len(), 1);
    }

    #[cfg(target_pointer_width = "64")]
    #[test]
    fn scheduled_io_is_one_cache_line() {
        // What one event and one wait touch stays in one line: see "Layout" in the module docs.
        assert_eq!(std::mem::size_of::<ScheduledIo>(), 64);
        assert_eq!(std::mem::align_of::<ScheduledIo>(), 64);
    }
}
