#![allow(dead_code, unused_variables, unused_mut, unused_imports)]
use coro_test_support::prelude::*;

struct Conn<S> {
    s: S,
}
impl<S: Stream> Conn<S>
where
    S: Send,
{
    #[coro::coroutine]
    fn pump(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.s.read(buf)?;
        self.s.write_all(&buf[..n])?;
        Ok(n)
    }
}

fn main() {}
