//! [`Context`] and [`WithPath`]: what ordinary code adds to an error on its way out, so that the
//! record tells the whole story (ABI.md, section 6): a transparent level with a text
//! (`load config`), and the path an `io::Error` was about (`filename`).

use std::error::Error as StdError;
use std::fmt;
use std::io;
use std::path::{Path, PathBuf};

use crate::backtrace::Backtrace;
use crate::error::Error;

/// Adds a text to an error, as a level of its own that keeps the name of its cause: the Rust
/// kit's transparent wrapper (ABI.md, section 6), like Go's `fmt.Errorf("load config: %w", err)`.
///
/// ```
/// use virgil::{Context, WithPath};
///
/// #[virgil::export]
/// fn load_config(path: &str) -> Result<Vec<u8>, virgil::Error> {
///     std::fs::read(path).with_path(path).context("load config")
/// }
/// # fn main() {
/// let x = virgil::testing::call::<Vec<u8>>("load_config", &("/no/such/file",)).unwrap_err();
/// assert_eq!(x.name, "FileNotFoundError"); // the level takes its cause's name
/// assert_eq!(x.message, "load config");
/// let cause = x.cause.as_deref().unwrap();
/// assert_eq!((cause.name.as_str(), cause.errno(), cause.filename()),
///            ("FileNotFoundError", Some(2), Some("/no/such/file")));
/// # }
/// ```
///
/// The level's frames are those of the `context` call (a [`Backtrace`] captured there); its cause
/// keeps its own. `Display` of the error shows the text alone, and `source()` is the cause.
pub trait Context<T> {
    /// Wraps the error with `text`.
    fn context<C: fmt::Display>(self, text: C) -> Result<T, Error>;

    /// Wraps the error with the text `f` gives, computed only on failure.
    fn with_context<C: fmt::Display, F: FnOnce() -> C>(self, f: F) -> Result<T, Error>;
}

impl<T, E: StdError + Send + Sync + 'static> Context<T> for Result<T, E> {
    #[inline(never)]
    fn context<C: fmt::Display>(self, text: C) -> Result<T, Error> {
        self.map_err(|e| ContextError::wrap(text.to_string(), Error::bare(e)))
    }

    #[inline(never)]
    fn with_context<C: fmt::Display, F: FnOnce() -> C>(self, f: F) -> Result<T, Error> {
        self.map_err(|e| ContextError::wrap(f().to_string(), Error::bare(e)))
    }
}

impl<T> Context<T> for Result<T, Error> {
    #[inline(never)]
    fn context<C: fmt::Display>(self, text: C) -> Result<T, Error> {
        self.map_err(|e| ContextError::wrap(text.to_string(), e))
    }

    #[inline(never)]
    fn with_context<C: fmt::Display, F: FnOnce() -> C>(self, f: F) -> Result<T, Error> {
        self.map_err(|e| ContextError::wrap(f().to_string(), e))
    }
}

/// The error [`Context`] makes: a text over a cause.
pub struct ContextError {
    context: String,
    pub(crate) cause: Error,
}

impl ContextError {
    /// The wrapped error, capturing the backtrace of the `context` call.
    #[inline(never)]
    fn wrap(context: String, cause: Error) -> Error {
        Error::new(ContextError { context, cause })
    }

    /// The text.
    pub fn context(&self) -> &str {
        &self.context
    }

    /// The cause, with the backtrace it was captured with.
    pub fn cause(&self) -> &Error {
        &self.cause
    }
}

impl fmt::Debug for ContextError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ContextError")
            .field("context", &self.context)
            .field("cause", &self.cause)
            .finish()
    }
}

impl fmt::Display for ContextError {
    /// The text alone; the cause is reached through `source()`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.context)
    }
}

impl StdError for ContextError {
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        Some(self.cause.as_std())
    }
}

/// Attaches the path an `io::Error` was about, which std's errors do not carry: the record then
/// has the attribute `filename` (ABI.md, section 6).
///
/// ```
/// use virgil::WithPath;
///
/// fn read(path: &str) -> Result<Vec<u8>, virgil::PathError> {
///     std::fs::read(path).with_path(path)
/// }
/// let err = read("/no/such/file").unwrap_err();
/// assert_eq!(err.kind(), std::io::ErrorKind::NotFound);
/// assert_eq!(err.to_string(), "/no/such/file: No such file or directory (os error 2)");
/// ```
pub trait WithPath<T> {
    /// The error with `path`, as a [`PathError`].
    fn with_path(self, path: impl AsRef<Path>) -> Result<T, PathError>;
}

impl<T> WithPath<T> for Result<T, io::Error> {
    #[inline(never)]
    fn with_path(self, path: impl AsRef<Path>) -> Result<T, PathError> {
        self.map_err(|error| PathError::new(error, path))
    }
}

/// An `io::Error` and the path it was about: one level of the record, named as the `io::Error`
/// is (`FileNotFoundError`), with the attributes `errno` and `filename`, and the frames of where
/// it was made. Its text is `path: error`.
pub struct PathError {
    error: io::Error,
    path: PathBuf,
    pub(crate) backtrace: Backtrace,
}

impl PathError {
    /// `error` about `path`, capturing the backtrace here.
    #[inline(never)]
    pub fn new(error: io::Error, path: impl AsRef<Path>) -> Self {
        PathError {
            error,
            path: path.as_ref().to_owned(),
            backtrace: Backtrace::capture(),
        }
    }

    /// The path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The `io::Error`.
    pub fn io_error(&self) -> &io::Error {
        &self.error
    }

    /// The `io::Error`'s kind.
    pub fn kind(&self) -> io::ErrorKind {
        self.error.kind()
    }

    /// The `io::Error`, without the path.
    pub fn into_io_error(self) -> io::Error {
        self.error
    }
}

impl fmt::Debug for PathError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PathError")
            .field("error", &self.error)
            .field("path", &self.path)
            .finish()
    }
}

impl fmt::Display for PathError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.path.display(), self.error)
    }
}

impl StdError for PathError {
    /// The `io::Error`'s own source: the `io::Error` itself is this level, not a cause.
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        self.error.source()
    }
}

impl From<PathError> for io::Error {
    /// An `io::Error` of the same kind whose text has the path.
    fn from(e: PathError) -> Self {
        io::Error::new(e.kind(), e)
    }
}
