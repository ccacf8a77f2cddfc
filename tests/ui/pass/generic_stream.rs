#![allow(dead_code, unused_variables, unused_mut, unused_imports)]
use coro_test_support::prelude::*;

#[coro::coroutine]
fn case<S: Stream>(mut s: S) -> io::Result<usize> {
    let mut b = [0u8; 8];
    let n = s.read(&mut b)?;
    s.write_all(&b[..n])?;
    Ok(n)
}
#[coro::coroutine]
fn case2<T: Clone + Default + std::fmt::Debug>(t: T) -> String {
    let u = t.clone();
    let d = T::default();
    format!("{:?}{:?}", u, d)
}

fn main() {}
