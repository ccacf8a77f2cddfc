//! `coro::signal`, with signals the test process sends to itself.
//!
//! The tests of one binary run on parallel threads and a signal goes to the whole process, so each test
//! uses its own signal. A listener that exists before the `kill` sees the delivery, whichever thread the
//! kernel runs the handler on; the tests wait for it, never assume when it lands.

#![cfg(unix)]
#![deny(warnings)]

use coro::signal::{Signal, SignalKind};
use std::io::ErrorKind;

/// Sends `signal` to this process.
fn raise(signal: SignalKind) {
    // SAFETY: `kill` on our own pid with a signal every test listens for before sending it.
    let sent = unsafe { libc::kill(libc::getpid(), signal.as_raw_value()) };
    assert_eq!(sent, 0, "kill: {}", std::io::Error::last_os_error());
}

/// Whether `signal` has a delivery waiting: its `recv` completes without suspending.
#[coro::coroutine]
fn pending(signal: &mut Signal) -> bool {
    coro::select! {
        got = signal.recv() => got.is_some(),
        default => false,
    }
}

#[coro::test(workers = 2)]
fn every_listener_receives_a_signal_exactly_once() {
    let kind = SignalKind::user_defined1();
    let mut listeners: Vec<Signal> = (0..3).map(|_| Signal::new(kind).unwrap()).collect();
    raise(kind);
    for listener in &mut listeners {
        assert_eq!(listener.recv(), Some(()));
    }
    for listener in &mut listeners {
        assert!(!pending(listener), "one delivery is received once");
    }
}

#[coro::test(workers = 2)]
fn a_signal_between_two_recvs_is_not_lost() {
    let kind = SignalKind::user_defined2();
    let mut signal = Signal::new(kind).unwrap();
    raise(kind);
    assert_eq!(signal.recv(), Some(()));
    // Sent while nobody is in `recv`: kept for the next one.
    raise(kind);
    assert_eq!(signal.recv(), Some(()));
    assert!(!pending(&mut signal));
}

#[coro::test(workers = 2)]
fn a_listener_in_another_task_is_woken() {
    let kind = SignalKind::hangup();
    let mut signal = Signal::new(kind).unwrap();
    let waiter = coro::spawn!(move || signal.recv());
    coro::yield_now();
    raise(kind);
    assert_eq!(waiter.join().unwrap(), Some(()));
}

#[coro::test(workers = 2)]
fn ctrl_c_completes_on_sigint() {
    // `ctrl_c` starts listening when first polled: run it as a task and send SIGINT until it completes
    // (a SIGINT sent before it listens is caught by the handler of an earlier listener, or, before any,
    // would end the process: so a listener of our own is created first).
    let _keep_handler = Signal::new(SignalKind::interrupt()).unwrap();
    let waiter = coro::spawn!(coro::signal::ctrl_c());
    while !waiter.is_finished() {
        raise(SignalKind::interrupt());
        coro::yield_now();
    }
    waiter.join().unwrap().unwrap();
}

#[coro::test]
fn uncatchable_signals_are_invalid_input() {
    for kind in [SignalKind::from_raw(libc::SIGKILL), SignalKind::from_raw(libc::SIGSEGV)] {
        assert_eq!(Signal::new(kind).unwrap_err().kind(), ErrorKind::InvalidInput);
    }
}
