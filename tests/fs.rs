//! `coro::fs` end to end, written as a coro user writes it: each function's success path, and its errors
//! compared with the `io::ErrorKind` std gives for the same call.
//!
//! Every test works in a directory of its own under the system's temporary directory. No sleeps, no timings.

#![deny(warnings)]

use coro::fs::{self, File, OpenOptions};
use coro::io::{BufRead, BufReader, Read, Write};
use std::io::{self, ErrorKind, SeekFrom};
use std::path::{Path, PathBuf};

/// A fresh, empty directory for one test.
fn scratch(test: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("coro-fs-{}-{test}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// The error kind of a std call that must fail.
fn std_kind<T: std::fmt::Debug>(result: io::Result<T>) -> ErrorKind {
    result.expect_err("std succeeded where an error was expected").kind()
}

/// Asserts that a coro call failed like the std call did.
fn assert_same_error<T: std::fmt::Debug, U: std::fmt::Debug>(coro: io::Result<T>, std: io::Result<U>) {
    let expected = std_kind(std);
    assert_eq!(coro.expect_err("coro succeeded where std failed").kind(), expected);
}

/// Bytes that are not all alike, so a misplaced chunk shows.
fn pattern(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i % 251) as u8 ^ (i / 4096) as u8).collect()
}

#[coro::test]
fn read_write_and_read_to_string() {
    let dir = scratch("read-write");
    let path = dir.join("a.txt");
    fs::write(&path, "hello").unwrap();
    assert_eq!(fs::read(&path).unwrap(), b"hello");
    assert_eq!(fs::read_to_string(&path).unwrap(), "hello");
    fs::write(&path, [0xff, 0xfe]).unwrap();
    assert_same_error(fs::read_to_string(&path), std::fs::read_to_string(&path));
    assert_eq!(fs::read_to_string(&path).unwrap_err().kind(), ErrorKind::InvalidData);

    let missing = dir.join("missing");
    assert_same_error(fs::read(&missing), std::fs::read(&missing));
    assert_eq!(fs::read(&missing).unwrap_err().kind(), ErrorKind::NotFound);
    assert_same_error(fs::read_to_string(&dir), std::fs::read_to_string(&dir)); // a directory
    assert_same_error(fs::write(dir.join("no/such/dir"), "x"), std::fs::write(dir.join("no/such/dir"), "x"));
    std::fs::remove_dir_all(&dir).unwrap();
}

/// A `File` is a futures-io stream too: futures-lite's copy writes one through `AsyncWrite` and reads it
/// back through `AsyncRead`.
#[coro::test]
fn files_are_futures_io_streams() {
    let dir = scratch("futures-io");
    let path = dir.join("copied");
    let data = pattern(300 * 1024); // more than the write queue and the smallest read-ahead
    let mut file = File::create(&path).unwrap();
    futures_lite::io::copy(&data[..], &mut file).await.unwrap();
    futures_lite::io::AsyncWriteExt::close(&mut file).await.unwrap();
    let mut back = Vec::new();
    let mut file = File::open(&path).unwrap();
    futures_lite::io::AsyncReadExt::read_to_end(&mut file, &mut back).await.unwrap();
    assert!(back == data, "read back {} bytes, not the {} written", back.len(), data.len());
    std::fs::remove_dir_all(&dir).unwrap();
}

#[coro::test]
fn permission_denied_as_std_reports_it() {
    // Fails for root too: procfs refuses to unlink its entries (EPERM), whatever the caller's capabilities.
    let path = Path::new("/proc/version");
    if !path.exists() {
        return; // no procfs: nothing to try this on
    }
    assert_same_error(fs::remove_file(path), std::fs::remove_file(path));
    assert_eq!(fs::remove_file(path).unwrap_err().kind(), ErrorKind::PermissionDenied);
}

#[coro::test]
fn copy_rename_remove_and_metadata() {
    let dir = scratch("copy-rename");
    let (a, b, c) = (dir.join("a"), dir.join("b"), dir.join("c"));
    fs::write(&a, pattern(10_000)).unwrap();
    assert_eq!(fs::copy(&a, &b).unwrap(), 10_000);
    assert_eq!(fs::read(&b).unwrap(), pattern(10_000));
    fs::rename(&b, &c).unwrap();
    assert!(!b.exists() && c.exists());
    let metadata = fs::metadata(&c).unwrap();
    assert!(metadata.is_file());
    assert_eq!(metadata.len(), 10_000);
    fs::remove_file(&c).unwrap();

    assert_same_error(fs::copy(&b, &c), std::fs::copy(&b, &c));
    assert_same_error(fs::rename(&b, &c), std::fs::rename(&b, &c));
    assert_same_error(fs::remove_file(&b), std::fs::remove_file(&b));
    assert_same_error(fs::remove_file(&dir), std::fs::remove_file(&dir)); // a directory
    assert_same_error(fs::metadata(&b), std::fs::metadata(&b));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[coro::test]
fn links_permissions_and_canonicalize() {
    use std::os::unix::fs::PermissionsExt;
    let dir = scratch("symlinks");
    let target = dir.join("target");
    let link = dir.join("link");
    fs::write(&target, "1234").unwrap();
    fs::symlink(&target, &link).unwrap();
    assert_same_error(fs::symlink(&target, &link), std::os::unix::fs::symlink(&target, &link));
    assert_eq!(fs::read_link(&link).unwrap(), target);
    assert_same_error(fs::read_link(&target), std::fs::read_link(&target)); // not a link
    assert!(fs::metadata(&link).unwrap().is_file());
    assert_eq!(fs::metadata(&link).unwrap().len(), 4);
    assert!(fs::symlink_metadata(&link).unwrap().file_type().is_symlink());
    assert_eq!(fs::canonicalize(&link).unwrap(), std::fs::canonicalize(&target).unwrap());

    let hard = dir.join("hard");
    fs::hard_link(&target, &hard).unwrap();
    assert_eq!(fs::read_to_string(&hard).unwrap(), "1234");
    assert_same_error(fs::hard_link(&target, &hard), std::fs::hard_link(&target, &hard));
    fs::set_permissions(&target, std::fs::Permissions::from_mode(0o600)).unwrap();
    assert_eq!(fs::metadata(&hard).unwrap().permissions().mode() & 0o777, 0o600);
    let missing = dir.join("missing");
    let mode = std::fs::Permissions::from_mode(0o600);
    assert_same_error(fs::set_permissions(&missing, mode.clone()), std::fs::set_permissions(&missing, mode));

    let dangling = dir.join("dangling");
    fs::symlink(dir.join("nowhere"), &dangling).unwrap();
    assert!(fs::exists(&target).unwrap());
    assert!(!fs::exists(&dangling).unwrap()); // followed: its target does not exist
    assert!(!fs::exists(&missing).unwrap());
    assert!(fs::symlink_metadata(&dangling).is_ok());
    assert_same_error(fs::metadata(&dangling), std::fs::metadata(&dangling));
    assert_same_error(fs::canonicalize(&dangling), std::fs::canonicalize(&dangling));
    assert_same_error(fs::symlink_metadata(&missing), std::fs::symlink_metadata(&missing));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[coro::test]
fn directories() {
    let dir = scratch("directories");
    let nested = dir.join("a/b/c");
    assert_same_error(fs::create_dir(&nested), std::fs::create_dir(&nested)); // missing parents
    fs::create_dir_all(&nested).unwrap();
    fs::create_dir_all(&nested).unwrap(); // already there: fine
    assert!(nested.is_dir());
    assert_same_error(fs::create_dir(&nested), std::fs::create_dir(&nested));
    assert_eq!(fs::create_dir(&nested).unwrap_err().kind(), ErrorKind::AlreadyExists);
    fs::create_dir(dir.join("d")).unwrap();
    fs::remove_dir(dir.join("d")).unwrap();

    let a = dir.join("a");
    assert_same_error(fs::remove_dir(&a), std::fs::remove_dir(&a));
    assert_eq!(fs::remove_dir(&a).unwrap_err().kind(), ErrorKind::DirectoryNotEmpty);
    fs::write(nested.join("file"), "x").unwrap();
    fs::remove_dir_all(&a).unwrap();
    assert!(!a.exists());
    assert_same_error(fs::remove_dir_all(&a), std::fs::remove_dir_all(&a));
    let file = dir.join("file");
    fs::write(&file, "x").unwrap();
    assert_same_error(fs::remove_dir(&file), std::fs::remove_dir(&file)); // not a directory
    assert_same_error(fs::create_dir_all(file.join("sub")), std::fs::create_dir_all(file.join("sub")));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[coro::test]
fn read_dir_lists_every_entry() {
    const FILES: usize = 100; // several batches
    let dir = scratch("read-dir");
    for i in 0..FILES {
        std::fs::write(dir.join(format!("f{i:03}")), i.to_string()).unwrap();
    }
    std::fs::create_dir(dir.join("sub")).unwrap();
    let mut entries = fs::read_dir(&dir).unwrap();
    let mut names = Vec::new();
    while let Some(entry) = entries.next() {
        let entry = entry.unwrap();
        let name = entry.file_name().into_string().unwrap();
        assert_eq!(entry.path(), dir.join(&name));
        let is_dir = entry.file_type().unwrap().is_dir();
        assert_eq!(is_dir, name == "sub");
        assert_eq!(entry.metadata().unwrap().is_dir(), is_dir);
        names.push(name);
    }
    assert!(entries.next().is_none()); // stays ended
    names.sort();
    let mut expected: Vec<String> = (0..FILES).map(|i| format!("f{i:03}")).collect();
    expected.push("sub".into());
    assert_eq!(names, expected);

    let file = dir.join("f000");
    assert_same_error(fs::read_dir(&file), std::fs::read_dir(&file));
    assert_eq!(fs::read_dir(&file).unwrap_err().kind(), ErrorKind::NotADirectory);
    assert_same_error(fs::read_dir(dir.join("missing")), std::fs::read_dir(dir.join("missing")));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[coro::test(workers = 2)]
fn small_writes_then_large_reads_round_trip() {
    // 5 MiB in 1 KiB writes: more than the write queue holds, so the writer waits for the drain too.
    const LEN: usize = 5 * 1024 * 1024 + 123;
    let dir = scratch("round-trip");
    let path = dir.join("data");
    let data = pattern(LEN);
    let mut file = File::create(&path).unwrap();
    for chunk in data.chunks(1024) {
        file.write_all(chunk).unwrap();
    }
    file.flush().unwrap();
    assert_eq!(file.metadata().unwrap().len(), LEN as u64);
    file.sync_all().unwrap();
    drop(file);
    assert_eq!(std::fs::read(&path).unwrap(), data);

    let mut file = File::open(&path).unwrap();
    let mut read = Vec::new();
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = file.read(&mut buf).unwrap();
        if n == 0 {
            break;
        }
        read.extend_from_slice(&buf[..n]);
    }
    assert!(read == data, "read back differs");
    assert_eq!(file.read(&mut buf).unwrap(), 0); // still at the end
    let mut all = Vec::new();
    File::open(&path).unwrap().read_to_end(&mut all).unwrap();
    assert!(all == data);
    std::fs::remove_dir_all(&dir).unwrap();
}

/// The same sequence of reads, writes and seeks through coro and through std gives the same results.
#[coro::test]
fn interleaved_reads_writes_and_seeks_match_std() {
    let dir = scratch("interleaved");
    let (ours, theirs) = (dir.join("coro"), dir.join("std"));
    let initial = pattern(300_000);
    std::fs::write(&ours, &initial).unwrap();
    std::fs::write(&theirs, &initial).unwrap();
    let mut file = OpenOptions::new().read(true).write(true).open(&ours).unwrap();
    let mut std_file = std::fs::OpenOptions::new().read(true).write(true).open(&theirs).unwrap();

    let mut a = [0u8; 1000];
    let mut b = [0u8; 1000];
    // A read (which reads ahead), then a write: the write lands right after the bytes read.
    assert_eq!(file.read(&mut a).unwrap(), io::Read::read(&mut std_file, &mut b).unwrap());
    assert_eq!(a, b);
    file.write_all(b"written after a read").unwrap();
    io::Write::write_all(&mut std_file, b"written after a read").unwrap();
    assert_eq!(file.stream_position().unwrap(), io::Seek::stream_position(&mut std_file).unwrap());
    // Seeks of every kind, with reads and writes between.
    for (seek, write) in [
        (SeekFrom::Start(5000), &b"at 5000"[..]),
        (SeekFrom::Current(-100), b"back 100"),
        (SeekFrom::End(-10), b"overlaps the end"),
        (SeekFrom::End(1000), b"past the end: a hole"),
    ] {
        assert_eq!(file.seek(seek).unwrap(), io::Seek::seek(&mut std_file, seek).unwrap());
        file.write_all(write).unwrap();
        io::Write::write_all(&mut std_file, write).unwrap();
        let at = file.seek(SeekFrom::Current(-3)).unwrap();
        assert_eq!(at, io::Seek::seek(&mut std_file, SeekFrom::Current(-3)).unwrap());
        let n = file.read(&mut a).unwrap();
        assert_eq!(n, io::Read::read(&mut std_file, &mut b).unwrap());
        assert_eq!(a[..n], b[..n]);
    }
    assert_same_error(
        file.seek(SeekFrom::Current(-1_000_000)),
        io::Seek::seek(&mut std_file, SeekFrom::Current(-1_000_000)),
    );
    file.set_len(1234).unwrap();
    std_file.set_len(1234).unwrap();
    file.sync_data().unwrap();
    assert_eq!(file.metadata().unwrap().len(), 1234);
    drop(file);
    assert!(std::fs::read(&ours).unwrap() == std::fs::read(&theirs).unwrap(), "the files differ");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[coro::test]
fn open_errors_match_std() {
    let dir = scratch("open-errors");
    let missing = dir.join("missing");
    assert_same_error(File::open(&missing), std::fs::File::open(&missing));
    assert_eq!(File::open(&missing).unwrap_err().kind(), ErrorKind::NotFound);
    let in_missing_dir = dir.join("no/file");
    assert_same_error(File::create(&in_missing_dir), std::fs::File::create(&in_missing_dir));
    let existing = dir.join("existing");
    std::fs::write(&existing, "x").unwrap();
    assert_same_error(File::create_new(&existing), std::fs::File::create_new(&existing));
    assert_eq!(File::create_new(&existing).unwrap_err().kind(), ErrorKind::AlreadyExists);
    let through_a_file = existing.join("child");
    assert_same_error(File::open(&through_a_file), std::fs::File::open(&through_a_file));
    // An invalid combination: `create` without `write`.
    assert_same_error(
        OpenOptions::new().read(true).create(true).open(&missing),
        std::fs::OpenOptions::new().read(true).create(true).open(&missing),
    );
    // Writing to a file opened read-only: the queued write's error comes back from `flush`.
    let mut read_only = File::open(&existing).unwrap();
    read_only.write_all(b"nope").unwrap();
    let std_error = io::Write::write_all(&mut std::fs::File::open(&existing).unwrap(), b"nope");
    assert_same_error(read_only.flush(), std_error);
    assert_same_error(read_only.set_len(0), std::fs::File::open(&existing).unwrap().set_len(0));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[coro::test]
fn a_failed_background_write_is_reported_once_by_the_next_operation() {
    let full = Path::new("/dev/full"); // every write fails with ENOSPC
    if !full.exists() {
        return;
    }
    let mut file = OpenOptions::new().write(true).open(full).unwrap();
    file.write_all(&[7; 1024]).unwrap(); // queued
    let err = file.flush().unwrap_err();
    assert_eq!(err.kind(), std_kind(std::fs::write(full, [7; 1024])));
    assert_eq!(err.kind(), ErrorKind::StorageFull);
    file.flush().unwrap(); // reported once
    file.write_all(b"again").unwrap();
    assert_eq!(file.sync_all().unwrap_err().kind(), ErrorKind::StorageFull);
}

#[test]
fn dropping_a_file_with_queued_writes_loses_nothing() {
    const LEN: usize = 6 * 1024 * 1024;
    let dir = scratch("drop");
    let path = dir.join("data");
    let data = pattern(LEN);
    let runtime = coro::Runtime::builder().workers(1).build().unwrap();
    let written = data.clone();
    let target = path.clone();
    runtime.block_on(coro::nowait!(write_and_drop(target, written)));
    // The drain finishes in the background; the runtime's shutdown waits for it.
    drop(runtime);
    assert!(std::fs::read(&path).unwrap() == data, "queued data was lost");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[coro::coroutine]
fn write_and_drop(path: PathBuf, data: Vec<u8>) {
    let mut file = File::create(&path).unwrap();
    for chunk in data.chunks(4096) {
        file.write_all(chunk).unwrap();
    }
    // Dropped without flush.
}

#[coro::test(workers = 2)]
fn buf_reader_lines_and_spawned_file_tasks() {
    let dir = scratch("lines");
    let path = dir.join("lines.txt");
    let writer = {
        let path = path.clone();
        coro::spawn!(move || -> io::Result<()> {
            let mut file = File::create(&path)?;
            for n in 0..1000 {
                writeln!(file, "line {n}")?;
            }
            file.flush()
        })
    };
    writer.join().unwrap().unwrap();
    let mut lines = BufReader::new(File::open(&path).unwrap()).lines();
    let mut count = 0;
    while let Some(line) = lines.next_line().unwrap() {
        assert_eq!(line, format!("line {count}"));
        count += 1;
    }
    assert_eq!(count, 1000);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[coro::test]
fn a_dropped_read_or_write_loses_nothing() {
    let dir = scratch("cancel");
    let path = dir.join("data");
    let data = pattern(1_000_000);
    std::fs::write(&path, &data).unwrap();
    let mut file = OpenOptions::new().read(true).write(true).open(&path).unwrap();
    let mut read = Vec::new();
    let mut buf = vec![0u8; 10_000];
    // Each read is raced against `default`: one that is still waiting for the pool is dropped, and the
    // next read must still return the bytes in order.
    while read.len() < 500_000 {
        coro::select! {
            n = file.read(&mut buf) => read.extend_from_slice(&buf[..n.unwrap()]),
            default => coro::yield_now(),
        }
    }
    let mut rest = Vec::new();
    file.read_to_end(&mut rest).unwrap();
    read.extend_from_slice(&rest);
    assert!(read == data, "bytes lost or reordered");
    // A dropped `sync_all` leaves the file usable, and the writes before it in place.
    file.write_all(b"appended").unwrap();
    coro::select! {
        _ = file.sync_all() => {},
        default => {}
    }
    assert_eq!(file.metadata().unwrap().len(), 1_000_008);
    std::fs::remove_dir_all(&dir).unwrap();
}
