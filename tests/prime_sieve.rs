//! The prime sieve example (a chain of coroutines connected by rendezvous channels) against primes found
//! by trial division.

#![deny(warnings)]

#[path = "../examples/prime_sieve.rs"]
#[allow(dead_code, reason = "the example's `main` is not used here")]
mod prime_sieve;

fn first_primes_by_trial_division(n: usize) -> Vec<u64> {
    let mut primes: Vec<u64> = Vec::with_capacity(n);
    let mut candidate = 2;
    while primes.len() < n {
        if primes.iter().take_while(|&&p| p * p <= candidate).all(|&p| candidate % p != 0) {
            primes.push(candidate);
        }
        candidate += 1;
    }
    primes
}

#[test]
fn the_sieve_finds_the_first_primes() {
    assert_eq!(first_primes_by_trial_division(10), [2, 3, 5, 7, 11, 13, 17, 19, 23, 29]);
    let expected = first_primes_by_trial_division(300);
    for workers in [1, 2] {
        let rt = coro::Runtime::builder().workers(workers).build().unwrap();
        assert_eq!(rt.block_on(prime_sieve::primes(300)), expected, "{workers} workers");
        assert_eq!(rt.block_on(prime_sieve::primes(1)), [2]);
        assert_eq!(rt.block_on(prime_sieve::primes(0)), Vec::<u64>::new());
    }
}
