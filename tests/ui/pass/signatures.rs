//! Signatures beyond the corpus: `Self` returns, elided lifetimes in the output, `where` clauses, `unsafe`
//! fns, inner attributes, `impl Trait` arguments, statics in the output, and `vec![call; n]`.
#![allow(dead_code, unused_variables, unused_mut, unused_imports)]
use coro_test_support::prelude::*;

struct Named {
    name: String,
}

impl Named {
    #[coro::coroutine]
    fn new(mut s: TcpStream) -> Self {
        let mut b = [0u8; 8];
        let n = s.read(&mut b).unwrap_or(0);
        Named { name: String::from_utf8_lossy(&b[..n]).into_owned() }
    }

    #[coro::coroutine]
    fn name(&self) -> &str {
        coro::yield_now();
        &self.name
    }
}

trait Build: Sized {
    #[coro::coroutine]
    fn build() -> Self;

    #[coro::coroutine]
    fn build_twice() -> (Self, Self) {
        (Self::build(), Self::build())
    }
}

impl Build for Named {
    #[coro::coroutine]
    fn build() -> Self {
        Named::new(TcpStream::new(b"built", 8))
    }
}

#[coro::coroutine]
fn bounded<T>(items: Vec<T>, s: &mut impl Stream) -> io::Result<usize>
where
    T: Clone + Send,
{
    #![allow(clippy::len_zero)]
    let copies = items.clone();
    s.write_all(b"x")?;
    Ok(copies.len())
}

#[coro::coroutine]
unsafe fn raw_len(ptr: *const u8, len: usize) -> usize {
    coro::yield_now();
    // SAFETY: the caller promises `ptr` points at `len` readable bytes.
    unsafe { std::slice::from_raw_parts(ptr, len) }.len()
}

#[coro::coroutine]
fn label() -> &'static str {
    coro::yield_now();
    "label"
}

#[coro::coroutine]
fn repeated(mut s: TcpStream) -> Vec<usize> {
    let mut b = [0u8; 2];
    vec![s.read(&mut b).unwrap_or(0); 3]
}

fn main() {
    let named = coro::block_on(Named::build());
    assert_eq!(named.name, "built");
    assert_eq!(coro::block_on(named.name()), "built");
    let (a, b) = coro::block_on(Named::build_twice());
    assert_eq!((a.name.as_str(), b.name.as_str()), ("built", "built"));
    let mut s = TcpStream::new(b"", 1);
    assert_eq!(coro::block_on(bounded(vec![1, 2], &mut s)).unwrap(), 2);
    let bytes = [1u8, 2, 3];
    // SAFETY: `bytes` is alive and 3 bytes long.
    assert_eq!(coro::block_on(unsafe { raw_len(bytes.as_ptr(), 3) }), 3);
    assert_eq!(coro::block_on(label()), "label");
    assert_eq!(coro::block_on(repeated(TcpStream::new(b"ab", 8))), vec![2, 2, 2]);
}
