//! Returning a borrow of a local reads as it does in an `async fn`: E0515 on the user's `&owned`.
#[coro::coroutine]
fn shout(word: &str) -> &str {
    let owned = word.to_uppercase();
    coro::yield_now();
    &owned
}

fn main() {
    let _ = shout("hi");
}
