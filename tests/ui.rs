//! Compile-time behaviour of `#[coro::coroutine]`, held in place by trybuild.
//!
//! `ui/pass/` is the corpus that settled the macro's design: every case must compile (and its `main` run).
//! `ui/fail/` holds each documented limit and each misuse with the exact error the user sees, so a change
//! that makes a message worse, or moves it off the user's span, fails here.

#[test]
fn pass() {
    trybuild::TestCases::new().pass("tests/ui/pass/*.rs");
}

/// The common lifetime mistakes read as they do in an `async fn`, with errors on the user's code. Also run
/// from the edition-2021 crate (`tests/editions/`), against the same `.stderr`.
#[test]
fn lifetimes() {
    trybuild::TestCases::new().compile_fail("tests/ui/lifetimes/*.rs");
}

#[test]
fn fail() {
    trybuild::TestCases::new().compile_fail("tests/ui/fail/*.rs");
}
