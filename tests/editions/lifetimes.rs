//! The common lifetime mistakes in a coroutine, compiled as this crate's edition: the errors read as they
//! do in an `async fn`, and as in edition 2024 (the root crate's `tests/ui.rs`). The cases are links to
//! `tests/ui/lifetimes/`; the `.stderr` beside them differ from those only in the path of the case.

#[test]
fn lifetimes() {
    trybuild::TestCases::new().compile_fail("lifetimes/*.rs");
}
