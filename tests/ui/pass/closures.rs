#![allow(dead_code, unused_variables, unused_mut, unused_imports)]
use coro_test_support::prelude::*;

#[coro::coroutine]
fn case(mut s: TcpStream) -> io::Result<usize> {
    let add = |x: u32| x + 1;
    let y = add(2);
    let lens: Vec<usize> = ["a", "bb"].iter().map(|s| s.len()).collect();
    let mk = |s| echo(s); // closure returning a coroutine future
    mk(s)?; // calling it is a call -> awaited
    Ok(y as usize + lens.len())
}

fn main() {}
