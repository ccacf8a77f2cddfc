//! Appending bytes that arrive in chunks to a `String`, validating them as they come.
//!
//! std's `read_line` appends raw bytes to the string's vector and validates them at the end, which needs
//! `unsafe` and is only sound because nothing can observe the string in between. A suspended coroutine can be
//! dropped or leaked at any await, so here the string stays valid UTF-8 at all times: each chunk is validated
//! and pushed, and a character cut by a chunk boundary (at most 3 bytes) waits in a small buffer for the rest
//! of its bytes. Each byte is validated once, so appending many lines to one string stays linear.

use std::io;

/// The error of a read whose data is not valid UTF-8 (std's message).
pub(super) fn invalid_data() -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, "stream did not contain valid UTF-8")
}

/// Appends validated chunks to a string; on invalid UTF-8, remembers it and appends nothing more.
pub(super) struct Utf8Appender<'a> {
    string: &'a mut String,
    /// The string's length before the operation: what it is cut back to on invalid UTF-8.
    start: usize,
    /// The first bytes of a character whose remaining bytes are in the next chunk.
    partial: [u8; 4],
    partial_len: usize,
    invalid: bool,
}

impl<'a> Utf8Appender<'a> {
    pub(super) fn new(string: &'a mut String) -> Self {
        Utf8Appender { start: string.len(), string, partial: [0; 4], partial_len: 0, invalid: false }
    }

    /// Validates and appends `chunk`, which continues the previous chunks.
    pub(super) fn push(&mut self, mut chunk: &[u8]) {
        if self.invalid {
            return;
        }
        if self.partial_len > 0 {
            let width = char_width(self.partial[0]);
            let take = (width - self.partial_len).min(chunk.len());
            self.partial[self.partial_len..self.partial_len + take].copy_from_slice(&chunk[..take]);
            self.partial_len += take;
            chunk = &chunk[take..];
            if self.partial_len < width {
                return; // still cut: the chunk was shorter than the character's remaining bytes
            }
            self.partial_len = 0;
            match std::str::from_utf8(&self.partial[..width]) {
                Ok(ch) => self.string.push_str(ch),
                Err(_) => return self.fail(),
            }
        }
        match std::str::from_utf8(chunk) {
            Ok(text) => self.string.push_str(text),
            Err(e) => {
                let (valid, rest) = chunk.split_at(e.valid_up_to());
                if e.error_len().is_some() {
                    return self.fail();
                }
                // Cut at the end of the chunk: a valid start of a character whose next bytes have not arrived.
                if let Ok(text) = std::str::from_utf8(valid) {
                    self.string.push_str(text);
                }
                self.partial[..rest.len()].copy_from_slice(rest);
                self.partial_len = rest.len();
            }
        }
    }

    fn fail(&mut self) {
        self.invalid = true;
        self.string.truncate(self.start);
    }

    /// Ends the operation with `result`: appended data stays when it is all valid UTF-8, otherwise the string
    /// is cut back to its start and the result becomes `InvalidData` (unless it already was an error).
    pub(super) fn finish(mut self, result: io::Result<usize>) -> io::Result<usize> {
        if self.partial_len > 0 {
            self.fail(); // the data ended in the middle of a character
        }
        if self.invalid { result.and_then(|_| Err(invalid_data())) } else { result }
    }
}

/// The length of the UTF-8 sequence that `first` starts; only called with the first byte of a valid prefix.
fn char_width(first: u8) -> usize {
    match first {
        0xC0..=0xDF => 2,
        0xE0..=0xEF => 3,
        _ => 4,
    }
}

#[cfg(test)]
mod tests {
    use super::Utf8Appender;

    /// Appends `text` cut into chunks of every size, checking the result each time.
    #[test]
    fn characters_cut_by_any_chunk_size_are_joined() {
        let text = "aé€😀b—ünï\u{10FFFF}".as_bytes();
        for size in 1..=text.len() {
            let mut string = String::from("x");
            let mut appender = Utf8Appender::new(&mut string);
            for chunk in text.chunks(size) {
                appender.push(chunk);
            }
            assert_eq!(appender.finish(Ok(text.len())).unwrap(), text.len());
            assert_eq!(string.as_bytes()[1..], *text, "chunk size {size}");
        }
    }

    #[test]
    fn invalid_sequences_append_nothing_whatever_the_cut() {
        for bad in [&b"ab\xffcd"[..], b"a\xe2\x82", b"\xe2\x82(", b"\xf0\x9f\x98", b"\xc3", b"ok\xed\xa0\x80"]
        {
            for size in 1..=bad.len() {
                let mut string = String::from("keep");
                let mut appender = Utf8Appender::new(&mut string);
                for chunk in bad.chunks(size) {
                    appender.push(chunk);
                }
                let err = appender.finish(Ok(bad.len())).unwrap_err();
                assert_eq!(err.kind(), std::io::ErrorKind::InvalidData);
                assert_eq!(string, "keep", "{bad:?} in chunks of {size}");
            }
        }
    }
}
