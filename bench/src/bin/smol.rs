//! smol: one `smol::Executor` (async-executor) run by N threads, each calling `executor.run(..)` until
//! shutdown, the usual way to get a multi-threaded smol executor; `Executor::spawn`, `Task` awaited (or
//! detached), `smol::future::yield_now`, and `async_oneshot` as the oneshot. The calling thread only waits
//! for the root task (`smol::block_on`), as `Runtime::block_on` does in tokio.
//!
//! Not `smol::channel::bounded(1)` (async-channel) as the oneshot: it costs about 850 bytes more per parked
//! task (1,057 B/task in all, against 209 with `async_oneshot` or `futures::channel::oneshot`), which would
//! measure the channel rather than the executor.
//!
//! Sync suite: `smol::channel` (async-channel, a multi-producer multi-consumer channel) and `smol::lock::Mutex`
//! (async-lock).

use async_oneshot::{Sender, oneshot};
use coro_bench::{
    Idle, Runtime, SyncRuntime, prefault, rss_bytes, started, started_count, trivial, yields_in_section,
};
use smol::channel::bounded;
use smol::future::yield_now;
use smol::lock::Mutex;
use smol::{Executor, block_on};
use std::future::Future;
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

static EX: Executor<'static> = Executor::new();

struct Smol {
    stop: Option<smol::channel::Sender<()>>,
    threads: Vec<JoinHandle<()>>,
}

impl Smol {
    fn new(workers: usize) -> Smol {
        let (stop, stopped) = bounded::<()>(1);
        let threads = (0..workers)
            .map(|i| {
                let stopped = stopped.clone();
                std::thread::Builder::new()
                    .name(format!("smol-{i}"))
                    .spawn(move || block_on(EX.run(stopped.recv())).unwrap_or(()))
                    .expect("spawn an executor thread")
            })
            .collect();
        Smol { stop: Some(stop), threads }
    }

    /// Runs `fut` as a spawned root task and waits for it on this thread.
    fn root<T: Send + 'static>(&self, fut: impl Future<Output = T> + Send + 'static) -> T {
        block_on(EX.spawn(fut))
    }
}

impl Drop for Smol {
    fn drop(&mut self) {
        drop(self.stop.take()); // closing the channel ends every `run`
        for t in self.threads.drain(..) {
            t.join().unwrap();
        }
    }
}

fn link(n: usize, mut done: Sender<()>) {
    if n == 0 {
        let _ = done.send(());
    } else {
        EX.spawn(async move { link(n - 1, done) }).detach();
    }
}

impl Runtime for Smol {
    fn spawn_waves(&self, total: usize, wave: usize) -> Duration {
        self.root(async move {
            let mut tasks = Vec::with_capacity(wave);
            let start = Instant::now();
            for _ in 0..total / wave {
                for i in 0..wave {
                    tasks.push(EX.spawn(async move { trivial(i) }));
                }
                for t in tasks.drain(..) {
                    t.await;
                }
            }
            start.elapsed()
        })
    }

    fn yield_loop(&self, tasks: usize, yields: usize) -> Duration {
        self.root(async move {
            let start = Instant::now();
            let handles: Vec<_> = (0..tasks)
                .map(|_| {
                    EX.spawn(async move {
                        for _ in 0..yields {
                            yield_now().await;
                        }
                    })
                })
                .collect();
            for t in handles {
                t.await;
            }
            start.elapsed()
        })
    }

    fn chain(&self, depth: usize) -> Duration {
        self.root(async move {
            let (tx, rx) = oneshot();
            let start = Instant::now();
            link(depth, tx);
            rx.await.unwrap();
            start.elapsed()
        })
    }

    fn idle(&self, tasks: usize) -> Idle {
        self.root(async move {
            let mut senders = Vec::with_capacity(tasks);
            let mut handles = Vec::with_capacity(tasks);
            prefault(&mut senders);
            prefault(&mut handles);
            let rss_before = rss_bytes();
            for _ in 0..tasks {
                let (tx, rx) = oneshot::<()>();
                senders.push(tx);
                handles.push(EX.spawn(async move {
                    started();
                    let _ = rx.await;
                }));
            }
            while started_count() < tasks {
                yield_now().await;
            }
            let rss_parked = rss_bytes();
            for mut tx in senders {
                let _ = tx.send(());
            }
            for t in handles {
                t.await;
            }
            Idle { rss_before, rss_parked }
        })
    }
}

impl SyncRuntime for Smol {
    fn pingpong(&self, round_trips: usize) -> Duration {
        self.root(async move {
            let (ping, pinged) = bounded(1);
            let (pong, ponged) = bounded(1);
            let start = Instant::now();
            let echo = EX.spawn(async move {
                while let Ok(v) = pinged.recv().await {
                    pong.send(v).await.unwrap();
                }
            });
            for i in 0..round_trips {
                ping.send(i).await.unwrap();
                assert_eq!(ponged.recv().await, Ok(i));
            }
            drop(ping);
            echo.await;
            start.elapsed()
        })
    }

    fn mpmc(&self, producers: usize, consumers: usize, capacity: usize, messages: usize) -> Duration {
        self.root(async move {
            let each = messages / producers;
            let total = each * producers;
            let (tx, rx) = bounded(capacity);
            let start = Instant::now();
            let consumers: Vec<_> = (0..consumers)
                .map(|_| {
                    let rx = rx.clone();
                    EX.spawn(async move {
                        let mut received = 0;
                        while rx.recv().await.is_ok() {
                            received += 1;
                        }
                        received
                    })
                })
                .collect();
            let producers: Vec<_> = (0..producers)
                .map(|_| {
                    let tx = tx.clone();
                    EX.spawn(async move {
                        for i in 0..each {
                            tx.send(i).await.unwrap();
                        }
                    })
                })
                .collect();
            drop((tx, rx));
            for p in producers {
                p.await;
            }
            let mut received = 0;
            for c in consumers {
                received += c.await;
            }
            assert_eq!(received, total);
            start.elapsed()
        })
    }

    fn mutex(&self, tasks: usize, iters: usize, yield_every: usize) -> Duration {
        self.root(async move {
            let counter = Arc::new(Mutex::new(0));
            let start = Instant::now();
            let handles: Vec<_> = (0..tasks)
                .map(|_| {
                    let counter = counter.clone();
                    EX.spawn(async move {
                        for i in 0..iters {
                            let mut n = counter.lock().await;
                            *n += 1;
                            if yields_in_section(i, yield_every) {
                                yield_now().await;
                            }
                        }
                    })
                })
                .collect();
            for t in handles {
                t.await;
            }
            assert_eq!(*counter.lock().await, tasks * iters);
            start.elapsed()
        })
    }
}

fn main() {
    coro_bench::main("smol", Smol::new);
}
