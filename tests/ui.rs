//! Compile-time behaviour of `#[coro::coroutine]`, held in place by trybuild.
//!
//! `ui/pass/` is the corpus that settled the macro's design: every case must compile (and its `main` run).
//! `ui/fail/` holds each documented limit and each misuse with the exact error the user sees, so a change
//! that makes a message worse, or moves it off the user's span, fails here.

#[test]
fn pass() {
    trybuild::TestCases::new().pass("tests/ui/pass/*.rs");
}

#[test]
fn fail() {
    trybuild::TestCases::new().compile_fail("tests/ui/fail/*.rs");
}
