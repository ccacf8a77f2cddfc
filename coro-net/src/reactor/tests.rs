use super::registration::lookup;
use super::*;
use crate::Runtime;
use mio::Interest;
use mio::net::UnixStream;
use std::future::poll_fn;
use std::io::{Read, Write};
use std::sync::mpsc;
use std::task::Poll;
use std::time::Duration;

fn rt(workers: usize) -> Runtime {
    Runtime::builder().workers(workers).build().unwrap()
}

/// A registered end of a Unix socket pair.
struct End {
    io: UnixStream,
    registration: Registration,
}

impl End {
    fn new(mut io: UnixStream) -> End {
        let registration = Registration::new(&mut io, Interest::READABLE | Interest::WRITABLE).unwrap();
        End { io, registration }
    }

    async fn read(&self, buf: &mut [u8]) -> std::io::Result<usize> {
        poll_fn(|cx| self.registration.poll_io(cx, Direction::Read, || (&self.io).read(buf))).await
    }

    async fn write(&self, buf: &[u8]) -> std::io::Result<usize> {
        poll_fn(|cx| self.registration.poll_io(cx, Direction::Write, || (&self.io).write(buf))).await
    }

    async fn write_all(&self, mut buf: &[u8]) -> std::io::Result<()> {
        while !buf.is_empty() {
            let n = self.write(buf).await?;
            buf = &buf[n..];
        }
        Ok(())
    }

    async fn read_exact(&self, mut buf: &mut [u8]) -> std::io::Result<()> {
        while !buf.is_empty() {
            let n = self.read(buf).await?;
            assert!(n > 0, "early EOF");
            buf = &mut buf[n..];
        }
        Ok(())
    }
}

impl Drop for End {
    fn drop(&mut self) {
        self.registration.deregister(&mut self.io).unwrap();
    }
}

#[test]
fn io_between_two_tasks() {
    const TOTAL: usize = 4 << 20; // several socket buffers: both sides wait for readiness many times
    rt(2).block_on(async {
        let (a, b) = UnixStream::pair().unwrap();
        let (a, b) = (End::new(a), End::new(b));
        let writer = coro_core::spawn(async move {
            let chunk: Vec<u8> = (0..64 * 1024).map(|i| i as u8).collect();
            let mut sent = 0;
            while sent < TOTAL {
                let n = chunk.len().min(TOTAL - sent);
                a.write_all(&chunk[..n]).await.unwrap();
                sent += n;
            }
            drop(a); // EOF for the reader
        });
        let reader = coro_core::spawn(async move {
            let mut buf = vec![0u8; 10_000];
            let mut got = 0;
            loop {
                let n = b.read(&mut buf).await.unwrap();
                if n == 0 {
                    return got;
                }
                for (i, byte) in buf[..n].iter().enumerate() {
                    assert_eq!(*byte, ((got + i) % (64 * 1024)) as u8);
                }
                got += n;
            }
        });
        writer.join().await.unwrap();
        assert_eq!(reader.join().await.unwrap(), TOTAL);
        assert_eq!(Driver::current().unwrap().registrations(), 0, "dropped registrations free their slots");
    });
}

#[test]
fn a_worker_stuck_in_user_code_does_not_stop_io_for_the_others() {
    // Task A blocks its worker's thread until task B, which needs the reactor for every round trip with an
    // echo thread, is done. With two workers, B runs on the other one, and must be served by the reactor
    // whatever A's worker was doing when A started.
    let rt = rt(2);
    for _ in 0..20 {
        rt.block_on(async {
            let (b_done_tx, b_done_rx) = mpsc::channel::<()>();
            let (a_started_tx, a_started_rx) = mpsc::channel::<()>();
            let blocker = coro_core::spawn(async move {
                a_started_tx.send(()).unwrap();
                // Blocks this worker; a bug fails here instead of hanging the test.
                b_done_rx.recv_timeout(Duration::from_secs(30)).expect("task B's IO never completed")
            });
            let (mine, theirs) = std::os::unix::net::UnixStream::pair().unwrap();
            let echo = std::thread::spawn(move || {
                let mut theirs = theirs;
                let mut buf = [0u8; 8];
                while theirs.read_exact(&mut buf).is_ok() {
                    theirs.write_all(&buf).unwrap();
                }
            });
            let io = coro_core::spawn(async move {
                mine.set_nonblocking(true).unwrap();
                let end = End::new(UnixStream::from_std(mine));
                for i in 0..100u64 {
                    end.write_all(&i.to_le_bytes()).await.unwrap();
                    let mut buf = [0u8; 8];
                    end.read_exact(&mut buf).await.unwrap();
                    assert_eq!(u64::from_le_bytes(buf), i);
                }
                drop(end);
                b_done_tx.send(()).unwrap();
            });
            // Keep the block_on thread (worker 0) out of the way once A runs: wait for A to start.
            poll_fn(|cx| match a_started_rx.try_recv() {
                Ok(()) => Poll::Ready(()),
                Err(_) => {
                    cx.waker().wake_by_ref();
                    Poll::Pending
                }
            })
            .await;
            io.join().await.unwrap();
            blocker.join().await.unwrap();
            echo.join().unwrap();
        });
    }
}

#[test]
fn no_stale_wakeups_after_deregister() {
    rt(1).block_on(async {
        let driver = Driver::current().unwrap();
        let (a, mut b) = UnixStream::pair().unwrap();
        let mut first = End::new(a);
        let old_token = first.registration.token();
        // Make `first` readable, so the kernel has an event for it, then deregister it without reading.
        b.write_all(b"x").unwrap();
        first.registration.deregister(&mut first.io).unwrap();
        let (c, _d) = UnixStream::pair().unwrap();
        let second = End::new(c);
        let new_token = second.registration.token();
        assert_eq!(old_token.0 & 0xffff, new_token.0 & 0xffff, "the slab key is reused");
        assert_ne!(old_token, new_token, "with a new generation");
        let io = lock(&driver.io);
        assert!(lookup(&io, old_token).is_none(), "an event for the old token is dropped");
        assert!(lookup(&io, new_token).is_some());
        drop(io);
        std::mem::forget(first); // already deregistered
    });
}

#[test]
fn operations_that_complete_at_once_respect_the_budget() {
    rt(1).block_on(async {
        // Run inside a task: the budget applies to tasks.
        coro_core::spawn(async {
            let (a, _b) = UnixStream::pair().unwrap();
            let end = End::new(a);
            let mut completed = 0;
            let yielded = poll_fn(|cx| {
                loop {
                    match end.registration.poll_io(cx, Direction::Write, || Ok(())) {
                        Poll::Ready(result) => {
                            result.unwrap();
                            completed += 1;
                            if completed > 10 * coro_core::rt_internal::coop::BUDGET as usize {
                                return Poll::Ready(false);
                            }
                        }
                        Poll::Pending => return Poll::Ready(true),
                    }
                }
            })
            .await;
            assert!(yielded, "a task whose IO always completes must be made to yield");
            assert_eq!(completed, coro_core::rt_internal::coop::BUDGET as usize);
        })
        .join()
        .await
        .unwrap();
    });
}

#[test]
fn clearing_readiness_never_loses_an_event_that_arrived_meanwhile() {
    rt(1).block_on(async {
        let driver = Driver::current().unwrap();
        let (a, mut b) = UnixStream::pair().unwrap();
        let end = End::new(a);
        let mut buf = [0u8; 16];
        // Optimistic start: ready; the read proves otherwise, and the clear sticks (no event since).
        poll_fn(|cx| end.registration.poll_ready(cx, Direction::Read)).await.unwrap();
        assert_eq!((&end.io).read(&mut buf).unwrap_err().kind(), std::io::ErrorKind::WouldBlock);
        end.registration.clear_readiness(Direction::Read);
        let pending =
            poll_fn(|cx| Poll::Ready(end.registration.poll_ready(cx, Direction::Read).is_pending())).await;
        assert!(pending, "cleared after WouldBlock");
        // Data arrives; the driver dispatches it (a turn) between a readiness check and the clear of a
        // stale WouldBlock: the clear must be skipped.
        b.write_all(b"x").unwrap();
        // Woken by the event; the check records its tick.
        poll_fn(|cx| end.registration.poll_ready(cx, Direction::Read)).await.unwrap();
        b.write_all(b"y").unwrap();
        {
            let mut poll = driver.try_acquire(None).expect("the driver is free");
            driver.turn(&mut poll, Some(Duration::from_secs(5)));
            driver.release(poll);
        }
        end.registration.clear_readiness(Direction::Read); // tick changed: ignored
        let ready =
            poll_fn(|cx| Poll::Ready(end.registration.poll_ready(cx, Direction::Read).is_ready())).await;
        assert!(ready, "the event that arrived after the check survives the clear");
        assert_eq!((&end.io).read(&mut buf).unwrap(), 2);
    });
}

#[test]
fn operations_fail_once_the_runtime_has_shut_down() {
    rt(1).block_on(async {
        let (a, _b) = UnixStream::pair().unwrap();
        let end = End::new(a);
        let mut buf = [0u8; 1];
        // The read waits (nothing to read), the write side stays ready: both paths must see the shutdown.
        let pending = poll_fn(|cx| {
            Poll::Ready(
                end.registration.poll_io(cx, Direction::Read, || (&end.io).read(&mut buf)).is_pending(),
            )
        })
        .await;
        assert!(pending, "nothing to read yet");
        Driver::current().unwrap().shutdown();
        for direction in [Direction::Read, Direction::Write] {
            let err = poll_fn(|cx| end.registration.poll_ready(cx, direction)).await.unwrap_err();
            assert!(err.to_string().contains("has shut down"), "{direction:?}: {err}");
        }
        let err = end.read(&mut buf).await.unwrap_err();
        assert!(err.to_string().contains("has shut down"), "{err}");
    });
}

#[test]
fn registering_outside_a_runtime_is_a_clear_error() {
    let (mut a, _b) = UnixStream::pair().unwrap();
    let err = Registration::new(&mut a, Interest::READABLE).unwrap_err();
    assert!(err.to_string().contains("inside a coro runtime"), "{err}");
}

#[test]
fn unpark_interrupts_a_worker_blocked_in_the_driver() {
    // A spawn from outside the runtime must wake the worker sleeping in epoll_wait.
    let rt = rt(2); // worker 0 runs only inside `block_on`: worker 1 is the one to wake
    for i in 0..50 {
        assert_eq!(rt.spawn(async move { i }).join_blocking(), i);
    }
}

/// Joins from a plain thread.
trait JoinBlocking<T> {
    fn join_blocking(self) -> T;
}

impl<T: Send + 'static> JoinBlocking<T> for coro_core::JoinHandle<T> {
    fn join_blocking(self) -> T {
        coro_core::block_on(self.join()).unwrap()
    }
}

#[test]
fn a_worker_leaving_the_driver_hands_it_to_a_waiting_one() {
    use coro_core::rt_internal::park::Park;
    let driver = Driver::new().unwrap();
    let _p0 = park::Parker::new(&driver, 0);
    let mut p1 = park::Parker::new(&driver, 1);
    // Worker 0 holds the driver (as a busy worker's non-blocking `maintain` poll does)...
    let poll = driver.try_acquire(None).unwrap();
    // ...while worker 1 runs out of work: it sleeps on its condition variable, listed as waiting.
    let (parked_tx, parked_rx) = mpsc::channel();
    let sleeper = std::thread::spawn(move || {
        p1.park();
        parked_tx.send(()).unwrap();
        // Parked again (as the scheduler does after a hand-over), it now gets the driver itself.
        p1.park_timeout(Duration::from_millis(1));
    });
    while !lock(&driver.slot).waiting.contains(&1) {
        std::thread::yield_now();
    }
    // Worker 0 leaves to run tasks: worker 1 must wake to take over, or nobody would poll.
    driver.release(poll);
    parked_rx.recv_timeout(Duration::from_secs(30)).expect("the waiting worker was not handed the driver");
    sleeper.join().unwrap();
    assert!(lock(&driver.slot).waiting.is_empty());
}
