#![allow(dead_code, unused_variables, unused_mut, unused_imports)]
use coro_test_support::prelude::*;

#[coro::coroutine]
fn case(mut s: TcpStream) -> io::Result<u32> {
    let c = || {
        let v: Vec<u8> = Vec::new();
        v.len()
    }; // closure body untouched
    let inner = |x: &str| -> u32 { x.parse().unwrap() }; // would break if rewritten
    let a = async {
        coro::yield_now().await;
        3u32
    }; // user async block: explicit .await
    let r = a.await; // explicit await allowed
    let n = s.read(&mut [0u8; 4]).await?; // explicit .await on a Suspend call
    Ok(r + c() as u32 + inner("1") + n as u32)
}

fn main() {}
