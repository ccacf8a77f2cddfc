//! Run-time behaviour of `#[coro::coroutine]`: which calls suspend, counted with the test stream's operations
//! (each returns `Pending` once before completing), and what the expansion keeps of plain-fn semantics.
//!
//! `deny(warnings)`: the expansion must not make correct user code warn.

#![deny(warnings)]

use coro::block_on;
use coro_test_support::count_suspensions;
use coro_test_support::prelude::*;
use std::cell::Cell;
use std::error::Error;
use std::fmt;
use std::rc::Rc;

#[test]
fn echo_suspends_at_each_operation() {
    let mut input = vec![7u8; 150];
    input[149] = 9;
    let (result, suspensions) = count_suspensions(|| block_on(echo(TcpStream::new(&input, 1000))));
    result.unwrap();
    // The prelude's echo reads 64 bytes at a time: reads of 64, 64, 22 and the EOF read, three writes.
    assert_eq!(suspensions, 4 + 3);
}

/// Generic over the stream: the operations come from a trait (`impl Suspend` in its signature).
#[coro::coroutine]
fn copy_all<S: Stream>(mut stream: S) -> io::Result<usize> {
    let mut buf = [0u8; 8];
    let mut total = 0;
    while let n @ 1.. = stream.read(&mut buf)? {
        stream.write_all(&buf[..n])?;
        total += n;
    }
    Ok(total)
}

#[test]
fn generic_coroutine() {
    let (result, suspensions) = count_suspensions(|| block_on(copy_all(TcpStream::new(b"0123456789", 8))));
    assert_eq!(result.unwrap(), 10);
    assert_eq!(suspensions, 3 + 2); // reads of 8, 2 and EOF; two writes
}

struct Conn {
    stream: TcpStream,
    seen: usize,
}

impl Conn {
    #[coro::coroutine]
    fn step(&mut self) -> io::Result<usize> {
        let mut buf = [0u8; 4];
        match self.stream.read(&mut buf) {
            Ok(0) => Ok(0),
            Ok(n) => {
                self.stream.write_all(&buf[..n])?;
                self.seen += n;
                Ok(n)
            }
            Err(e) => Err(e),
        }
    }

    #[coro::coroutine]
    fn run(&mut self) -> io::Result<usize> {
        while self.step()? > 0 {} // a coroutine call inside a condition
        Ok(self.seen)
    }

    #[coro::coroutine]
    fn peek(&self) -> usize {
        coro::yield_now();
        self.seen
    }

    #[coro::coroutine]
    fn into_output(self) -> Vec<u8> {
        coro::yield_now();
        self.stream.output
    }
}

#[test]
fn methods_on_every_receiver() {
    let mut conn = Conn { stream: TcpStream::new(b"abcdefghij", 16), seen: 0 };
    let (result, suspensions) = count_suspensions(|| block_on(conn.run()));
    assert_eq!(result.unwrap(), 10);
    assert_eq!(suspensions, 4 + 3); // reads of 4, 4, 2 and EOF; three writes
    assert_eq!(block_on(conn.peek()), 10);
    assert_eq!(block_on(conn.into_output()), b"abcdefghij");
}

trait Service {
    /// Without a default body: implementors write the coroutine.
    #[coro::coroutine]
    fn call(&mut self, request: Vec<u8>) -> io::Result<usize>;

    /// With a default body that calls the required one.
    #[coro::coroutine]
    fn call_twice(&mut self, request: Vec<u8>) -> io::Result<usize> {
        let first = self.call(request.clone())?;
        Ok(first + self.call(request)?)
    }
}

struct EchoService(TcpStream);

impl Service for EchoService {
    #[coro::coroutine]
    fn call(&mut self, request: Vec<u8>) -> io::Result<usize> {
        self.0.write_all(&request)?;
        Ok(request.len())
    }
}

#[coro::coroutine]
fn serve<S: Service>(service: &mut S) -> io::Result<usize> {
    service.call_twice(b"hi".to_vec())
}

#[test]
fn trait_methods() {
    let mut service = EchoService(TcpStream::new(b"", 1));
    let (result, suspensions) = count_suspensions(|| block_on(serve(&mut service)));
    assert_eq!(result.unwrap(), 4);
    assert_eq!(suspensions, 2);
    assert_eq!(service.0.output, b"hihi");
}

#[test]
fn nothing_runs_until_awaited_and_arguments_live_in_the_future() {
    struct Guard<'a>(&'a Cell<u32>);
    impl Drop for Guard<'_> {
        fn drop(&mut self) {
            self.0.set(self.0.get() + 1);
        }
    }
    #[coro::coroutine]
    fn touch(ran: &Cell<bool>, _guard: Guard<'_>, (_a, _b): (Guard<'_>, u8)) {
        ran.set(true);
    }

    let ran = Cell::new(false);
    let drops = Cell::new(0);
    let pending = touch(&ran, Guard(&drops), (Guard(&drops), 1));
    assert!(!ran.get(), "the body runs only when awaited");
    assert_eq!(drops.get(), 0, "arguments are owned by the future, `_` patterns included");
    drop(pending);
    assert!(!ran.get());
    assert_eq!(drops.get(), 2, "dropping the coroutine drops its arguments");

    block_on(touch(&ran, Guard(&drops), (Guard(&drops), 1)));
    assert!(ran.get());
    assert_eq!(drops.get(), 4);
}

#[derive(Debug)]
struct Refused;

impl fmt::Display for Refused {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("refused")
    }
}

impl Error for Refused {}

/// `return` operands and the tail coerce to the declared type, as in a plain fn.
#[coro::coroutine]
fn coerced(mut stream: TcpStream, refuse: bool) -> Result<usize, Box<dyn Error>> {
    if refuse {
        return Err(Box::new(Refused));
    }
    let mut buf = [0u8; 8];
    let n = stream.read(&mut buf)?;
    let text: &str = std::str::from_utf8(&buf[..n])?;
    Ok(text.trim().parse::<usize>()?)
}

#[test]
fn returns_coerce_to_the_declared_type() {
    let refused = block_on(coerced(TcpStream::new(b"12", 8), true)).unwrap_err();
    assert_eq!(refused.to_string(), "refused");
    assert_eq!(block_on(coerced(TcpStream::new(b"12", 8), false)).unwrap(), 12);
}

#[coro::coroutine]
fn plain_and_macro_calls(mut stream: TcpStream, text: String) -> io::Result<String> {
    let number: u32 = text.parse().unwrap(); // context-typed calls are skipped
    let wide = takes_u64(number.into());
    let doubled: Vec<u32> = (1..=3).map(|x| x * 2).collect();
    let bar: Bar = make(); // typed let picks the type
    let mut buf = [0u8; 4];
    let stored: ReadFut<'_> = stream.read(&mut buf); // annotated with the operation's type: stored
    let got = coro::wait(stored)?; // ...and awaited here
    let formatted = format!("{} {} {:?} {:?} {}", wide, got, doubled, bar, stream.read(&mut buf)?);
    assert_eq!(stream.read(&mut [0u8; 2])?, 0, "the stream is drained");
    Ok(formatted)
}

#[test]
fn plain_calls_pass_through_and_macro_arguments_suspend() {
    let (result, suspensions) =
        count_suspensions(|| block_on(plain_and_macro_calls(TcpStream::new(b"abcdef", 4), "7".into())));
    assert_eq!(result.unwrap(), "7 4 [2, 4, 6] Bar(0) 2");
    // wait(stored), the read inside format!, the read inside assert_eq!
    assert_eq!(suspensions, 3);
}

#[coro::coroutine]
fn countdown(n: u32) -> u32 {
    if n == 0 {
        return 0;
    }
    let mut stream = TcpStream::new(b"", 1);
    let _ = stream.write_all(b"tick"); // `let _ =` still awaits the operation
    let rest = Box::pin(coro::nowait!(countdown(n - 1))); // recursion goes through a box
    1 + rest
}

#[test]
fn recursion_through_a_box() {
    let (result, suspensions) = count_suspensions(|| block_on(countdown(5)));
    assert_eq!(result, 5);
    assert_eq!(suspensions, 5);
}

#[coro::coroutine]
fn closures_and_async_blocks(mut stream: TcpStream) -> io::Result<usize> {
    let parse = |s: &str| -> usize { s.parse().unwrap() }; // closure bodies are not rewritten
    let later = |s: TcpStream| echo(s); // a closure returning a coroutine...
    later(TcpStream::new(b"xy", 8))?; // ...is a call, so it is awaited
    let block = async { 40 }; // async blocks are left alone
    let forty = block.await;
    let n = stream.read(&mut [0u8; 4]).await?; // an explicit `.await` is kept as written
    Ok(forty + parse("1") + n)
}

#[test]
fn closures_and_explicit_awaits_are_left_alone() {
    let (result, suspensions) =
        count_suspensions(|| block_on(closures_and_async_blocks(TcpStream::new(b"a", 4))));
    assert_eq!(result.unwrap(), 42);
    assert_eq!(suspensions, 3 + 1); // echo: read, write, EOF read; then the explicit read
}

mod renamed {
    pub use coro as runtime;
}

#[coro::coroutine(crate = renamed::runtime)]
fn through_a_reexport(mut stream: TcpStream) -> io::Result<()> {
    stream.write_all(b"ok")
}

#[test]
fn crate_argument_reaches_a_reexported_coro() {
    let (result, suspensions) = count_suspensions(|| block_on(through_a_reexport(TcpStream::new(b"", 1))));
    result.unwrap();
    assert_eq!(suspensions, 1);
}

#[test]
fn not_send_coroutines_run_on_block_on() {
    #[coro::coroutine]
    fn shared(value: Rc<u32>) -> u32 {
        coro::yield_now();
        *value + 1
    }
    assert_eq!(block_on(shared(Rc::new(1))), 2);
}

struct Queue;

impl Queue {
    /// A coroutine under one of the names that are plain by convention.
    #[coro::coroutine]
    fn len(&self) -> usize {
        coro::yield_now();
        3
    }
}

#[coro::coroutine]
fn plain_by_convention_name() -> usize {
    let queue = Queue;
    // `len` is never awaited: `pending` is the coroutine, awaited explicitly on the next line.
    let pending = queue.len();
    coro::wait(pending)
}

#[test]
fn plain_by_convention_names_are_never_awaited() {
    assert_eq!(block_on(plain_by_convention_name()), 3);
}
