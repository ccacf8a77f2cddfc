#![allow(dead_code, unused_variables, unused_mut, unused_imports)]
use coro_test_support::prelude::*;

trait Service {
    #[coro::coroutine]
    fn call(&mut self, req: Vec<u8>) -> io::Result<usize>;
}
struct Echo(TcpStream);
impl Service for Echo {
    #[coro::coroutine]
    fn call(&mut self, req: Vec<u8>) -> io::Result<usize> {
        self.0.write_all(&req)?;
        Ok(req.len())
    }
}
#[coro::coroutine]
fn serve<S: Service>(svc: &mut S) -> io::Result<usize> {
    svc.call(b"hi".to_vec())
}

fn main() {}
