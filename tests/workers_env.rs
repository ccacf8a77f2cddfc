//! `CORO_WORKERS` sets the default worker count; an explicit `workers(n)` wins over it.
//!
//! A test binary of its own with a single test: it changes the process environment, which no other thread may
//! read or write meanwhile.

use coro::Runtime;
use std::io::ErrorKind;

fn set_workers_env(value: Option<&str>) {
    // SAFETY: this is the only test of this binary, so no other thread reads or writes the environment.
    unsafe {
        match value {
            Some(value) => std::env::set_var("CORO_WORKERS", value),
            None => std::env::remove_var("CORO_WORKERS"),
        }
    }
}

#[test]
fn coro_workers_overrides_the_cpu_count() {
    set_workers_env(Some("3"));
    assert_eq!(Runtime::new().unwrap().workers(), 3);
    assert_eq!(coro::Runtime::builder().workers(1).build().unwrap().workers(), 1);

    set_workers_env(Some("several"));
    assert_eq!(Runtime::new().unwrap_err().kind(), ErrorKind::InvalidInput);
    set_workers_env(Some("0"));
    assert_eq!(Runtime::new().unwrap_err().kind(), ErrorKind::InvalidInput);

    set_workers_env(None);
    let cpus = std::thread::available_parallelism().map_or(1, |n| n.get());
    assert_eq!(Runtime::new().unwrap().workers(), cpus);
}
