//! The trybuild fail cases whose errors depend on the edition of the user's crate, compiled as this crate's
//! edition. The cases are links to the root crate's (`tests/ui/`, edition 2024); the `.stderr` beside them
//! differ from those only where the edition shows.

/// The common lifetime mistakes in a coroutine: the errors read as they do in an `async fn`, and as in edition
/// 2024 (the `.stderr` differ only in the path of the case).
#[test]
fn lifetimes() {
    trybuild::TestCases::new().compile_fail("lifetimes/*.rs");
}

/// A call to a fn returning `!` is one error that names `nowait!`. Its value falls back to `()` before
/// edition 2024 (`!` in 2024), which is the type the error names.
#[test]
fn fail() {
    trybuild::TestCases::new().compile_fail("fail/*.rs");
}
