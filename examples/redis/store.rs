//! The keyspace: byte-string keys to byte-string values, each with an optional expiry time.
//!
//! # Design
//!
//! One `std::sync::Mutex` around a `HashMap`. That is the idiomatic choice here, not a compromise: every
//! command takes the lock for a few hash-map operations and releases it before the connection does anything
//! that can suspend (the lock is taken inside [`Store::with`], which runs a plain closure), so a coroutine
//! never holds it across a suspension point, nobody waits long for it, and an async-aware mutex would only
//! add cost. (A server for many cores would shard the map by key hash; one lock is plenty for an example.)
//!
//! Expiry is lazy: a key whose time has passed is removed when a command touches it, and is invisible in
//! the meantime. Keys that expire and are never touched again stay in memory; real Redis also samples keys
//! in the background to reclaim them, which this example leaves out.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Instant;

#[derive(Debug)]
pub struct Entry {
    pub value: Vec<u8>,
    pub expires: Option<Instant>,
}

#[derive(Debug, Default)]
pub struct Store {
    map: Mutex<HashMap<Vec<u8>, Entry>>,
}

impl Store {
    /// Runs `f` on the keyspace, under the lock, as of now.
    pub fn with<R>(&self, f: impl FnOnce(&mut Keys<'_>) -> R) -> R {
        // A panic under the lock cannot leave the map half-updated in a way later commands could not
        // handle, so a poisoned lock is used as it is.
        let mut map = self.map.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        f(&mut Keys { map: &mut map, now: Instant::now() })
    }
}

/// The keyspace as one command sees it: expired keys are gone.
#[derive(Debug)]
pub struct Keys<'a> {
    map: &'a mut HashMap<Vec<u8>, Entry>,
    pub now: Instant,
}

impl Keys<'_> {
    /// The live entry of `key`; removes it first if it has expired.
    pub fn get(&mut self, key: &[u8]) -> Option<&mut Entry> {
        if self.map.get(key).is_some_and(|entry| entry.expires.is_some_and(|at| at <= self.now)) {
            self.map.remove(key);
        }
        self.map.get_mut(key)
    }

    pub fn contains(&mut self, key: &[u8]) -> bool {
        self.get(key).is_some()
    }

    pub fn set(&mut self, key: &[u8], value: Vec<u8>, expires: Option<Instant>) {
        self.map.insert(key.to_vec(), Entry { value, expires });
    }

    /// Removes `key`; whether it was there (and live).
    pub fn remove(&mut self, key: &[u8]) -> bool {
        self.contains(key) && self.map.remove(key).is_some()
    }
}
