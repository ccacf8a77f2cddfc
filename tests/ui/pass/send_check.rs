#![allow(dead_code, unused_variables, unused_mut, unused_imports)]
use coro_test_support::prelude::*;

fn peek(rc: &std::rc::Rc<usize>) -> usize {
    **rc + 1
}
#[coro::coroutine]
fn case(mut s: TcpStream) -> io::Result<usize> {
    let x = {
        let rc = std::rc::Rc::new(5usize);
        peek(&rc)
    }; // plain call while an Rc is alive
    let n = s.read(&mut [0u8; 4])?;
    Ok(n + x)
}
async fn hand(mut s: TcpStream) -> io::Result<usize> {
    let x = {
        let rc = std::rc::Rc::new(5usize);
        peek(&rc)
    };
    let n = s.read(&mut [0u8; 4]).await?;
    Ok(n + x)
}
fn assert_send<T: Send>(_: T) {}
fn check(s: TcpStream, t: TcpStream) {
    assert_send(hand(t));
    assert_send(case(s));
}

fn main() {}
