//! File I/O: `coro::fs` against `tokio::fs` and blocking `std::fs`, in one process, in alternating rounds.
//!
//! Three operations, each timed per implementation:
//! - `read`: read a file of SIZE MiB to the end in 64 KiB reads;
//! - `write`: write SIZE MiB to a new file in 1 KiB writes, then flush (coro and tokio: until their queued
//!   writes are done; std writes unbuffered, one `write(2)` per call, as a `File` does);
//! - `stat`: `metadata` of FILES small files, one after the other.
//!
//! Before each timed run the previous output is deleted and `sync(2)` writes back every dirty page, so that
//! no run is throttled by the writeback of another's writes. Each round runs the chosen implementations in a
//! rotated order, so that a load change on the machine falls on all of them; the report gives every round's
//! times (`bench/fs_paired.py` turns those into a paired interval), the median wall-clock and CPU time (the
//! whole process's, every thread) of each, and the medians of the per-round ratios. coro and tokio each get
//! a runtime of WORKERS workers (default 2), and one task does the work, as a program would. OPS (default `read,write,stat`) picks the operations, IMPLS (default `std,tokio,coro`)
//! the implementations (one alone, to profile it: `IMPLS=coro perf record ...`).
//!
//! ```text
//! fs [SIZE_MIB (1024)] [FILES (10000)] [ROUNDS (5)] [DIR (target/fs-bench)]
//! ```

use coro_bench::echo::cpu_times;
use coro_bench::median;
use std::path::{Path, PathBuf};
use std::time::Instant;

const READ_CHUNK: usize = 64 * 1024;
const WRITE_CHUNK: usize = 1024;

#[derive(Clone, Copy, Debug, PartialEq)]
enum Impl {
    Std,
    Tokio,
    Coro,
}

struct Setup {
    dir: PathBuf,
    size: usize,
    files: usize,
}

impl Setup {
    fn source(&self) -> PathBuf {
        self.dir.join("source")
    }
    fn target(&self) -> PathBuf {
        self.dir.join("target")
    }
    fn small(&self, i: usize) -> PathBuf {
        self.dir.join("small").join(format!("f{i}"))
    }
}

fn std_read(path: &Path) -> usize {
    use std::io::Read;
    let mut file = std::fs::File::open(path).unwrap();
    let mut buf = vec![0u8; READ_CHUNK];
    let mut total = 0;
    loop {
        let n = file.read(&mut buf).unwrap();
        if n == 0 {
            return total;
        }
        total += n;
    }
}

fn std_write(path: &Path, size: usize) {
    use std::io::Write;
    let mut file = std::fs::File::create(path).unwrap();
    let chunk = [7u8; WRITE_CHUNK];
    for _ in 0..size / WRITE_CHUNK {
        file.write_all(&chunk).unwrap();
    }
    file.flush().unwrap();
}

fn std_stat(paths: Vec<PathBuf>) -> u64 {
    paths.iter().map(|path| std::fs::metadata(path).unwrap().len()).sum()
}

async fn tokio_read(path: PathBuf) -> usize {
    use tokio::io::AsyncReadExt;
    let mut file = tokio::fs::File::open(path).await.unwrap();
    let mut buf = vec![0u8; READ_CHUNK];
    let mut total = 0;
    loop {
        let n = file.read(&mut buf).await.unwrap();
        if n == 0 {
            return total;
        }
        total += n;
    }
}

async fn tokio_write(path: PathBuf, size: usize) {
    use tokio::io::AsyncWriteExt;
    let mut file = tokio::fs::File::create(path).await.unwrap();
    let chunk = [7u8; WRITE_CHUNK];
    for _ in 0..size / WRITE_CHUNK {
        file.write_all(&chunk).await.unwrap();
    }
    file.flush().await.unwrap();
}

async fn tokio_stat(paths: Vec<PathBuf>) -> u64 {
    let mut total = 0;
    for path in paths {
        total += tokio::fs::metadata(path).await.unwrap().len();
    }
    total
}

#[coro::coroutine]
fn coro_read(path: PathBuf) -> usize {
    use coro::io::Read;
    let mut file = coro::fs::File::open(path).unwrap();
    let mut buf = vec![0u8; READ_CHUNK];
    let mut total = 0;
    loop {
        let n = file.read(&mut buf).unwrap();
        if n == 0 {
            return total;
        }
        total += n;
    }
}

#[coro::coroutine]
fn coro_write(path: PathBuf, size: usize) {
    use coro::io::Write;
    let mut file = coro::fs::File::create(path).unwrap();
    let chunk = [7u8; WRITE_CHUNK];
    for _ in 0..size / WRITE_CHUNK {
        file.write_all(&chunk).unwrap();
    }
    file.flush().unwrap();
}

#[coro::coroutine]
fn coro_stat(paths: Vec<PathBuf>) -> u64 {
    let mut total = 0;
    for path in paths {
        total += coro::fs::metadata(path).unwrap().len();
    }
    total
}

struct Runtimes {
    tokio: tokio::runtime::Runtime,
    coro: coro::Runtime,
}

/// Times one operation of one implementation: wall-clock seconds, and CPU seconds of the whole process.
fn run(rts: &Runtimes, setup: &Setup, which: Impl, op: &str) -> (f64, f64) {
    let _ = std::fs::remove_file(setup.target());
    // Start from no dirty pages, so that the writeback of an earlier run's writes does not throttle this one.
    // SAFETY: sync(2) takes no arguments and cannot fail.
    unsafe { libc::sync() };
    let (source, target, size) = (setup.source(), setup.target(), setup.size);
    let paths: Vec<PathBuf> = (0..setup.files).map(|i| setup.small(i)).collect();
    let (start, cpu) = (Instant::now(), cpu_times());
    match (which, op) {
        (Impl::Std, "read") => assert_eq!(std_read(&source), size),
        (Impl::Std, "write") => std_write(&target, size),
        (Impl::Std, "stat") => assert_eq!(std_stat(paths), setup.files as u64),
        (Impl::Tokio, "read") => {
            assert_eq!(rts.tokio.block_on(rts.tokio.spawn(tokio_read(source))).unwrap(), size)
        }
        (Impl::Tokio, "write") => rts.tokio.block_on(rts.tokio.spawn(tokio_write(target, size))).unwrap(),
        (Impl::Tokio, "stat") => {
            assert_eq!(rts.tokio.block_on(rts.tokio.spawn(tokio_stat(paths))).unwrap(), setup.files as u64)
        }
        (Impl::Coro, "read") => {
            assert_eq!(rts.coro.block_on(rts.coro.spawn(coro_read(source)).join()).unwrap(), size)
        }
        (Impl::Coro, "write") => rts.coro.block_on(rts.coro.spawn(coro_write(target, size)).join()).unwrap(),
        (Impl::Coro, "stat") => {
            assert_eq!(
                rts.coro.block_on(rts.coro.spawn(coro_stat(paths)).join()).unwrap(),
                setup.files as u64
            )
        }
        _ => unreachable!(),
    }
    let elapsed = (start.elapsed().as_secs_f64(), (cpu_times().total() - cpu.total()).as_secs_f64());
    if op == "write" {
        assert_eq!(std::fs::metadata(setup.target()).unwrap().len(), size as u64);
    }
    elapsed
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let size_mib: usize = args.get(1).map_or(1024, |s| s.parse().unwrap());
    let files: usize = args.get(2).map_or(10_000, |s| s.parse().unwrap());
    let rounds: usize = args.get(3).map_or(5, |s| s.parse().unwrap());
    let dir = args.get(4).map_or_else(|| PathBuf::from("target/fs-bench"), PathBuf::from);
    let workers: usize = std::env::var("WORKERS").map_or(2, |w| w.parse().unwrap());
    let setup = Setup { dir, size: size_mib * 1024 * 1024, files };

    std::fs::create_dir_all(setup.dir.join("small")).unwrap();
    std_write(&setup.source(), setup.size);
    for i in 0..files {
        std::fs::write(setup.small(i), b"x").unwrap();
    }
    let rts = Runtimes {
        tokio: tokio::runtime::Builder::new_multi_thread()
            .worker_threads(workers)
            .enable_all()
            .build()
            .unwrap(),
        coro: coro::Runtime::builder().workers(workers).build().unwrap(),
    };
    println!("fs: {size_mib} MiB, {files} files, {rounds} rounds, {workers} workers");
    let impls = [Impl::Std, Impl::Tokio, Impl::Coro];
    let wanted = std::env::var("IMPLS").unwrap_or_else(|_| "std,tokio,coro".into()).to_lowercase();
    let wanted = |which: Impl| wanted.split(',').any(|w| w == format!("{which:?}").to_lowercase());
    let ops = std::env::var("OPS").unwrap_or_else(|_| "read,write,stat".into());
    for op in ops.split(',') {
        // Warm-up: page cache, pool threads.
        for which in impls.into_iter().filter(|&w| wanted(w)) {
            run(&rts, &setup, which, op);
        }
        let (mut wall, mut cpu): (Vec<Vec<f64>>, Vec<Vec<f64>>) = (vec![Vec::new(); 3], vec![Vec::new(); 3]);
        // The order rotates over the implementations run, so that with two of them they alternate.
        let chosen: Vec<usize> = (0..3).filter(|&i| wanted(impls[i])).collect();
        for round in 0..rounds {
            for k in 0..chosen.len() {
                let index = chosen[(round + k) % chosen.len()];
                let (w, c) = run(&rts, &setup, impls[index], op);
                wall[index].push(w);
                cpu[index].push(c);
            }
        }
        for (what, times) in [("wall", &wall), ("cpu", &cpu)] {
            // Every round's seconds, for paired statistics across rounds (bench/fs_paired.py).
            println!(
                "{op:>5} {what:>4} rounds: std {:?}, tokio {:?}, coro {:?}",
                times[0], times[1], times[2]
            );
            // A median, or "-" for an implementation left out by IMPLS.
            let time = |a: usize| {
                if times[a].is_empty() { "-".into() } else { format!("{:.3} s", median(&times[a])) }
            };
            let ratio = |a: usize, b: usize| {
                let ratios: Vec<f64> = times[a].iter().zip(&times[b]).map(|(x, y)| x / y).collect();
                if ratios.is_empty() { "-".into() } else { format!("{:.2}x", median(&ratios)) }
            };
            println!(
                "{op:>5} {what:>4}: std {}, tokio {}, coro {}; coro/tokio {}, coro/std {}, tokio/std {}",
                time(0),
                time(1),
                time(2),
                ratio(2, 1),
                ratio(2, 0),
                ratio(1, 0),
            );
        }
    }
    let _ = std::fs::remove_dir_all(&setup.dir);
}
