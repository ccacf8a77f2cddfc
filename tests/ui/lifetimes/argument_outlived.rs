//! The coroutine borrows its argument until it completes, as an `async fn` does: a future that outlives
//! the borrowed value is E0597 on the user's `&v`.
#[coro::coroutine]
fn count(v: &Vec<u8>) -> usize {
    coro::yield_now();
    v.len()
}

fn main() {
    let pending = {
        let v = vec![1, 2, 3];
        count(&v)
    };
    assert_eq!(coro::block_on(pending), 3);
}
