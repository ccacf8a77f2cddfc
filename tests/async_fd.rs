//! `coro::io::Async` over descriptors coro has no type for: a pipe and an eventfd.

#![cfg(unix)]
#![deny(warnings)]

use coro::io::{Async, Read as _, Write as _};
use std::fs::File;
use std::io;
use std::os::fd::{FromRawFd as _, OwnedFd};

/// A pipe's read and write ends, as files (`&File` reads and writes with plain `read(2)`/`write(2)`).
fn pipe() -> (File, File) {
    let mut fds = [0; 2];
    // SAFETY: `pipe2` writes two new descriptors into the array we pass.
    assert_eq!(unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) }, 0);
    // SAFETY: both descriptors were just created and are owned by nothing else.
    unsafe { (File::from(OwnedFd::from_raw_fd(fds[0])), File::from(OwnedFd::from_raw_fd(fds[1]))) }
}

/// Whether `op` completes without suspending.
#[coro::coroutine]
fn ready_now(op: impl coro::Suspend<Output = io::Result<()>>) -> bool {
    coro::select! {
        done = op => done.is_ok(),
        default => false,
    }
}

#[coro::test(workers = 2)]
fn a_pipe_carries_a_mebibyte_between_tasks() {
    const LEN: usize = 1 << 20;
    let (read, write) = pipe();
    let (mut read, mut write) = (Async::new(read).unwrap(), Async::new(write).unwrap());
    let data: Vec<u8> = (0..LEN).map(|i| (i % 251) as u8).collect();
    let expected = data.clone();
    let writer = coro::spawn!(move || -> io::Result<()> {
        write.write_all(&data)?; // suspends whenever the 64 KiB pipe is full
        write.flush()
    }); // the write end closes: the reader sees end of file
    let mut got = Vec::new();
    read.read_to_end(&mut got).unwrap();
    writer.join().unwrap().unwrap();
    assert_eq!(got.len(), LEN);
    assert!(got == expected);
}

#[coro::test(workers = 2)]
fn readable_waits_for_data_and_into_inner_gives_the_descriptor_back() {
    let (read, write) = pipe();
    let read = Async::new(read).unwrap();
    assert!(!ready_now(coro::nowait!(read.readable())), "an empty pipe is not readable");
    io::Write::write_all(&mut &write, b"x").unwrap();
    read.readable().unwrap();
    assert!(ready_now(coro::nowait!(read.readable())), "readable stays true until the data is read");
    let mut byte = [0u8; 1];
    let n = read.read_with(|file| io::Read::read(&mut { file }, &mut byte)).unwrap();
    assert_eq!((n, byte), (1, *b"x"));
    assert!(!ready_now(coro::nowait!(read.readable())), "drained: not readable any more");
    let file = read.into_inner().unwrap();
    drop(write);
    assert_eq!(io::Read::read(&mut &file, &mut byte).unwrap(), 0, "the descriptor still works");
}

#[coro::test(workers = 2)]
fn an_eventfd_wakes_a_waiting_task() {
    // SAFETY: `eventfd` returns a new descriptor or -1.
    let fd = unsafe { libc::eventfd(0, libc::EFD_CLOEXEC) };
    assert!(fd >= 0, "eventfd: {}", io::Error::last_os_error());
    // SAFETY: the descriptor was just created and is owned by nothing else.
    let event = std::sync::Arc::new(Async::new(File::from(unsafe { OwnedFd::from_raw_fd(fd) })).unwrap());
    let waiter_event = event.clone();
    let waiter = coro::spawn!(move || -> io::Result<u64> {
        let mut counter = [0u8; 8];
        // An eventfd read blocks (here: suspends) while the counter is zero, then takes the whole count.
        waiter_event.read_with(|file| io::Read::read_exact(&mut { file }, &mut counter))?;
        Ok(u64::from_ne_bytes(counter))
    });
    coro::yield_now();
    event.write_with(|file| io::Write::write_all(&mut { file }, &3u64.to_ne_bytes())).unwrap();
    assert_eq!(waiter.join().unwrap().unwrap(), 3);
    assert!(event.writable().is_ok());
}

#[coro::test]
fn a_regular_file_cannot_be_registered() {
    let file = File::open("Cargo.toml").unwrap();
    assert_eq!(Async::new(file).unwrap_err().raw_os_error(), Some(libc::EPERM));
}
