//! Parallel quicksort: divide and conquer over coroutines, sequential below a cutoff.
//!
//! ```sh
//! cargo run --release --example quicksort              # sorts 10 million pseudo-random numbers, checks them
//! cargo run --release --example quicksort 1000000 7    # COUNT [SEED]
//! CORO_WORKERS=1 cargo run --release --example quicksort
//! echo 5 3 9 1 | cargo run --release --example quicksort -- -   # sorts stdin's numbers, one per line
//! ```
//!
//! # Design
//!
//! [`quicksort`] partitions around a median-of-three pivot, spawns a coroutine for the left part and sorts
//! the right part itself, then joins: the work spreads over every worker by work stealing. Below
//! [`CUTOFF`] elements a spawn costs more than it saves, so the part is sorted sequentially (with std's
//! `sort_unstable`). The recursion goes through a boxed future, see [`recurse`]. A spawned coroutine must
//! own what it works on (`'static`), and coro has no scoped spawn, so a part moves into its coroutine as a `Vec` of its own (`split_off`) and comes back with the
//! join (`append`): two copies per level, which is the same O(n) per level as the partition itself.

use std::io::{self, Write as _};
use std::pin::Pin;
use std::time::Instant;

/// Parts smaller than this are sorted without spawning.
pub const CUTOFF: usize = 16 * 1024;

/// Sorts `items` in parallel on the current coro runtime and gives them back.
#[coro::coroutine]
pub fn quicksort<T: Ord + Send + 'static>(mut items: Vec<T>) -> Vec<T> {
    if items.len() <= CUTOFF {
        items.sort_unstable();
        return items;
    }
    let pivot = partition(&mut items);
    let mut right = items.split_off(pivot);
    let left = coro::spawn!(recurse(items));
    right = recurse(right);
    let mut sorted = left.join().expect("sorting does not panic");
    sorted.append(&mut right);
    sorted
}

/// The recursive call, boxed as a `Send` trait object: a coroutine that calls itself has a future of
/// infinite size otherwise, and the compiler cannot tell whether it is `Send` (it would depend on itself).
/// `Pin<Box<dyn Suspend>>` is itself `Suspend`, so the call is awaited in place like any other.
fn recurse<T: Ord + Send + 'static>(items: Vec<T>) -> Pin<Box<dyn coro::Suspend<Output = Vec<T>> + Send>> {
    Box::pin(quicksort(items))
}

/// Partitions around the median of the first, middle and last items; returns `p` such that
/// `items[..p] <= items[p..]` and both parts are non-empty.
fn partition<T: Ord>(items: &mut [T]) -> usize {
    let (last, middle) = (items.len() - 1, items.len() / 2);
    // Median of three to the last slot: sorted, already-sorted and reversed inputs split evenly.
    if items[middle] < items[0] {
        items.swap(middle, 0);
    }
    if items[last] < items[0] {
        items.swap(last, 0);
    }
    if items[middle] < items[last] {
        items.swap(middle, last);
    }
    // Lomuto over items[..last] with the pivot at `last`, then the pivot to its place.
    let mut store = 0;
    for i in 0..last {
        if items[i] < items[last] {
            items.swap(i, store);
            store += 1;
        }
    }
    items.swap(store, last);
    // items[..store] < pivot = items[store] <= items[store + 1..]: split after the pivot so both parts are
    // non-empty and the recursion always shrinks.
    store + 1
}

/// `count` pseudo-random numbers (xorshift64*, so a run is reproducible from its seed).
fn random_numbers(count: usize, seed: u64) -> Vec<u64> {
    let mut state = seed | 1;
    (0..count)
        .map(|_| {
            state ^= state >> 12;
            state ^= state << 25;
            state ^= state >> 27;
            state.wrapping_mul(0x2545_f491_4f6c_dd1d)
        })
        .collect()
}

fn read_numbers(input: impl io::BufRead) -> io::Result<Vec<i64>> {
    let mut numbers = Vec::new();
    for line in input.lines() {
        for word in line?.split_whitespace() {
            numbers.push(
                word.parse()
                    .map_err(|err| io::Error::new(io::ErrorKind::InvalidData, format!("{word:?}: {err}")))?,
            );
        }
    }
    Ok(numbers)
}

#[coro::main]
fn main() -> io::Result<()> {
    let mut args = std::env::args().skip(1);
    let first = args.next();
    if first.as_deref() == Some("-") {
        let numbers = read_numbers(io::stdin().lock())?;
        let sorted = quicksort(numbers);
        let mut out = io::BufWriter::new(io::stdout().lock());
        for n in sorted {
            writeln!(out, "{n}")?;
        }
        return out.flush();
    }
    let parse =
        |arg: Option<String>, default: u64| arg.map_or(Ok(default), |a| a.parse()).map_err(io::Error::other);
    let count = parse(first, 10_000_000)? as usize;
    let seed = parse(args.next(), 42)?;
    let numbers = random_numbers(count, seed);
    let mut expected = numbers.clone();
    let start = Instant::now();
    let sorted = quicksort(numbers);
    let elapsed = start.elapsed();
    expected.sort_unstable();
    if sorted != expected {
        eprintln!("quicksort: the result differs from std's sort");
        std::process::exit(1);
    }
    println!("sorted {count} numbers in {elapsed:.2?}: ok");
    Ok(())
}
