#![allow(dead_code, unused_variables, unused_mut, unused_imports)]
use coro_test_support::prelude::*;

struct Conn {
    s: TcpStream,
    n: usize,
}
impl Conn {
    #[coro::coroutine]
    fn step(&mut self) -> io::Result<usize> {
        let mut b = [0u8; 16];
        let n = self.s.read(&mut b)?;
        self.n += n;
        Ok(n)
    }
    #[coro::coroutine]
    fn run(&mut self) -> io::Result<usize> {
        while self.step()? > 0 {}
        Ok(self.n)
    }
    #[coro::coroutine]
    fn into_inner(self) -> TcpStream {
        self.s
    }
}

fn main() {}
