//! `coro::fs`: `std::fs` for coroutines. Same names, same semantics, same `io::ErrorKind`s; what would block
//! the thread suspends the coroutine while a thread of the runtime's blocking pool does the work.
//!
//! ```
//! use coro_net::fs;
//! use coro_net::io::{self, BufRead, BufReader, Write};
//!
//! #[coro_macros::coroutine(crate = ::coro_core)]
//! fn count_lines(dir: std::path::PathBuf) -> io::Result<usize> {
//!     let path = dir.join("notes.txt");
//!     let mut file = fs::File::create(&path)?;
//!     for n in 1..=3 {
//!         writeln!(file, "note {n}")?; // queued: the coroutine goes on while the pool writes
//!     }
//!     file.sync_all()?; // every queued write is on disk, or its error is returned
//!     let mut lines = BufReader::new(fs::File::open(&path)?).lines();
//!     let mut count = 0;
//!     while let Some(line) = lines.next_line()? {
//!         assert!(line.starts_with("note"));
//!         count += 1;
//!     }
//!     fs::remove_file(&path)?;
//!     Ok(count)
//! }
//!
//! let dir = std::env::temp_dir().join(format!("coro-fs-doc-{}", std::process::id()));
//! std::fs::create_dir_all(&dir).unwrap();
//! let rt = coro_net::Runtime::new().unwrap();
//! assert_eq!(rt.block_on(count_lines(dir.clone())).unwrap(), 3);
//! std::fs::remove_dir(&dir).unwrap();
//! ```
//!
//! (User code writes `#[coro::coroutine]` and `coro::fs`; the doctests of this crate cannot name the facade.)
//!
//! # Design
//!
//! Regular files are always "ready" to epoll, so they cannot go through the reactor: as in tokio, each
//! operation runs the `std::fs` call on the runtime's blocking pool ([`coro_core::spawn_blocking`]) and the
//! coroutine waits for it. The free functions are one pool call each. A [`File`] would pay a thread hop per
//! `read` and `write` that way, so it keeps at most one operation in flight and its own buffers instead
//! (its module header has the details):
//!
//! - **writes are queued**: `write` copies the bytes into the file's queue and returns; one pool task drains
//!   the queue while it is not empty, writing everything queued since its last write in one `write_all`. A
//!   loop of 1 KiB writes thus costs a copy each, and system calls of up to 256 KiB. The queue holds at most
//!   256 KiB; a writer that fills it waits for the drain.
//! - **reads read ahead**: a read that finds nothing buffered reads a chunk of at least 128 KiB on the pool;
//!   while a file is read through, the next chunk (growing to 1 MiB) is read in the background as the
//!   caller consumes the current one, so sequential reads rarely wait.
//! - `flush`, `sync_all`, `sync_data`, `seek`, `set_len`, `metadata` and reads wait for the queued writes
//!   first, so every operation sees the effect of the writes before it, as with std.
//!
//! # How it differs from std
//!
//! - A background write's error is returned by the next operation on the file (a `write`, `flush`,
//!   `sync_all`, a read, ...), once, as with tokio's `File`; the bytes queued after the failed write are
//!   dropped with it. Call `flush()` (or `sync_all()`) to learn that everything was written.
//! - **Dropping a [`File`] loses no queued data**: the drain task owns what it writes and finishes in the
//!   background (like tokio's), also when the runtime shuts down (a drain not yet started then runs on the
//!   thread shutting the pool down). Only its error, if any, is lost: `flush()` before dropping reports it.
//! - A read-ahead moves the kernel's file position past what the caller has read; every operation that
//!   depends on the position (`write`, `seek`, `set_len`, ...) first moves it back, so this is invisible
//!   except to another handle sharing the open file description (a `try_clone`d std file).
//! - [`ReadDir`] is not an `Iterator` (an iterator cannot suspend): `for entry in fs::read_dir(dir)? {
//!   let entry = entry?; .. }` becomes `let mut entries = fs::read_dir(dir)?; while let Some(entry) =
//!   entries.next() { let entry = entry?; .. }`, the shape of `coro::net::Incoming`. Entries are fetched 32 per pool call.
//! - Every operation needs a coro runtime (`#[coro::main]`, `coro::run`, ...) for its blocking pool.

mod file;
mod op;
mod open_options;
mod read_dir;

pub use file::File;
pub(crate) use op::Op;
pub use open_options::OpenOptions;
pub use read_dir::{DirEntry, ReadDir};
#[doc(no_inline)]
pub use std::fs::{FileType, Metadata, Permissions};

use coro_core::spawn_blocking;
use std::io;
use std::path::{Path, PathBuf};

/// Runs `f` on the blocking pool and waits for its result.
///
/// A closure that panicked, or that the runtime cancelled at shutdown before it started, is an error
/// ([`io::ErrorKind::Other`]).
#[coro_macros::coroutine(crate = ::coro_core)]
pub(crate) fn asyncify<T, F>(f: F) -> io::Result<T>
where
    F: FnOnce() -> io::Result<T> + Send + 'static,
    T: Send + 'static,
{
    spawn_blocking(f).join().unwrap_or_else(|err| Err(join_error(err)))
}

/// The error of a pool task that did not return: it panicked, or the runtime shut down first.
pub(crate) fn join_error(err: coro_core::JoinError) -> io::Error {
    io::Error::other(format!("background file operation failed: {err}"))
}

/// Reads the whole file into a vector (std's [`std::fs::read`]).
///
/// Fails with [`io::ErrorKind::NotFound`] when the file does not exist, `PermissionDenied`,
/// `IsADirectory`, ... as std does.
#[coro_macros::coroutine(crate = ::coro_core)]
pub fn read(path: impl AsRef<Path>) -> io::Result<Vec<u8>> {
    let path = path.as_ref().to_owned();
    asyncify(move || std::fs::read(path))
}

/// Reads the whole file into a string (std's [`std::fs::read_to_string`]); not UTF-8 is
/// [`io::ErrorKind::InvalidData`].
#[coro_macros::coroutine(crate = ::coro_core)]
pub fn read_to_string(path: impl AsRef<Path>) -> io::Result<String> {
    let path = path.as_ref().to_owned();
    asyncify(move || std::fs::read_to_string(path))
}

/// Creates or truncates the file and writes `contents` to it (std's [`std::fs::write`]). The bytes are
/// copied for the pool thread.
#[coro_macros::coroutine(crate = ::coro_core)]
pub fn write(path: impl AsRef<Path>, contents: impl AsRef<[u8]>) -> io::Result<()> {
    let (path, contents) = (path.as_ref().to_owned(), contents.as_ref().to_owned());
    asyncify(move || std::fs::write(path, contents))
}

/// Copies the contents and permissions of one file to another, returning the bytes copied (std's
/// [`std::fs::copy`]: `copy_file_range`/`sendfile` where the kernel has them).
#[coro_macros::coroutine(crate = ::coro_core)]
pub fn copy(from: impl AsRef<Path>, to: impl AsRef<Path>) -> io::Result<u64> {
    let (from, to) = (from.as_ref().to_owned(), to.as_ref().to_owned());
    asyncify(move || std::fs::copy(from, to))
}

/// Renames a file or directory, replacing `to` if it is a file (std's [`std::fs::rename`]).
#[coro_macros::coroutine(crate = ::coro_core)]
pub fn rename(from: impl AsRef<Path>, to: impl AsRef<Path>) -> io::Result<()> {
    let (from, to) = (from.as_ref().to_owned(), to.as_ref().to_owned());
    asyncify(move || std::fs::rename(from, to))
}

/// Removes a file (std's [`std::fs::remove_file`]); a directory is an error.
#[coro_macros::coroutine(crate = ::coro_core)]
pub fn remove_file(path: impl AsRef<Path>) -> io::Result<()> {
    let path = path.as_ref().to_owned();
    asyncify(move || std::fs::remove_file(path))
}

/// Removes an empty directory (std's [`std::fs::remove_dir`]); a non-empty one is
/// [`io::ErrorKind::DirectoryNotEmpty`].
#[coro_macros::coroutine(crate = ::coro_core)]
pub fn remove_dir(path: impl AsRef<Path>) -> io::Result<()> {
    let path = path.as_ref().to_owned();
    asyncify(move || std::fs::remove_dir(path))
}

/// Removes a directory and everything in it, without following symbolic links (std's
/// [`std::fs::remove_dir_all`]), in one pool call.
#[coro_macros::coroutine(crate = ::coro_core)]
pub fn remove_dir_all(path: impl AsRef<Path>) -> io::Result<()> {
    let path = path.as_ref().to_owned();
    asyncify(move || std::fs::remove_dir_all(path))
}

/// Creates a directory (std's [`std::fs::create_dir`]); an existing path is
/// [`io::ErrorKind::AlreadyExists`], a missing parent `NotFound`.
#[coro_macros::coroutine(crate = ::coro_core)]
pub fn create_dir(path: impl AsRef<Path>) -> io::Result<()> {
    let path = path.as_ref().to_owned();
    asyncify(move || std::fs::create_dir(path))
}

/// Creates a directory and its missing parents (std's [`std::fs::create_dir_all`]).
#[coro_macros::coroutine(crate = ::coro_core)]
pub fn create_dir_all(path: impl AsRef<Path>) -> io::Result<()> {
    let path = path.as_ref().to_owned();
    asyncify(move || std::fs::create_dir_all(path))
}

/// The metadata of a path, following symbolic links (std's [`std::fs::metadata`]).
#[coro_macros::coroutine(crate = ::coro_core)]
pub fn metadata(path: impl AsRef<Path>) -> io::Result<Metadata> {
    let path = path.as_ref().to_owned();
    asyncify(move || std::fs::metadata(path))
}

/// The metadata of a path, not following a symbolic link (std's [`std::fs::symlink_metadata`]).
#[coro_macros::coroutine(crate = ::coro_core)]
pub fn symlink_metadata(path: impl AsRef<Path>) -> io::Result<Metadata> {
    let path = path.as_ref().to_owned();
    asyncify(move || std::fs::symlink_metadata(path))
}

/// The absolute path with every symbolic link resolved (std's [`std::fs::canonicalize`]).
#[coro_macros::coroutine(crate = ::coro_core)]
pub fn canonicalize(path: impl AsRef<Path>) -> io::Result<PathBuf> {
    let path = path.as_ref().to_owned();
    asyncify(move || std::fs::canonicalize(path))
}

/// Whether the path exists, following symbolic links (std's [`std::fs::exists`]): `Ok(false)` for a path
/// that does not exist (or a dangling link), an error when that cannot be told (permission denied on a
/// parent, for instance).
#[coro_macros::coroutine(crate = ::coro_core)]
pub fn exists(path: impl AsRef<Path>) -> io::Result<bool> {
    let path = path.as_ref().to_owned();
    asyncify(move || std::fs::exists(path))
}

/// Creates a hard link `link` to the file `original` (std's [`std::fs::hard_link`]).
#[coro_macros::coroutine(crate = ::coro_core)]
pub fn hard_link(original: impl AsRef<Path>, link: impl AsRef<Path>) -> io::Result<()> {
    let (original, link) = (original.as_ref().to_owned(), link.as_ref().to_owned());
    asyncify(move || std::fs::hard_link(original, link))
}

/// Creates a symbolic link `link` pointing to `original` (`std::os::unix::fs::symlink`; tokio's
/// `fs::symlink`).
#[cfg(unix)]
#[coro_macros::coroutine(crate = ::coro_core)]
pub fn symlink(original: impl AsRef<Path>, link: impl AsRef<Path>) -> io::Result<()> {
    let (original, link) = (original.as_ref().to_owned(), link.as_ref().to_owned());
    asyncify(move || std::os::unix::fs::symlink(original, link))
}

/// What a symbolic link points to (std's [`std::fs::read_link`]); not a link is
/// [`io::ErrorKind::InvalidInput`].
#[coro_macros::coroutine(crate = ::coro_core)]
pub fn read_link(path: impl AsRef<Path>) -> io::Result<PathBuf> {
    let path = path.as_ref().to_owned();
    asyncify(move || std::fs::read_link(path))
}

/// Changes the permissions of a file or directory (std's [`std::fs::set_permissions`]).
#[coro_macros::coroutine(crate = ::coro_core)]
pub fn set_permissions(path: impl AsRef<Path>, perm: Permissions) -> io::Result<()> {
    let path = path.as_ref().to_owned();
    asyncify(move || std::fs::set_permissions(path, perm))
}

/// The entries of a directory (std's [`std::fs::read_dir`]): a [`ReadDir`] whose
/// [`next`](ReadDir::next) suspends. A path that is not a directory is
/// [`io::ErrorKind::NotADirectory`].
#[coro_macros::coroutine(crate = ::coro_core)]
pub fn read_dir(path: impl AsRef<Path>) -> io::Result<ReadDir> {
    let path = path.as_ref().to_owned();
    let entries = asyncify(move || std::fs::read_dir(path))?;
    Ok(ReadDir::new(entries))
}
