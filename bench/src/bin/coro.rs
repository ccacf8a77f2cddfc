//! coro: `coro::Runtime::builder().workers(n).build()`, `coro::spawn` and `JoinHandle::join`,
//! `coro::yield_now`, `coro::sync::oneshot`.
//!
//! Sync suite: `coro::chan::bounded` (multi-producer multi-consumer) and `coro::sync::Mutex`.
//!
//! Written with plain `async` blocks and explicit `.await`s, like the peers: a `#[coro::coroutine]` body is
//! the same state machine (the macro only inserts the `.await`s), so the scheduler is what is measured.

use coro::chan::bounded;
use coro::sync::{Mutex, oneshot};
use coro::yield_now;
use coro_bench::{
    Idle, Runtime, SyncRuntime, prefault, rss_bytes, started, started_count, trivial, yields_in_section,
};
use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

struct Coro(coro::Runtime);

impl Coro {
    /// Runs `fut` as a spawned root task, so that what it spawns is spawned from a worker.
    fn root<T: Send + 'static>(&self, fut: impl Future<Output = T> + Send + 'static) -> T {
        self.0.block_on(async move {
            match coro::spawn(fut).join().await {
                Ok(v) => v,
                Err(_) => panic!("root task failed"),
            }
        })
    }
}

fn link(n: usize, done: oneshot::Sender<()>) {
    if n == 0 {
        let _ = done.send(());
    } else {
        drop(coro::spawn(async move { link(n - 1, done) }));
    }
}

fn joined<T>(r: Result<T, coro::JoinError>) -> T {
    match r {
        Ok(v) => v,
        Err(_) => panic!("task failed"),
    }
}

impl Runtime for Coro {
    fn spawn_waves(&self, total: usize, wave: usize) -> Duration {
        self.root(async move {
            let mut handles = Vec::with_capacity(wave);
            let start = Instant::now();
            for _ in 0..total / wave {
                for i in 0..wave {
                    handles.push(coro::spawn(async move { trivial(i) }));
                }
                for h in handles.drain(..) {
                    joined(h.join().await);
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
                    coro::spawn(async move {
                        for _ in 0..yields {
                            yield_now().await;
                        }
                    })
                })
                .collect();
            for h in handles {
                joined(h.join().await);
            }
            start.elapsed()
        })
    }

    fn chain(&self, depth: usize) -> Duration {
        self.root(async move {
            let (tx, rx) = oneshot::channel();
            let start = Instant::now();
            link(depth, tx);
            let _ = rx.recv().await;
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
                let (tx, rx) = oneshot::channel::<()>();
                senders.push(tx);
                handles.push(coro::spawn(async move {
                    started();
                    let _ = rx.recv().await;
                }));
            }
            while started_count() < tasks {
                yield_now().await;
            }
            let rss_parked = rss_bytes();
            for tx in senders {
                let _ = tx.send(());
            }
            for h in handles {
                joined(h.join().await);
            }
            Idle { rss_before, rss_parked }
        })
    }
}

impl SyncRuntime for Coro {
    fn pingpong(&self, round_trips: usize) -> Duration {
        self.root(async move {
            let (ping, pinged) = bounded(1);
            let (pong, ponged) = bounded(1);
            let start = Instant::now();
            let echo = coro::spawn(async move {
                while let Ok(v) = pinged.recv().await {
                    pong.send(v).await.unwrap();
                }
            });
            for i in 0..round_trips {
                ping.send(i).await.unwrap();
                assert_eq!(ponged.recv().await.ok(), Some(i));
            }
            drop(ping);
            joined(echo.join().await);
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
                    coro::spawn(async move {
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
                    coro::spawn(async move {
                        for i in 0..each {
                            tx.send(i).await.unwrap();
                        }
                    })
                })
                .collect();
            drop((tx, rx));
            for p in producers {
                joined(p.join().await);
            }
            let mut received = 0;
            for c in consumers {
                received += joined(c.join().await);
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
                    coro::spawn(async move {
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
            for h in handles {
                joined(h.join().await);
            }
            assert_eq!(*counter.lock().await, tasks * iters);
            start.elapsed()
        })
    }
}

fn main() {
    coro_bench::main("coro", |workers| {
        let rt = coro::Runtime::builder().workers(workers).build().expect("coro runtime");
        Coro(rt)
    });
}
