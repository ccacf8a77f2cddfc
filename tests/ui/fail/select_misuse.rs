//! Malformed `select!`s: no branch, only `default`, two `default`s, a branch without its `pattern =`, a
//! branch without `=>`, and two branches without a `,` between them.
//! Fix: write each branch as `pattern = operation => body,`, with at most one `default => body`.
async fn cases(a: std::future::Ready<u32>, b: std::future::Ready<u32>) {
    coro::select! {};
    coro::select! { default => 1 };
    coro::select! {
        x = a => x,
        default => 1,
        default => 2,
    };
    coro::select! { b => 1 };
    coro::select! { x = b, default => 1 };
    coro::select! { x = std::future::ready(1) => x y = std::future::ready(2) => y };
}

fn main() {}
