//! A spawned task must own what it uses: spawning a coroutine that borrows a local is E0597 on the user's
//! `&v`, with the `'static` requirement of `spawn!` named.
#[coro::coroutine]
fn count(v: &Vec<u8>) -> usize {
    coro::yield_now();
    v.len()
}

#[coro::main(workers = 1)]
fn main() {
    let v = vec![1, 2, 3];
    let handle = coro::spawn!(count(&v));
    assert_eq!(handle.join().unwrap(), 3);
}
