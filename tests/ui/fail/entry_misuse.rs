//! Misuse of `#[coro::main]` / `#[coro::test]`: zero workers, unknown arguments, arguments to the fn, a
//! redundant `#[test]`. Each error says what the attribute accepts.
#[coro::test(workers = 0)]
fn zero_workers() {}

#[coro::test(threads = 2)]
fn unknown_argument() {}

#[coro::test]
fn takes_arguments(x: u32) {}

#[coro::test]
#[test]
fn twice_a_test() {}

#[coro::main]
async fn main() {}
