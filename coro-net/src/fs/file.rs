//! [`File`]: an open file whose operations run on the blocking pool, one at a time, with a write queue and
//! read-ahead so that small reads and writes do not each pay a thread hop.
//!
//! # Design
//!
//! A `File` owns an `Arc<Shared>`: the std file and the write [`Queue`], which the pool's drain task shares.
//!
//! **Writes.** `write` appends to `queue.pending` (up to [`MAX_WRITE`] bytes) and returns at once. If no
//! drain task is running it starts one ([`Drain`]): on a pool thread it takes everything pending, writes it
//! with one `write_all`, and repeats until nothing is pending. While it writes, the coroutine keeps
//! appending, so the batches grow to whatever accumulated during one system call: 1 KiB writes in a loop
//! become writes of up to [`MAX_WRITE`]. A full queue makes `write` wait until the drain takes the batch
//! (the only time a write suspends). The first error of a background write is kept in `queue.error` and
//! returned by the next operation; what was queued after it is dropped. The drain task runs its loop in
//! `Drop`, so a drain that the pool cancels at shutdown before it started still writes everything, on the
//! thread that cancels it.
//!
//! **Reads** are double-buffered. `buf[pos..end]` is data read and not yet handed out; a read that finds it
//! empty and nothing in flight starts a pool read of at least [`MIN_READ`] bytes (the caller's size, up to
//! [`MAX_READ`]) and waits for it. When a pool read filled all it was asked for, the file is being read
//! through: the next pool read starts at once, into the second buffer (`spare`), while the caller consumes
//! the first, and its size doubles each time (up to [`MAX_READ`]), so a sequential reader pays a thread hop
//! per megabyte and rarely waits for one. A short read (a small file, the end) reads no further ahead. The
//! buffers are zeroed once, when they grow, and reused.
//!
//! **One operation in flight.** A pool read, or a `seek`/`set_len`/`sync_all`/`metadata`, is the file's
//! `inflight` join. Every operation first waits for it (a read-ahead, or an operation whose caller dropped
//! it: its result is then discarded), and every one except a buffered read also waits for the queue to
//! drain, so nothing runs concurrently on the file and every operation sees the writes before it. The
//! kernel's position is ahead of the caller's by the bytes read ahead and not handed out (in `buf`, and
//! those of a read-ahead in flight): every operation but a read first discards them and records
//! `queue.rewind`, which the next pool call (a drain, a read or another operation) applies with a relative
//! seek before anything else.
//!
//! Every state change happens in `&mut self` poll functions, and what a pool task returns is kept in the
//! `File`, never in an operation's future: dropping an operation midway loses nothing.

use super::{Metadata, Op, OpenOptions, join_error};
use coro_core::rt_internal::coop;
use coro_core::{Join, Suspend, spawn_blocking};
use std::any::Any;
use std::fmt;
use std::future::Future;
use std::io::{self, Read as _, Seek as _, SeekFrom, Write as _};
use std::path::Path;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll, Waker, ready};

/// The least a pool read asks for: reads smaller than this are served from the read buffer.
const MIN_READ: usize = 128 * 1024;

/// The most a pool read asks for; with two buffers, a file reads ahead at most 2 MiB (tokio's bound).
const MAX_READ: usize = 1024 * 1024;

/// The most bytes queued for writing, so the largest batch the drain writes: small enough to stay in the L2
/// cache between the caller's copy and the kernel's (2 MiB batches were slower: BENCHMARKS.md).
const MAX_WRITE: usize = 256 * 1024;

/// An open file: std's [`std::fs::File`], whose operations suspend while the blocking pool does the work.
///
/// ```
/// use coro_net::fs::File;
/// use coro_net::io::{self, Read, Write};
/// use std::io::SeekFrom;
///
/// #[coro_macros::coroutine(crate = ::coro_core)]
/// fn round_trip(path: std::path::PathBuf) -> io::Result<String> {
///     let mut file = File::options().read(true).write(true).create(true).truncate(true).open(&path)?;
///     for word in ["alpha ", "beta ", "gamma"] {
///         file.write_all(word.as_bytes())?; // queued; returns without waiting for the pool
///     }
///     file.seek(SeekFrom::Start(6))?; // waits for the queued writes, then seeks
///     let mut rest = String::new();
///     file.read_to_string(&mut rest)?;
///     Ok(rest)
/// }
///
/// let path = std::env::temp_dir().join(format!("coro-file-doc-{}", std::process::id()));
/// let rt = coro_net::Runtime::new().unwrap();
/// assert_eq!(rt.block_on(round_trip(path.clone())).unwrap(), "beta gamma");
/// std::fs::remove_file(&path).unwrap();
/// ```
///
/// [`Read`](crate::io::Read) and [`Write`](crate::io::Write) are implemented for it (import them, as std's
/// traits); [`crate::io::BufReader`] over it gives `read_line` and `lines`. Writes are queued and reads
/// read ahead (the [module documentation](super) has the rules): call [`flush`](crate::io::Write::flush) or
/// [`sync_all`](File::sync_all) to learn whether the queued writes succeeded.
pub struct File {
    shared: Arc<Shared>,
    /// The read buffer: `buf[pos..end]` is read and not handed out; `buf` is zeroed up to its length.
    buf: Vec<u8>,
    pos: usize,
    end: usize,
    /// The other read buffer, which the next pool read fills.
    spare: Vec<u8>,
    /// The pool operation in flight, if any.
    inflight: Option<Join<Done>>,
}

/// What the drain task and the `File` share.
struct Shared {
    std: std::fs::File,
    queue: Mutex<Queue>,
}

/// The write queue, and the state every pool call consults first.
#[derive(Default)]
struct Queue {
    /// Bytes accepted by `write` and not yet taken by the drain.
    pending: Vec<u8>,
    /// The drain's last batch buffer, kept for the next batch.
    spare: Vec<u8>,
    /// A drain task is queued or running (always so while `pending` is not empty).
    draining: bool,
    /// The first error of a background write, for the next operation.
    error: Option<io::Error>,
    /// Where the next pool call moves the kernel's position first: minus the bytes read ahead and dropped.
    rewind: i64,
    /// The file's task, waiting for room in the queue or for the drain to end.
    waker: Option<Waker>,
}

/// What a pool operation returns.
enum Done {
    /// A read: the buffer it read into, and how many bytes it read of how many it asked for.
    Read(Vec<u8>, io::Result<(usize, usize)>),
    /// Any other operation: its `io::Result<T>`.
    Other(Box<dyn Any + Send>),
}

fn lock(queue: &Mutex<Queue>) -> MutexGuard<'_, Queue> {
    queue.lock().unwrap_or_else(|e| e.into_inner())
}

impl Shared {
    /// Moves the kernel's position by the recorded rewind. Runs on the pool, first in every call.
    fn rewind(&self) -> io::Result<()> {
        let offset = std::mem::take(&mut lock(&self.queue).rewind);
        if offset != 0 {
            (&self.std).seek(SeekFrom::Current(offset))?;
        }
        Ok(())
    }

    /// Writes everything queued, batch by batch, until the queue is empty. Runs on the pool.
    fn drain(&self) {
        let mut queue = lock(&self.queue);
        while !queue.pending.is_empty() {
            let spare = std::mem::take(&mut queue.spare);
            let mut batch = std::mem::replace(&mut queue.pending, spare);
            let waker = queue.waker.take();
            drop(queue);
            // The queue has room again.
            if let Some(waker) = waker {
                waker.wake();
            }
            let result = self.rewind().and_then(|()| (&self.std).write_all(&batch));
            batch.clear();
            queue = lock(&self.queue);
            queue.spare = batch;
            if let Err(err) = result {
                queue.error.get_or_insert(err);
                queue.pending.clear();
            }
        }
        queue.draining = false;
        let waker = queue.waker.take();
        drop(queue);
        if let Some(waker) = waker {
            waker.wake();
        }
    }
}

/// The drain task: its work is done in `drop`, so a drain cancelled before it ran (the pool shutting down)
/// still writes what was queued.
struct Drain(Arc<Shared>);

impl Drop for Drain {
    fn drop(&mut self) {
        self.0.drain();
    }
}

impl File {
    /// Opens a file for reading (std's [`std::fs::File::open`]); a missing file is
    /// [`io::ErrorKind::NotFound`].
    #[coro_macros::coroutine(crate = ::coro_core)]
    pub fn open(path: impl AsRef<Path>) -> io::Result<File> {
        OpenOptions::new().read(true).open(path)
    }

    /// Opens a file for writing, creating it or truncating it (std's [`std::fs::File::create`]).
    #[coro_macros::coroutine(crate = ::coro_core)]
    pub fn create(path: impl AsRef<Path>) -> io::Result<File> {
        OpenOptions::new().write(true).create(true).truncate(true).open(path)
    }

    /// Creates a new file for reading and writing; an existing path is [`io::ErrorKind::AlreadyExists`]
    /// (std's [`std::fs::File::create_new`]).
    #[coro_macros::coroutine(crate = ::coro_core)]
    pub fn create_new(path: impl AsRef<Path>) -> io::Result<File> {
        OpenOptions::new().read(true).write(true).create_new(true).open(path)
    }

    /// The builder for the other ways to open a file: `File::options().append(true).open(path)`.
    pub fn options() -> OpenOptions {
        OpenOptions::new()
    }

    /// Wraps an open std file. Its position is where the std file left it.
    pub fn from_std(std: std::fs::File) -> File {
        File {
            shared: Arc::new(Shared { std, queue: Mutex::default() }),
            buf: Vec::new(),
            pos: 0,
            end: 0,
            spare: Vec::new(),
            inflight: None,
        }
    }

    /// Flushes the queued writes to the file and the file's data and metadata to the device (`fsync`).
    /// Returns the error of a queued write if one failed.
    pub fn sync_all(&mut self) -> impl Suspend<Output = io::Result<()>> + '_ {
        self.blocking(|file| file.sync_all())
    }

    /// Like [`sync_all`](File::sync_all), but without the metadata a later read does not need
    /// (`fdatasync`).
    pub fn sync_data(&mut self) -> impl Suspend<Output = io::Result<()>> + '_ {
        self.blocking(|file| file.sync_data())
    }

    /// Truncates or extends the file to `size` bytes (std's [`std::fs::File::set_len`]); the position does
    /// not move. A file not opened for writing is an error (`InvalidInput` on Linux, as std).
    pub fn set_len(&mut self, size: u64) -> impl Suspend<Output = io::Result<()>> + '_ {
        self.blocking(move |file| file.set_len(size))
    }

    /// The file's metadata, once the queued writes are written (so the length includes them).
    pub fn metadata(&mut self) -> impl Suspend<Output = io::Result<Metadata>> + '_ {
        self.blocking(|file| file.metadata())
    }

    /// Changes the file's permissions (std's [`std::fs::File::set_permissions`]).
    pub fn set_permissions(
        &mut self,
        perm: super::Permissions,
    ) -> impl Suspend<Output = io::Result<()>> + '_ {
        self.blocking(move |file| file.set_permissions(perm))
    }

    /// Moves the position (std's `Seek::seek`) and returns the new one from the start. Seeking before the
    /// start is [`io::ErrorKind::InvalidInput`]. The bytes read ahead are dropped; queued writes are written
    /// first.
    pub fn seek(&mut self, pos: SeekFrom) -> impl Suspend<Output = io::Result<u64>> + '_ {
        self.blocking(move |mut file| file.seek(pos))
    }

    /// The current position (std's `Seek::stream_position`).
    pub fn stream_position(&mut self) -> impl Suspend<Output = io::Result<u64>> + '_ {
        self.seek(SeekFrom::Current(0))
    }

    /// Runs `job` on the pool, as the file's operation, once the file is idle, its read-ahead dropped and its
    /// writes drained.
    fn blocking<T, J>(&mut self, job: J) -> Op<impl FnMut(&mut Context<'_>) -> Poll<io::Result<T>>>
    where
        T: Send + 'static,
        J: FnOnce(&std::fs::File) -> io::Result<T> + Send + 'static,
    {
        let mut job = Some(job);
        Op(move |cx: &mut Context<'_>| {
            if job.is_some() {
                ready!(self.poll_settle(cx));
                ready!(self.poll_drained(cx))?;
                let job = job.take().expect("checked above");
                let shared = self.shared.clone();
                self.inflight = Some(
                    spawn_blocking(move || {
                        let result = shared.rewind().and_then(|()| job(&shared.std));
                        Done::Other(Box::new(result))
                    })
                    .join(),
                );
            }
            Poll::Ready(match ready!(self.poll_inflight(cx)) {
                Ok(Done::Other(result)) => *result.downcast::<io::Result<T>>().expect("the job's own result"),
                Ok(Done::Read(..)) => unreachable!("only a read starts a read, and it waits for it"),
                Err(err) => Err(err),
            })
        })
    }

    /// Waits for the operation in flight; an error if its task panicked or was cancelled.
    fn poll_inflight(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<Done>> {
        let Some(join) = &mut self.inflight else { unreachable!("polled with no operation in flight") };
        let done = ready!(Pin::new(join).poll(cx));
        self.inflight = None;
        Poll::Ready(done.map_err(join_error))
    }

    /// Waits for the operation left in flight (a read-ahead, or one whose caller dropped it, whose result is
    /// dropped), then drops the bytes read ahead and records the rewind that puts the kernel's position back
    /// where the caller's is.
    fn poll_settle(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        let mut unread = self.end - self.pos;
        if self.inflight.is_some() {
            if let Ok(Done::Read(buf, result)) = ready!(self.poll_inflight(cx)) {
                unread += result.map_or(0, |(n, _)| n);
                self.spare = buf;
            }
        }
        (self.pos, self.end) = (0, 0);
        if unread > 0 {
            lock(&self.shared.queue).rewind -= unread as i64;
        }
        Poll::Ready(())
    }

    /// Waits until the drain task has written everything queued; then returns the error of a background
    /// write, if one failed since the last operation.
    pub(crate) fn poll_drained(&self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let mut queue = lock(&self.shared.queue);
        if queue.draining {
            queue.waker = Some(cx.waker().clone());
            return Poll::Pending;
        }
        Poll::Ready(queue.error.take().map_or(Ok(()), Err))
    }

    /// Starts a pool read of `len` bytes into the spare buffer.
    fn start_read(&mut self, len: usize) {
        let mut buf = std::mem::take(&mut self.spare);
        let shared = self.shared.clone();
        self.inflight = Some(
            spawn_blocking(move || {
                if buf.len() < len {
                    buf.resize(len, 0);
                }
                let result = shared.rewind().and_then(|()| {
                    loop {
                        match (&shared.std).read(&mut buf[..len]) {
                            Err(err) if err.kind() == io::ErrorKind::Interrupted => {}
                            result => break result,
                        }
                    }
                });
                Done::Read(buf, result.map(|n| (n, len)))
            })
            .join(),
        );
    }

    pub(crate) fn poll_read(&mut self, cx: &mut Context<'_>, dst: &mut [u8]) -> Poll<io::Result<usize>> {
        if dst.is_empty() {
            return Poll::Ready(Ok(0));
        }
        let coop = ready!(coop::poll_proceed(cx));
        loop {
            if self.pos < self.end {
                let n = dst.len().min(self.end - self.pos);
                dst[..n].copy_from_slice(&self.buf[self.pos..self.pos + n]);
                self.pos += n;
                coop.made_progress();
                return Poll::Ready(Ok(n));
            }
            if self.inflight.is_none() {
                ready!(self.poll_drained(cx))?;
                self.start_read(dst.len().clamp(MIN_READ, MAX_READ));
            }
            // The buffer is used up: the read in flight has what comes next.
            let Done::Read(buf, result) = ready!(self.poll_inflight(cx))? else {
                continue; // an operation whose caller dropped it
            };
            self.spare = std::mem::replace(&mut self.buf, buf);
            (self.pos, self.end) = (0, 0);
            let (n, asked) = result?;
            self.end = n;
            if n == 0 {
                coop.made_progress();
                return Poll::Ready(Ok(0));
            }
            if n == asked {
                // A full read: the file is being read through; read the next, larger chunk meanwhile.
                self.start_read((asked * 2).min(MAX_READ));
            }
        }
    }

    pub(crate) fn poll_write(&mut self, cx: &mut Context<'_>, src: &[u8]) -> Poll<io::Result<usize>> {
        if src.is_empty() {
            return Poll::Ready(Ok(0));
        }
        let coop = ready!(coop::poll_proceed(cx));
        if self.inflight.is_some() || self.end > 0 {
            ready!(self.poll_settle(cx));
        }
        let mut queue = lock(&self.shared.queue);
        if let Some(err) = queue.error.take() {
            return Poll::Ready(Err(err));
        }
        let room = MAX_WRITE.saturating_sub(queue.pending.len());
        if room == 0 {
            queue.waker = Some(cx.waker().clone());
            return Poll::Pending;
        }
        let n = room.min(src.len());
        queue.pending.extend_from_slice(&src[..n]);
        if !queue.draining {
            queue.draining = true;
            drop(queue);
            let drain = Drain(self.shared.clone());
            drop(spawn_blocking(move || drop(drain)));
        }
        coop.made_progress();
        Poll::Ready(Ok(n))
    }
}

impl crate::io::Read for File {
    fn read<'a>(&'a mut self, buf: &'a mut [u8]) -> impl Suspend<Output = io::Result<usize>> + 'a {
        Op(move |cx: &mut Context<'_>| self.poll_read(cx, buf))
    }
}

impl crate::io::Write for File {
    /// Queues bytes for the drain task and returns how many were taken (all of `buf` up to the queue's
    /// room); suspends only while the queue is full. An error of an earlier background write is returned
    /// instead, once.
    fn write<'a>(&'a mut self, buf: &'a [u8]) -> impl Suspend<Output = io::Result<usize>> + 'a {
        Op(move |cx: &mut Context<'_>| self.poll_write(cx, buf))
    }

    /// Waits until every queued write is written; returns the error of one that failed.
    fn flush(&mut self) -> impl Suspend<Output = io::Result<()>> {
        Op(move |cx: &mut Context<'_>| self.poll_drained(cx))
    }
}

/// For runtime-agnostic crates written against `futures_io`: the same buffered reads as
/// [`Read`](crate::io::Read).
impl futures_lite::io::AsyncRead for File {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>> {
        self.get_mut().poll_read(cx, buf)
    }
}

/// The same queued writes as [`Write`](crate::io::Write): `poll_flush` and `poll_close` wait until every
/// queued write is written (the file closes when the `File` is dropped).
impl futures_lite::io::AsyncWrite for File {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        self.get_mut().poll_write(cx, buf)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.get_mut().poll_drained(cx)
    }

    fn poll_close(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.get_mut().poll_drained(cx)
    }
}

impl fmt::Debug for File {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("File")
            .field("std", &self.shared.std)
            .field("buffered", &(self.end - self.pos))
            .field("busy", &self.inflight.is_some())
            .finish_non_exhaustive()
    }
}
