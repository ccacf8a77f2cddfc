//! A `select!` operation must be a suspending call or a future, not a value (nor an operation already
//! awaited). Fix: write the operation itself: `v = rx.recv() => ..`.
async fn cases(rx: coro::sync::oneshot::Receiver<u32>) {
    coro::select! {
        x = 5 => x,
        default => 0,
    };
    coro::select! {
        x = rx.recv().await => x.unwrap(),
        default => 0,
    };
}

fn main() {}
