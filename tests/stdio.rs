use coro::io::{self, Write};

#[coro::coroutine]
fn report(mut out: Vec<u8>, n: usize) -> io::Result<Vec<u8>> {
    write!(out, "{n} ")?;
    coro::yield_now();
    writeln!(out, "lines {}", n + 1)?;
    writeln!(out);
    Ok(out)
}

fn assert_send<T: Send>(_: &T) {}

#[test]
fn write_macros() {
    let op = report(Vec::new(), 3);
    assert_send(&op);
    assert_eq!(coro::block_on(op).unwrap(), b"3 lines 4\n\n");
}
