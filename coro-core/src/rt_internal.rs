//! Internal: the hooks through which `coro-net` (or another driver crate) plugs into this crate's runtime.
//!
//! Not a public API. It is public only because Rust has no visibility between sibling crates; it is hidden
//! from the documentation and follows no semver promise. Users configure a runtime with `coro::Builder`,
//! which installs these hooks itself.
//!
//! - [`Builder`](crate::Builder)'s hidden methods `park_with`, `extension` and `timer` install a driver:
//!   how each worker sleeps ([`park`]), a value found from the runtime's threads ([`extension`]), and the
//!   timer store behind this crate's timed operations ([`Timer`]).
//! - [`coop`]: the per-poll operation budget, which every suspending operation charges.
//! - [`Deadline`] and [`TimerStore`]: a timed wait on the runtime's timers, and the structure that keeps them
//!   (the reactor's and the fallback thread's).

pub use crate::runtime::timer::{Deadline, Timer, TimerStore};
pub use crate::runtime::{Extension, coop, extension, park};
