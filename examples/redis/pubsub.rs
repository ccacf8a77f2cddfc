//! PUBLISH and SUBSCRIBE: which connections listen to which channel, and the outboxes that carry messages
//! to them.
//!
//! # Design
//!
//! A subscribed connection has an [`Outbox`]: a channel of reply frames, drained into its socket by a
//! writer coroutine of its own (`main.rs`), and the count of the bytes waiting in it. The registry maps each
//! channel name to the outboxes of its subscribers, under a `std::sync::Mutex` that, as the store's, is held
//! only for a few map operations and never across a suspension. PUBLISH formats the message frame once and
//! offers the same frame (shared, not copied) to each outbox, which never waits: a publisher is never held
//! up by a slow subscriber, and the lock is never held while waiting.
//!
//! The outbox is bounded in bytes, not in frames, as Redis's `client-output-buffer-limit`: a subscriber
//! that lets more than [`OUTPUT_LIMIT`] bytes pile up (it stopped reading, or reads slower than the
//! messages come) is disconnected at once, and what waited for it is freed. Each frame counts its length
//! plus [`FRAME_OVERHEAD`], so a flood of tiny messages is bounded too.

use crate::resp::{array, bulk};
use coro::chan;
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::*};
use std::sync::{Arc, Mutex};

/// A reply frame (or several) on its way to a subscribed connection's socket; a published message's frame
/// is shared by every subscriber. (An `Arc<Vec<u8>>` rather than an `Arc<[u8]>`: made from the `Vec` it was
/// written into without copying it, which counts for a message of many MiB.)
pub type Frame = Arc<Vec<u8>>;

/// The most bytes that may wait for a subscribed connection's socket (Redis's hard limit for pub/sub
/// clients); past it, the connection is dropped.
pub const OUTPUT_LIMIT: usize = 32 << 20;
/// What each queued frame costs beyond its bytes (its allocation and its slot in the channel), as counted
/// against [`OUTPUT_LIMIT`].
const FRAME_OVERHEAD: usize = 64;

/// The sending end of a subscribed connection's outbox.
#[derive(Debug, Clone)]
pub struct Outbox {
    frames: chan::Sender<Frame>,
    queued: Arc<Queued>,
}

/// The receiving end, for the connection's writer.
#[derive(Debug)]
pub struct Inbox {
    frames: chan::Receiver<Frame>,
    queued: Arc<Queued>,
}

#[derive(Debug, Default)]
struct Queued {
    /// Bytes waiting, overheads included.
    bytes: AtomicUsize,
    /// Set once the limit was passed: the connection is to be dropped.
    overflowed: AtomicBool,
}

/// A new outbox.
pub fn outbox() -> (Outbox, Inbox) {
    let (sender, receiver) = chan::unbounded();
    let queued = Arc::new(Queued::default());
    (Outbox { frames: sender, queued: queued.clone() }, Inbox { frames: receiver, queued })
}

impl Outbox {
    /// Queues `frame`, unless that would put more than [`OUTPUT_LIMIT`] bytes in waiting: then the connection
    /// is cut off (its writer stops, and shuts its socket down) and `false` is returned, now and after.
    pub fn offer(&self, frame: Frame) -> bool {
        if self.queued.overflowed.load(Relaxed) {
            return false;
        }
        let cost = frame.len() + FRAME_OVERHEAD;
        let before = self.queued.bytes.fetch_add(cost, Relaxed);
        if before + cost > OUTPUT_LIMIT {
            self.queued.overflowed.store(true, Release);
            self.frames.close(); // wakes a writer waiting for frames
            return false;
        }
        self.frames.try_send(frame).is_ok()
    }
}

impl Inbox {
    /// The next frame, once there is one; `None` once every outbox is gone, or the limit was passed (then the
    /// frames that waited are dropped with the inbox, not written).
    #[coro::coroutine]
    pub fn recv(&self) -> Option<Frame> {
        let frame = self.frames.recv().ok();
        self.take(frame)
    }

    /// The next frame if one is waiting.
    pub fn try_recv(&self) -> Option<Frame> {
        self.take(self.frames.try_recv().ok())
    }

    fn take(&self, frame: Option<Frame>) -> Option<Frame> {
        if self.queued.overflowed.load(Acquire) {
            return None;
        }
        let frame = frame?;
        self.queued.bytes.fetch_sub(frame.len() + FRAME_OVERHEAD, Relaxed);
        Some(frame)
    }

    /// Whether the connection passed its output limit: its socket is to be shut down.
    pub fn overflowed(&self) -> bool {
        self.queued.overflowed.load(Acquire)
    }
}

#[derive(Debug, Default)]
pub struct PubSub {
    channels: Mutex<HashMap<Vec<u8>, Vec<Subscriber>>>,
}

#[derive(Debug)]
struct Subscriber {
    session: u64,
    outbox: Outbox,
}

impl PubSub {
    fn channels(&self) -> std::sync::MutexGuard<'_, HashMap<Vec<u8>, Vec<Subscriber>>> {
        // Nothing panics under the lock; if something did, the map would still be consistent.
        self.channels.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    pub fn subscribe(&self, channel: &[u8], session: u64, outbox: &Outbox) {
        let subscriber = Subscriber { session, outbox: outbox.clone() };
        self.channels().entry(channel.to_vec()).or_default().push(subscriber);
    }

    pub fn unsubscribe(&self, channel: &[u8], session: u64) {
        let mut channels = self.channels();
        if let Some(subscribers) = channels.get_mut(channel) {
            subscribers.retain(|subscriber| subscriber.session != session);
            if subscribers.is_empty() {
                channels.remove(channel);
            }
        }
    }

    /// Offers `message` to every subscriber of `channel`; returns how many took it (a subscriber past its
    /// output limit does not).
    pub fn publish(&self, channel: &[u8], message: &[u8]) -> usize {
        let mut frame = Vec::with_capacity(channel.len() + message.len() + 32);
        array(&mut frame, 3);
        bulk(&mut frame, b"message");
        bulk(&mut frame, channel);
        bulk(&mut frame, message);
        let frame: Frame = Arc::new(frame);
        let channels = self.channels();
        let subscribers = channels.get(channel).map_or(&[][..], Vec::as_slice);
        subscribers.iter().filter(|subscriber| subscriber.outbox.offer(frame.clone())).count()
    }
}
