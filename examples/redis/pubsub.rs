//! PUBLISH and SUBSCRIBE: which connections listen to which channel.
//!
//! # Design
//!
//! A subscribed connection has an outbox, a bounded `coro::chan` channel of reply frames, drained into its
//! socket by a writer coroutine of its own (`main.rs`). The registry maps each channel name to the
//! outboxes of its subscribers, under a `std::sync::Mutex` that, as the store's, is held only for a few map
//! operations and never across a suspension. PUBLISH formats the message frame once and offers a copy to
//! each outbox with `try_send`, which never waits: a publisher is never held up by a slow subscriber, and
//! the lock is never held while waiting. A subscriber whose outbox is full misses the message and is not
//! counted in PUBLISH's reply; real Redis disconnects such a client once its output buffer passes a limit.

use crate::resp::{array, bulk};
use coro::chan;
use std::collections::HashMap;
use std::sync::Mutex;

/// A reply frame (or several) on its way to a subscribed connection's socket.
pub type Frame = Vec<u8>;

#[derive(Debug, Default)]
pub struct PubSub {
    channels: Mutex<HashMap<Vec<u8>, Vec<Subscriber>>>,
}

#[derive(Debug)]
struct Subscriber {
    session: u64,
    outbox: chan::Sender<Frame>,
}

impl PubSub {
    fn channels(&self) -> std::sync::MutexGuard<'_, HashMap<Vec<u8>, Vec<Subscriber>>> {
        // Nothing panics under the lock; if something did, the map would still be consistent.
        self.channels.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    pub fn subscribe(&self, channel: &[u8], session: u64, outbox: &chan::Sender<Frame>) {
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

    /// Offers `message` to every subscriber of `channel`; returns how many took it.
    pub fn publish(&self, channel: &[u8], message: &[u8]) -> usize {
        let mut frame = Vec::with_capacity(channel.len() + message.len() + 32);
        array(&mut frame, 3);
        bulk(&mut frame, b"message");
        bulk(&mut frame, channel);
        bulk(&mut frame, message);
        let channels = self.channels();
        let subscribers = channels.get(channel).map_or(&[][..], Vec::as_slice);
        subscribers.iter().filter(|subscriber| subscriber.outbox.try_send(frame.clone()).is_ok()).count()
    }
}
