//! Networking for coro: the mio reactor and types that mirror `std::net`, whose methods suspend the calling
//! coroutine instead of blocking its thread.
//!
//! Empty for now: the reactor lands with the networking issue, on top of the scheduler's park abstraction.
