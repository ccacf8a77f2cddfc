//! The concurrent prime sieve from the Go tour, with coroutines and channels: a generator coroutine sends
//! 2, 3, 4, ... down a channel; each prime found starts a filter coroutine that passes on the numbers it does
//! not divide, so the chain of filters grows by one per prime, and whatever reaches its end is the next prime.
//!
//! Run it with `cargo run --release --example prime_sieve -- N` to print the first N primes (default 100).

use coro::chan::{self, Receiver, Sender};

/// Sends 2, 3, 4, ... until the receiving side is gone.
#[coro::coroutine]
fn generate(tx: Sender<u64>) {
    let mut n = 2;
    while tx.send(n).is_ok() {
        n += 1;
    }
}

/// Passes on the numbers that `prime` does not divide, until either side is gone.
#[coro::coroutine]
fn filter(rx: Receiver<u64>, tx: Sender<u64>, prime: u64) {
    while let Ok(n) = rx.recv() {
        if n % prime != 0 && tx.send(n).is_err() {
            return;
        }
    }
}

/// The first `n` primes. Every link of the chain is a rendezvous channel, as in Go. When it returns, the
/// last channel's receiver is dropped, which closes it: each filter's send then fails in turn, and the
/// chain winds down back to the generator.
#[coro::coroutine]
pub fn primes(n: usize) -> Vec<u64> {
    let (tx, mut rx) = chan::bounded(0);
    drop(coro::spawn!(generate(tx)));
    let mut primes = Vec::with_capacity(n);
    for _ in 0..n {
        let prime = rx.recv().expect("the generator never stops");
        primes.push(prime);
        let (next_tx, next_rx) = chan::bounded(0);
        drop(coro::spawn!(filter(rx, next_tx, prime)));
        rx = next_rx;
    }
    primes
}

#[coro::main]
fn main() {
    let n = match std::env::args().nth(1).map(|arg| arg.parse::<usize>()) {
        None => 100,
        Some(Ok(n)) => n,
        Some(Err(err)) => {
            eprintln!("usage: prime_sieve [N]   (how many primes to print; default 100): {err}");
            std::process::exit(2);
        }
    };
    for prime in primes(n) {
        println!("{prime}");
    }
}
