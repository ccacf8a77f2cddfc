//! `try_join!` operations return `Result`s, with the same error type.
//! Fix: `join!` for operations that cannot fail; convert the errors to one type (`map_err`, or a coroutine
//! that uses `?`).
async fn cases() {
    let _ = coro::try_join!(async { 1 }, async { Ok::<u32, ()>(2) });
    let _ = coro::try_join!(async { Ok::<u32, ()>(1) }, async { Ok::<u32, String>(2) });
}

fn main() {}
