//! A cheap per-thread random number generator, for `select!`'s branch order.
//!
//! # Design
//!
//! `select!` draws a few numbers on every poll, so the generator must cost no more than a thread-local
//! access and a few shifts: a xorshift64* state per thread. It needs no cryptographic quality, only that
//! the order of ready branches is not biased, and it must not depend on anything else in the runtime. Each
//! thread seeds its state from std's `RandomState` (random keys from the OS, distinct per thread), so two
//! threads, or two runs, do not draw the same sequence.

use std::cell::Cell;
use std::collections::hash_map::RandomState;
use std::hash::BuildHasher;

thread_local! {
    /// The xorshift state; 0 (never a valid state) until the thread's first draw seeds it.
    static STATE: Cell<u64> = const { Cell::new(0) };
}

/// A number in `0..bound`, uniform up to a bias of `bound / 2^32` (nothing for a `select!`'s few branches).
///
/// `bound` must be at least 1.
pub(crate) fn below(bound: usize) -> usize {
    debug_assert!(bound >= 1 && bound as u64 <= u64::from(u32::MAX));
    // Lemire's multiply-shift: maps a 32-bit draw onto `0..bound` without a division.
    ((u64::from(next()) * bound as u64) >> 32) as usize
}

/// The next 32 random bits of the current thread's generator.
fn next() -> u32 {
    STATE.with(|state| {
        let mut x = state.get();
        if x == 0 {
            x = seed();
        }
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        state.set(x);
        (x.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 32) as u32
    })
}

/// A fresh non-zero seed.
fn seed() -> u64 {
    RandomState::new().hash_one(std::thread::current().id()) | 1
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn draws_cover_the_range_and_stay_in_it() {
        let mut seen = [0usize; 5];
        for _ in 0..10_000 {
            seen[below(5)] += 1;
        }
        // Each value is expected 2000 times; under 1500 has a probability below 1e-30.
        assert!(seen.iter().all(|&n| n > 1500), "{seen:?}");
        assert!((0..100).all(|_| below(1) == 0));
    }
}
