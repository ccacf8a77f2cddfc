//! A user-defined suspending operation: two coroutines take turns on one worker thread, handing messages
//! through a one-slot mailbox written as plain `Future`s, while others spread over every worker.
//!
//! The producer suspends while the mailbox is full and the consumer while it is empty; neither ever blocks
//! its thread. The mailbox is a user-defined suspending operation: a `Future` marked `coro::Suspend`, which
//! is all it takes for `#[coro::coroutine]` bodies to await it implicitly. It is shared through an `Rc`, so
//! the two are spawned with `spawn_local!`, pinned to this worker; the number crunchers are `Send` and go
//! wherever a worker is free.
//!
//! Run it with `cargo run --release --example mailbox` (`CORO_WORKERS=N` sets the number of workers).

use std::cell::RefCell;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll, Waker};

/// A one-slot mailbox shared by two coroutines on the same thread.
#[derive(Default)]
struct Mailbox {
    state: RefCell<Slot>,
}

#[derive(Default)]
struct Slot {
    message: Option<String>,
    closed: bool,
    /// The coroutine waiting for the slot to change, if any.
    waiting: Option<Waker>,
}

impl Slot {
    fn wake_waiting(&mut self) {
        if let Some(waker) = self.waiting.take() {
            waker.wake();
        }
    }
}

impl Mailbox {
    fn put(&self, message: String) -> Put<'_> {
        Put { mailbox: self, message: Some(message) }
    }

    fn take(&self) -> Take<'_> {
        Take { mailbox: self }
    }

    fn close(&self) {
        let mut slot = self.state.borrow_mut();
        slot.closed = true;
        slot.wake_waiting();
    }
}

/// Suspends until the slot is free, then fills it.
struct Put<'a> {
    mailbox: &'a Mailbox,
    message: Option<String>,
}

impl Future for Put<'_> {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let mut slot = self.mailbox.state.borrow_mut();
        if slot.message.is_some() {
            slot.waiting = Some(cx.waker().clone());
            return Poll::Pending;
        }
        slot.message = self.message.take();
        slot.wake_waiting();
        Poll::Ready(())
    }
}

impl coro::Suspend for Put<'_> {}

/// Suspends until the slot holds a message (`Some`) or the mailbox is closed and empty (`None`).
struct Take<'a> {
    mailbox: &'a Mailbox,
}

impl Future for Take<'_> {
    type Output = Option<String>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<String>> {
        let mut slot = self.mailbox.state.borrow_mut();
        if let Some(message) = slot.message.take() {
            slot.wake_waiting();
            return Poll::Ready(Some(message));
        }
        if slot.closed {
            return Poll::Ready(None);
        }
        slot.waiting = Some(cx.waker().clone());
        Poll::Pending
    }
}

impl coro::Suspend for Take<'_> {}

#[coro::coroutine]
fn produce(mailbox: Rc<Mailbox>, names: Vec<&'static str>) {
    for name in names {
        println!("producer: sending a greeting for {name}");
        mailbox.put(format!("hello, {name}!")); // suspends while the consumer has not taken the last one
    }
    mailbox.close();
}

#[coro::coroutine]
fn consume(mailbox: Rc<Mailbox>) -> usize {
    let mut received = 0;
    // `take()` suspends until the producer has put something.
    while let Some(message) = mailbox.take() {
        println!("consumer: {message}");
        received += 1;
    }
    received
}

/// Steps of the Collatz sequence from `n` down to 1, yielding to other coroutines every 100 steps.
#[coro::coroutine]
fn collatz_steps(mut n: u64) -> u32 {
    let mut steps = 0;
    while n != 1 {
        n = if n.is_multiple_of(2) { n / 2 } else { 3 * n + 1 };
        steps += 1;
        if steps % 100 == 0 {
            coro::yield_now();
        }
    }
    steps
}

#[coro::main]
fn main() {
    let names = vec!["coroutines", "stackless futures", "work stealing"];
    let expected = names.len();
    let mailbox = Rc::new(Mailbox::default());
    let producer = coro::spawn_local!(produce(mailbox.clone(), names));
    let consumer = coro::spawn_local!(consume(mailbox));

    let starts = [27, 97, 871, 77_031, 837_799];
    let crunchers: Vec<_> = starts.iter().map(|&n| coro::spawn!(collatz_steps(n))).collect();

    producer.join().unwrap();
    let received = consumer.join().unwrap();
    println!("{received} greetings passed between two coroutines on one worker");
    assert_eq!(received, expected);
    for (start, cruncher) in starts.iter().zip(crunchers) {
        println!("collatz({start}) reaches 1 in {} steps", cruncher.join().unwrap());
    }
}
