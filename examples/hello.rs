//! Two coroutines take turns on one thread, handing messages through a one-slot mailbox.
//!
//! The producer suspends while the mailbox is full and the consumer while it is empty; neither ever blocks
//! the thread. The mailbox is a user-defined suspending operation: a `Future` marked `coro::Suspend`, which
//! is all it takes for `#[coro::coroutine]` bodies to await it implicitly.
//!
//! Run it with `cargo run --release --example hello`.

use std::cell::RefCell;
use std::future::Future;
use std::pin::Pin;
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
fn produce(mailbox: &Mailbox, names: &[&str]) {
    for name in names {
        println!("producer: sending a greeting for {name}");
        mailbox.put(format!("hello, {name}!")); // suspends while the consumer has not taken the last one
    }
    mailbox.close();
}

#[coro::coroutine]
fn consume(mailbox: &Mailbox) -> usize {
    let mut received = 0;
    // `take()` suspends until the producer has put something.
    while let Some(message) = mailbox.take() {
        println!("consumer: {message}");
        received += 1;
    }
    received
}

fn main() {
    let mailbox = Mailbox::default();
    let names = ["coroutines", "stackless futures", "the scheduler to come"];
    let ((), received) =
        coro::block_on(futures_lite::future::zip(produce(&mailbox, &names), consume(&mailbox)));
    println!("{received} greetings passed between two coroutines on one thread");
    assert_eq!(received, names.len());
}
