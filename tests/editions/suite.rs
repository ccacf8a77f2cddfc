//! The macro's tests in the edition of the crate that compiles this file (`e2018/`, `e2021/`; the root crate
//! is edition 2024). `#[coro::coroutine]` expands inside the user's crate, where edition rules apply to the
//! expansion (which lifetimes an `impl Trait` return type captures, how temporaries are dropped), so every
//! supported edition runs the same sources: the run-time tests, the size and `Send` tests, the signature
//! corpus, and every trybuild pass case (made into tests by `build.rs`).

#[path = "../coroutine.rs"]
mod coroutine;

#[path = "../signatures.rs"]
mod signatures;

#[path = "../size.rs"]
mod size;

mod pass {
    include!(concat!(env!("OUT_DIR"), "/pass/mod.rs"));
}
