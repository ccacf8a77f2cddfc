//! Behaviour of `coro::io` over streams that really suspend.
//!
//! [`Trickle`] serves a script of chunks and errors, one per read (a chunk larger than the caller's buffer is
//! split), and returns `Pending` once before each read, waking itself; [`Slow`] is the writer counterpart.
//! Driving them with `block_on` proves that every operation suspends and resumes correctly, and small
//! chunks put chunk boundaries everywhere: inside lines, between `\r` and `\n`, inside UTF-8 characters.

use super::*;
use coro_core::{Suspend, block_on};
use std::collections::VecDeque;
use std::future::Future;
use std::io::{self, ErrorKind};
use std::pin::{Pin, pin};
use std::task::{Context, Poll, Waker};

enum Step {
    Data(Vec<u8>),
    Fail(ErrorKind),
}

/// A reader that plays a script of chunks and errors, suspending once before every read.
struct Trickle {
    steps: VecDeque<Step>,
    /// How many reads returned `Pending` first.
    suspensions: usize,
    /// How many reads completed.
    reads: usize,
}

impl Trickle {
    /// `data` in chunks of `chunk` bytes.
    fn new(data: &[u8], chunk: usize) -> Trickle {
        Trickle::script(data.chunks(chunk).map(|c| Step::Data(c.to_vec())).collect())
    }

    fn script(steps: Vec<Step>) -> Trickle {
        Trickle { steps: steps.into(), suspensions: 0, reads: 0 }
    }
}

struct TrickleRead<'a> {
    reader: &'a mut Trickle,
    buf: &'a mut [u8],
    suspended: bool,
}

impl Future for TrickleRead<'_> {
    type Output = io::Result<usize>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        if !this.suspended {
            this.suspended = true;
            this.reader.suspensions += 1;
            cx.waker().wake_by_ref();
            return Poll::Pending;
        }
        this.reader.reads += 1;
        match this.reader.steps.pop_front() {
            None => Poll::Ready(Ok(0)),
            Some(Step::Fail(kind)) => Poll::Ready(Err(kind.into())),
            Some(Step::Data(mut chunk)) => {
                let n = chunk.len().min(this.buf.len());
                this.buf[..n].copy_from_slice(&chunk[..n]);
                if n < chunk.len() {
                    this.reader.steps.push_front(Step::Data(chunk.split_off(n)));
                }
                Poll::Ready(Ok(n))
            }
        }
    }
}

impl Suspend for TrickleRead<'_> {}

impl Read for Trickle {
    fn read<'a>(&'a mut self, buf: &'a mut [u8]) -> impl Suspend<Output = io::Result<usize>> + 'a {
        TrickleRead { reader: self, buf, suspended: false }
    }
}

/// A writer that takes at most `max` bytes per write (0: every write takes none), suspending once before
/// every write and flush, and failing with `fail` once `written` reaches `fail_at`.
#[derive(Default, Debug)]
struct Slow {
    written: Vec<u8>,
    /// The size of every completed write, in order.
    writes: Vec<usize>,
    flushes: usize,
    max: usize,
    fail_at: Option<(usize, ErrorKind)>,
}

impl Slow {
    fn new(max: usize) -> Slow {
        Slow { max, ..Slow::default() }
    }
}

/// Returns `Pending` once (waking the task), then `Ready(())`.
async fn suspend_once() {
    let mut suspended = false;
    std::future::poll_fn(|cx| {
        if suspended {
            return Poll::Ready(());
        }
        suspended = true;
        cx.waker().wake_by_ref();
        Poll::Pending
    })
    .await
}

/// An `async` block as a `Suspend` operation (the test doubles' own futures are not coroutines).
struct Op<F>(Pin<Box<F>>);

impl<F: Future> Future for Op<F> {
    type Output = F::Output;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        self.0.as_mut().poll(cx)
    }
}

impl<F: Future> Suspend for Op<F> {}

impl Write for Slow {
    fn write<'a>(&'a mut self, buf: &'a [u8]) -> impl Suspend<Output = io::Result<usize>> + 'a {
        Op(Box::pin(async move {
            suspend_once().await;
            if let Some((at, kind)) = self.fail_at {
                if self.written.len() >= at {
                    return Err(kind.into());
                }
            }
            let n = buf.len().min(self.max);
            self.written.extend_from_slice(&buf[..n]);
            self.writes.push(n);
            Ok(n)
        }))
    }

    fn flush(&mut self) -> impl Suspend<Output = io::Result<()>> {
        Op(Box::pin(async move {
            suspend_once().await;
            self.flushes += 1;
            Ok(())
        }))
    }
}

/// Every line-ish input, cut into chunks of every size from 1 to 8 bytes.
fn for_every_chunk_size(data: &[u8], check: impl Fn(Trickle, usize)) {
    for chunk in 1..=8 {
        check(Trickle::new(data, chunk), chunk);
    }
}

#[test]
fn lines_handle_crlf_empty_lines_and_a_last_line_without_newline_across_chunk_boundaries() {
    let input = "one\r\ntwo\n\nthree\r\n\r\nlast é€😀".as_bytes();
    for_every_chunk_size(input, |reader, chunk| {
        let (lines, suspensions) = block_on(async {
            let mut lines = BufReader::with_capacity(4, reader).lines();
            let mut all = Vec::new();
            while let Some(line) = lines.next_line().await.unwrap() {
                all.push(line);
            }
            assert_eq!(lines.next_line().await.unwrap(), None, "end of stream stays the end");
            (all, lines.into_inner().into_inner().suspensions)
        });
        assert_eq!(lines, ["one", "two", "", "three", "", "last é€😀"], "chunks of {chunk}");
        // Every read of the inner reader suspended: one per chunk, plus the end-of-stream reads.
        assert!(suspensions > input.len() / chunk, "chunks of {chunk}: {suspensions} suspensions");
    });
}

#[test]
fn a_lone_carriage_return_is_kept_as_std_does() {
    let lines = block_on(async {
        let mut lines = BufReader::new(Trickle::new(b"a\rb\r", 1)).lines();
        let mut all = Vec::new();
        while let Some(line) = lines.next_line().await.unwrap() {
            all.push(line);
        }
        all
    });
    assert_eq!(lines, ["a\rb\r"]);
}

#[test]
fn empty_input_reads_as_empty_everywhere() {
    block_on(async {
        assert_eq!(BufReader::new(Trickle::new(b"", 1)).lines().next_line().await.unwrap(), None);
        let mut line = String::from("kept");
        assert_eq!(BufReader::new(Trickle::new(b"", 1)).read_line(&mut line).await.unwrap(), 0);
        assert_eq!(line, "kept");
        let mut bytes = Vec::new();
        assert_eq!(Trickle::new(b"", 1).read_to_end(&mut bytes).await.unwrap(), 0);
        assert!(bytes.is_empty());
        let mut text = String::new();
        assert_eq!(Trickle::new(b"", 1).read_to_string(&mut text).await.unwrap(), 0);
        assert_eq!(text, "");
        assert_eq!(BufReader::new(Trickle::new(b"", 1)).fill_buf().await.unwrap(), b"");
    });
}

#[test]
fn an_invalid_utf8_line_is_an_error_that_consumes_the_line_and_appends_nothing() {
    // The bad byte and a multi-byte character cut by every chunk boundary.
    let input = b"good\nb\xffd \xe2\x82\xac\nafter \xe2\x82\xac\n\xe2\x82";
    for_every_chunk_size(input, |reader, chunk| {
        block_on(async {
            let mut reader = BufReader::with_capacity(3, reader);
            let mut line = String::from(">");
            assert_eq!(reader.read_line(&mut line).await.unwrap(), 5);
            assert_eq!(line, ">good\n");
            let err = reader.read_line(&mut line).await.unwrap_err();
            assert_eq!(err.kind(), ErrorKind::InvalidData, "chunks of {chunk}");
            assert_eq!(line, ">good\n", "nothing appended, chunks of {chunk}");
            assert_eq!(reader.read_line(&mut line).await.unwrap(), 10, "the bad line was consumed");
            assert_eq!(line, ">good\nafter €\n");
            // A character cut by the end of the stream is invalid too.
            let err = reader.read_line(&mut line).await.unwrap_err();
            assert_eq!(err.kind(), ErrorKind::InvalidData);
            assert_eq!(line, ">good\nafter €\n");
        });
    });
}

#[test]
fn lines_report_invalid_utf8_and_go_on() {
    let lines = block_on(async {
        let mut lines = BufReader::new(Trickle::new(b"a\n\xc3\x28\nb", 2)).lines();
        let mut all = Vec::new();
        loop {
            match lines.next_line().await {
                Ok(Some(line)) => all.push(line),
                Ok(None) => break,
                Err(e) => all.push(format!("{:?}", e.kind())),
            }
        }
        all
    });
    assert_eq!(lines, ["a", "InvalidData", "b"]);
}

#[test]
fn read_line_keeps_what_it_read_before_an_io_error_and_retries_interrupted() {
    let mut reader = BufReader::new(Trickle::script(vec![
        Step::Data(b"par".to_vec()),
        Step::Fail(ErrorKind::Interrupted),
        Step::Data(b"tial".to_vec()),
        Step::Fail(ErrorKind::ConnectionReset),
        Step::Data(b" rest\n".to_vec()),
    ]));
    block_on(async {
        let mut line = String::new();
        let err = reader.read_line(&mut line).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::ConnectionReset);
        assert_eq!(line, "partial");
        assert_eq!(reader.read_line(&mut line).await.unwrap(), 6);
        assert_eq!(line, "partial rest\n");
    });
}

#[test]
fn read_until_and_split_cross_chunk_boundaries() {
    for_every_chunk_size(b"k1=v1;k2=;;last", |reader, chunk| {
        block_on(async {
            let mut reader = BufReader::with_capacity(2, reader);
            let mut field = Vec::new();
            assert_eq!(reader.read_until(b';', &mut field).await.unwrap(), 6);
            assert_eq!(field, b"k1=v1;");
            let mut segments = reader.split(b';');
            let mut all = Vec::new();
            while let Some(segment) = segments.next_segment().await.unwrap() {
                all.push(String::from_utf8(segment).unwrap());
            }
            assert_eq!(all, ["k2=", "", "last"], "chunks of {chunk}");
        });
    });
}

#[test]
fn read_exact_fills_across_chunks_and_fails_with_unexpected_eof() {
    for_every_chunk_size(b"0123456789", |mut reader, chunk| {
        block_on(async {
            let mut head = [0u8; 7];
            reader.read_exact(&mut head).await.unwrap();
            assert_eq!(&head, b"0123456");
            let mut rest = [0u8; 4];
            let err = reader.read_exact(&mut rest).await.unwrap_err();
            assert_eq!(err.kind(), ErrorKind::UnexpectedEof, "chunks of {chunk}");
        });
    });
    let mut reader = Trickle::script(vec![
        Step::Data(b"ab".to_vec()),
        Step::Fail(ErrorKind::Interrupted),
        Step::Data(b"c".to_vec()),
    ]);
    let mut buf = [0u8; 3];
    block_on(reader.read_exact(&mut buf)).unwrap();
    assert_eq!(&buf, b"abc");
}

#[test]
fn read_to_end_appends_across_chunks_probes_exact_vectors_and_keeps_data_before_an_error() {
    let data: Vec<u8> = (0..=255u8).cycle().take(20_000).collect();
    for chunk in [1, 7, 32, 33, 4096, 20_000] {
        let mut reader = Trickle::new(&data, chunk);
        let mut out = b"prefix".to_vec();
        assert_eq!(block_on(reader.read_to_end(&mut out)).unwrap(), data.len());
        assert_eq!(&out[..6], b"prefix");
        assert_eq!(out[6..], data[..], "chunks of {chunk}");
    }
    // A vector sized exactly is not grown when the stream has nothing more.
    let mut out = Vec::with_capacity(5);
    assert_eq!(block_on(Trickle::new(b"12345", 5).read_to_end(&mut out)).unwrap(), 5);
    assert_eq!((&out[..], out.capacity()), (&b"12345"[..], 5));

    let mut reader = Trickle::script(vec![
        Step::Data(b"kept".to_vec()),
        Step::Fail(ErrorKind::Interrupted),
        Step::Data(b" too".to_vec()),
        Step::Fail(ErrorKind::BrokenPipe),
    ]);
    let mut out = Vec::new();
    assert_eq!(block_on(reader.read_to_end(&mut out)).unwrap_err().kind(), ErrorKind::BrokenPipe);
    assert_eq!(out, b"kept too");
}

#[test]
fn read_to_string_rejects_invalid_utf8_without_appending() {
    for start in ["", "start:"] {
        let mut text = String::from(start);
        let err = block_on(Trickle::new(b"ok \xe2\x82\xac \xff!", 2).read_to_string(&mut text)).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidData);
        assert_eq!(text, start);
        assert_eq!(block_on(Trickle::new("ok € !".as_bytes(), 2).read_to_string(&mut text)).unwrap(), 8);
        assert_eq!(text, format!("{start}ok € !"));
    }
}

#[test]
fn buf_reader_reads_big_buffers_straight_from_the_inner_reader() {
    block_on(async {
        let mut reader = BufReader::with_capacity(4, Trickle::new(b"abcdefghij", 100));
        let mut small = [0u8; 2];
        assert_eq!(reader.read(&mut small).await.unwrap(), 2); // fills the buffer with "abcd"
        assert_eq!(reader.buffer(), b"cd");
        let mut big = [0u8; 8];
        assert_eq!(reader.read(&mut big).await.unwrap(), 2, "first what is buffered");
        assert_eq!(reader.read(&mut big).await.unwrap(), 6, "then straight from the inner reader");
        assert_eq!(&big[..6], b"efghij");
        assert_eq!(reader.get_ref().reads, 2);
        let mut rest = Vec::new();
        assert_eq!(reader.read_to_end(&mut rest).await.unwrap(), 0);
    });
}

#[test]
fn buf_writer_buffers_small_writes_and_keeps_order_around_big_ones() {
    let mut writer = BufWriter::with_capacity(8, Slow::new(100));
    block_on(async {
        writer.write_all(b"abc").await.unwrap();
        writer.write_all(b"de").await.unwrap();
        assert_eq!(writer.get_ref().writes, [0usize; 0], "nothing written yet");
        assert_eq!(writer.buffer(), b"abcde");
        writer.write_all(b"fghi").await.unwrap(); // does not fit: the buffer goes first
        assert_eq!(writer.get_ref().written, b"abcde");
        assert_eq!(writer.write(b"0123456789").await.unwrap(), 10); // write-through, after "fghi"
        assert_eq!(writer.get_ref().written, b"abcdefghi0123456789");
        writer.write_all(b"xy").await.unwrap();
        assert_eq!(writer.get_ref().flushes, 0);
        writer.flush().await.unwrap();
        assert_eq!(writer.get_ref().flushes, 1);
        assert_eq!(writer.get_ref().written, b"abcdefghi0123456789xy");
        writer.write_all(b"tail").await.unwrap();
    });
    let inner = block_on(writer.into_inner()).unwrap();
    assert_eq!(inner.written, b"abcdefghi0123456789xytail");
    assert_eq!(inner.writes, [5, 4, 10, 2, 4]);
}

#[test]
fn a_failed_flush_keeps_exactly_the_unwritten_bytes() {
    let slow = Slow { max: 3, fail_at: Some((6, ErrorKind::BrokenPipe)), ..Slow::default() };
    let mut writer = BufWriter::with_capacity(16, slow);
    block_on(writer.write_all(b"0123456789")).unwrap();
    let err = block_on(writer.into_inner()).unwrap_err();
    assert_eq!(err.error().kind(), ErrorKind::BrokenPipe);
    let mut writer = err.into_inner();
    assert_eq!(writer.buffer(), b"6789");
    writer.get_mut().fail_at = None;
    let inner = block_on(writer.into_inner()).unwrap();
    assert_eq!(inner.written, b"0123456789", "nothing written twice, nothing lost");

    // `?` turns the error into an `io::Error`, as std's does.
    let mut writer =
        BufWriter::new(Slow { max: 1, fail_at: Some((0, ErrorKind::BrokenPipe)), ..Slow::default() });
    block_on(writer.write_all(b"x")).unwrap();
    let io_error: io::Error = block_on(writer.into_inner()).unwrap_err().into();
    assert_eq!(io_error.kind(), ErrorKind::BrokenPipe);
}

#[test]
fn write_all_fails_with_write_zero_and_retries_interrupted() {
    let mut zero = Slow::new(0);
    let err = block_on(zero.write_all(b"x")).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::WriteZero);
    let mut zero = BufWriter::with_capacity(2, Slow::new(0));
    block_on(zero.write_all(b"x")).unwrap();
    assert_eq!(block_on(zero.flush()).unwrap_err().kind(), ErrorKind::WriteZero);
    assert_eq!(zero.buffer(), b"x");

    let mut slow = Slow::new(2);
    block_on(slow.write_all(b"hello")).unwrap();
    assert_eq!((&slow.written[..], &slow.writes[..]), (&b"hello"[..], &[2, 2, 1][..]));
    assert_eq!(block_on(slow.write_all(b"")).map_err(|e| e.kind()), Ok(()));
}

#[test]
fn copy_and_copy_buf_move_every_byte() {
    let data: Vec<u8> = (0..50_000u32).map(|i| (i % 251) as u8).collect();
    for chunk in [1, 100, 10_000] {
        let mut reader = Trickle::new(&data, chunk);
        let mut writer = Slow::new(777);
        assert_eq!(block_on(copy(&mut reader, &mut writer)).unwrap(), data.len() as u64);
        assert_eq!(writer.written, data, "copy, chunks of {chunk}");

        let mut reader = BufReader::with_capacity(300, Trickle::new(&data, chunk));
        let mut writer = Slow::new(777);
        assert_eq!(block_on(copy_buf(&mut reader, &mut writer)).unwrap(), data.len() as u64);
        assert_eq!(writer.written, data, "copy_buf, chunks of {chunk}");
    }
}

/// Polls `op` once with a waker that does nothing, then drops it: a cancelled operation.
fn cancel_after_one_poll<F: Future>(op: F) {
    let mut op = pin!(op);
    assert!(op.as_mut().poll(&mut Context::from_waker(Waker::noop())).is_pending());
}

#[test]
fn cancelled_operations_leave_valid_buffers() {
    // read_line: what was appended before the cancellation stays, and it is valid UTF-8.
    let mut reader = BufReader::with_capacity(2, Trickle::new("ab€\n".as_bytes(), 3));
    let mut line = String::new();
    block_on(async {
        let mut partial = [0u8; 3];
        reader.read_exact(&mut partial[..1]).await.unwrap();
    });
    cancel_after_one_poll(reader.read_line(&mut line));
    assert_eq!(line, "b", "appended before the cancellation");
    block_on(reader.read_line(&mut line)).unwrap();
    assert_eq!(line, "b€\n");

    // read_to_end: no zeroed room is left in the vector.
    let mut reader = Trickle::new(b"abc", 1);
    let mut out = b"x".to_vec();
    {
        let mut op = pin!(reader.read_to_end(&mut out));
        let mut cx = Context::from_waker(Waker::noop());
        for _ in 0..3 {
            assert!(op.as_mut().poll(&mut cx).is_pending());
        }
    }
    assert_eq!(out, b"xab");

    // A BufWriter's flush: the bytes written before the cancellation are not written again.
    let mut writer = BufWriter::with_capacity(8, Slow::new(2));
    block_on(writer.write_all(b"123456")).unwrap();
    {
        let mut op = pin!(writer.flush());
        let mut cx = Context::from_waker(Waker::noop());
        for _ in 0..3 {
            assert!(op.as_mut().poll(&mut cx).is_pending());
        }
    }
    assert_eq!(writer.buffer(), b"56");
    assert_eq!(writer.get_ref().written, b"1234");
    assert_eq!(block_on(writer.into_inner()).unwrap().written, b"123456");
}

#[test]
fn in_memory_readers_and_writers_never_suspend() {
    let mut cx = Context::from_waker(Waker::noop());
    let mut source = &b"line one\nline two"[..];
    let mut line = String::new();
    assert!(matches!(pin!(source.read_line(&mut line)).poll(&mut cx), Poll::Ready(Ok(9))));
    let mut cursor = io::Cursor::new(Vec::new());
    assert!(matches!(pin!(cursor.write_all(b"data")).poll(&mut cx), Poll::Ready(Ok(()))));
    cursor.set_position(0);
    let mut text = String::new();
    assert!(matches!(pin!(cursor.read_to_string(&mut text)).poll(&mut cx), Poll::Ready(Ok(4))));
    assert_eq!(text, "data");
    let mut vec = Vec::new();
    assert!(matches!(pin!(Write::write(&mut vec, b"v")).poll(&mut cx), Poll::Ready(Ok(1))));
    // Through `&mut R` and a BufReader over an in-memory reader, too.
    let mut lines = BufReader::new(&mut source).lines();
    assert!(matches!(pin!(lines.next_line()).poll(&mut cx), Poll::Ready(Ok(Some(ref l))) if l == "line two"));
}

#[test]
fn operations_are_lazy() {
    let mut source = &b"abc"[..];
    let mut buf = [0u8; 3];
    drop(source.read(&mut buf));
    assert_eq!(source, b"abc", "an operation that is never polled does nothing");
}

/// Over `futures_io` readers and writers the buffered types are `AsyncBufRead` and `AsyncWrite`, with the
/// same buffer rules: lines across refills of a small buffer, a large read bypassing the buffer, writes
/// through a small buffer arriving whole and in order.
#[test]
fn buffered_types_implement_the_futures_io_traits() {
    use futures_lite::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, Cursor};
    let text = b"alpha\nbeta\r\ngamma".repeat(3);
    let mut reader = BufReader::with_capacity(4, Cursor::new(text.clone()));
    let mut lines = Vec::new();
    let mut line = String::new();
    while block_on(AsyncBufReadExt::read_line(&mut reader, &mut line)).unwrap() > 0 {
        lines.push(std::mem::take(&mut line));
    }
    assert_eq!(lines.concat().as_bytes(), text);
    assert_eq!(lines.len(), 7);

    let mut reader = BufReader::with_capacity(4, Cursor::new(text.clone()));
    let mut big = vec![0; 64];
    assert_eq!(block_on(AsyncReadExt::read(&mut reader, &mut big)).unwrap(), text.len(), "bypassed");
    assert_eq!(&big[..text.len()], text);

    let mut writer = BufWriter::with_capacity(8, Cursor::new(Vec::new()));
    for chunk in text.chunks(3).chain([&text[..]]) {
        block_on(AsyncWriteExt::write_all(&mut writer, chunk)).unwrap();
    }
    block_on(AsyncWriteExt::flush(&mut writer)).unwrap();
    assert!(writer.buffer().is_empty());
    assert_eq!(writer.get_ref().get_ref(), &text.repeat(2));
}
