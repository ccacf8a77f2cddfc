//! [`OpenOptions`]: std's builder, whose `open` runs on the blocking pool.

use super::{File, asyncify};
use std::io;
use std::path::Path;

/// How to open a file: std's [`std::fs::OpenOptions`], with an `open` that suspends.
///
/// ```
/// use coro_net::fs::OpenOptions;
/// use coro_net::io::{self, Write};
///
/// #[coro_macros::coroutine(crate = ::coro_core)]
/// fn append_line(path: std::path::PathBuf, line: String) -> io::Result<()> {
///     let mut log = OpenOptions::new().append(true).create(true).open(&path)?;
///     writeln!(log, "{line}")?;
///     log.flush() // the queued write is done (or its error is here)
/// }
///
/// let path = std::env::temp_dir().join(format!("coro-open-options-{}", std::process::id()));
/// let rt = coro_net::Runtime::new().unwrap();
/// rt.block_on(append_line(path.clone(), "one".into())).unwrap();
/// rt.block_on(append_line(path.clone(), "two".into())).unwrap();
/// assert_eq!(std::fs::read_to_string(&path).unwrap(), "one\ntwo\n");
/// std::fs::remove_file(&path).unwrap();
/// ```
///
/// The Unix extensions (`mode`, `custom_flags`) are reached through [`as_std_mut`](OpenOptions::as_std_mut)
/// and `std::os::unix::fs::OpenOptionsExt`.
#[derive(Clone, Debug)]
pub struct OpenOptions(std::fs::OpenOptions);

impl OpenOptions {
    /// Options with every flag off: set `read`, `write`, `append` or `create` before opening.
    pub fn new() -> OpenOptions {
        OpenOptions(std::fs::OpenOptions::new())
    }

    /// Open for reading.
    pub fn read(&mut self, read: bool) -> &mut OpenOptions {
        self.0.read(read);
        self
    }

    /// Open for writing.
    pub fn write(&mut self, write: bool) -> &mut OpenOptions {
        self.0.write(write);
        self
    }

    /// Open for appending: every write goes to the end of the file (implies `write`).
    pub fn append(&mut self, append: bool) -> &mut OpenOptions {
        self.0.append(append);
        self
    }

    /// Truncate the file to zero length when opening (needs `write`).
    pub fn truncate(&mut self, truncate: bool) -> &mut OpenOptions {
        self.0.truncate(truncate);
        self
    }

    /// Create the file if it does not exist (needs `write` or `append`).
    pub fn create(&mut self, create: bool) -> &mut OpenOptions {
        self.0.create(create);
        self
    }

    /// Create the file, failing with [`io::ErrorKind::AlreadyExists`] if it exists (atomically).
    pub fn create_new(&mut self, create_new: bool) -> &mut OpenOptions {
        self.0.create_new(create_new);
        self
    }

    /// The std options, for the platform extensions (`OpenOptionsExt::mode`, `custom_flags`).
    pub fn as_std_mut(&mut self) -> &mut std::fs::OpenOptions {
        &mut self.0
    }

    /// Opens `path` with these options, on the blocking pool. Errors are std's: `NotFound`,
    /// `PermissionDenied`, `AlreadyExists` (`create_new`), `InvalidInput` (an invalid combination).
    #[coro_macros::coroutine(crate = ::coro_core)]
    pub fn open(&self, path: impl AsRef<Path>) -> io::Result<File> {
        let (options, path) = (self.0.clone(), path.as_ref().to_owned());
        let file = asyncify(move || options.open(path))?;
        Ok(File::from_std(file))
    }
}

impl Default for OpenOptions {
    fn default() -> OpenOptions {
        OpenOptions::new()
    }
}

impl From<std::fs::OpenOptions> for OpenOptions {
    fn from(options: std::fs::OpenOptions) -> OpenOptions {
        OpenOptions(options)
    }
}
