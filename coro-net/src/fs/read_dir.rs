//! [`ReadDir`] and [`DirEntry`]: a directory listing fetched in batches on the blocking pool.

use super::{FileType, Metadata, Op, asyncify, join_error};
use coro_core::{Join, Suspend, spawn_blocking};
use std::collections::VecDeque;
use std::ffi::OsString;
use std::fmt;
use std::future::Future;
use std::io;
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, ready};

/// Entries fetched per pool call (tokio's figure).
const BATCH: usize = 32;

/// A batch: the entries, and the std iterator to continue with (`None` once it ended).
type Batch = (VecDeque<io::Result<DirEntry>>, Option<std::fs::ReadDir>);

/// The entries of a directory, from [`read_dir`](super::read_dir): std's [`std::fs::ReadDir`], whose
/// [`next`](ReadDir::next) suspends.
///
/// ```
/// use coro_net::fs;
/// use coro_net::io;
///
/// #[coro_macros::coroutine(crate = ::coro_core)]
/// fn names(dir: std::path::PathBuf) -> io::Result<Vec<String>> {
///     let mut entries = fs::read_dir(&dir)?;
///     let mut names = Vec::new();
///     // std: `for entry in fs::read_dir(&dir)? { let entry = entry?; .. }`
///     while let Some(entry) = entries.next() {
///         let entry = entry?;
///         names.push(entry.file_name().to_string_lossy().into_owned());
///     }
///     names.sort();
///     Ok(names)
/// }
///
/// let dir = std::env::temp_dir().join(format!("coro-read-dir-doc-{}", std::process::id()));
/// std::fs::create_dir_all(dir.join("b")).unwrap();
/// std::fs::write(dir.join("a"), "").unwrap();
/// let rt = coro_net::Runtime::new().unwrap();
/// assert_eq!(rt.block_on(names(dir.clone())).unwrap(), ["a", "b"]);
/// std::fs::remove_dir_all(&dir).unwrap();
/// ```
///
/// As in std, `.` and `..` are skipped and the order is the file system's.
pub struct ReadDir {
    /// Entries fetched and not yet returned.
    entries: VecDeque<io::Result<DirEntry>>,
    /// The std iterator, while no batch is in flight and it has not ended.
    std: Option<std::fs::ReadDir>,
    /// The batch being fetched; kept here so a dropped `next` loses nothing.
    inflight: Option<Join<Batch>>,
}

impl ReadDir {
    pub(super) fn new(std: std::fs::ReadDir) -> ReadDir {
        ReadDir { entries: VecDeque::new(), std: Some(std), inflight: None }
    }

    /// The next entry, or `None` at the end: suspends while the next batch of entries is read.
    ///
    /// The item of std's `Iterator::next`, `Option<io::Result<DirEntry>>`, so `for entry in .. { let entry =
    /// entry?; .. }` becomes `while let Some(entry) = entries.next() { let entry = entry?; .. }` (the shape of
    /// `coro::net::Incoming::next`). An error for one entry does not end the listing.
    #[expect(
        clippy::should_implement_trait,
        reason = "an Iterator cannot suspend: this is its coroutine form"
    )]
    pub fn next(&mut self) -> impl Suspend<Output = Option<io::Result<DirEntry>>> + '_ {
        Op(move |cx: &mut Context<'_>| self.poll_next(cx))
    }

    fn poll_next(&mut self, cx: &mut Context<'_>) -> Poll<Option<io::Result<DirEntry>>> {
        loop {
            if let Some(entry) = self.entries.pop_front() {
                return Poll::Ready(Some(entry));
            }
            if let Some(join) = &mut self.inflight {
                let batch = ready!(Pin::new(join).poll(cx));
                self.inflight = None;
                match batch.map_err(join_error) {
                    Ok(batch) => (self.entries, self.std) = batch,
                    Err(err) => return Poll::Ready(Some(Err(err))),
                }
                continue;
            }
            let Some(mut std) = self.std.take() else {
                return Poll::Ready(None);
            };
            let mut entries = std::mem::take(&mut self.entries);
            self.inflight = Some(
                spawn_blocking(move || {
                    for _ in 0..BATCH {
                        match std.next() {
                            Some(entry) => entries.push_back(entry.map(DirEntry::new)),
                            None => return (entries, None),
                        }
                    }
                    (entries, Some(std))
                })
                .join(),
            );
        }
    }
}

impl fmt::Debug for ReadDir {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ReadDir")
            .field("fetched", &self.entries.len())
            .field("ended", &(self.std.is_none() && self.inflight.is_none()))
            .finish_non_exhaustive()
    }
}

/// An entry of a [`ReadDir`]: std's [`std::fs::DirEntry`]. The name, the path and (usually) the file type
/// come with the listing; [`metadata`](DirEntry::metadata) is a system call, made on the pool.
#[derive(Clone)]
pub struct DirEntry {
    std: Arc<std::fs::DirEntry>,
    /// The type from the listing (`d_type`), when the file system gave it.
    file_type: Option<FileType>,
}

impl DirEntry {
    fn new(std: std::fs::DirEntry) -> DirEntry {
        // Without `d_type` std stats the entry: that happens here, on the pool thread.
        let file_type = std.file_type().ok();
        DirEntry { std: Arc::new(std), file_type }
    }

    /// The full path: the directory given to `read_dir` joined with the file name.
    pub fn path(&self) -> PathBuf {
        self.std.path()
    }

    /// The file name, without the directory.
    pub fn file_name(&self) -> OsString {
        self.std.file_name()
    }

    /// The entry's inode number (`std::os::unix::fs::DirEntryExt::ino`).
    #[cfg(unix)]
    pub fn ino(&self) -> u64 {
        std::os::unix::fs::DirEntryExt::ino(&*self.std)
    }

    /// The entry's metadata, not following a symbolic link (std's `DirEntry::metadata`); runs on the pool.
    #[coro_macros::coroutine(crate = ::coro_core)]
    pub fn metadata(&self) -> io::Result<Metadata> {
        let std = self.std.clone();
        asyncify(move || std.metadata())
    }

    /// The entry's type, not following a symbolic link: from the listing, or else from a `stat` on the
    /// pool.
    #[coro_macros::coroutine(crate = ::coro_core)]
    pub fn file_type(&self) -> io::Result<FileType> {
        if let Some(file_type) = self.file_type {
            return Ok(file_type);
        }
        let std = self.std.clone();
        asyncify(move || std.file_type())
    }
}

impl fmt::Debug for DirEntry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("DirEntry").field(&self.path()).finish()
    }
}
