//! [`Error`]: an error of any type, with the backtrace of where it was converted.

use std::any::type_name;
use std::error::Error as StdError;
use std::fmt;
use std::ops::Deref;

use crate::backtrace::Backtrace;

/// Any error, with a backtrace captured when it was converted: the `?`-friendly error type for
/// exported functions, in the manner of `anyhow::Error`.
///
/// `?` converts every `std::error::Error + Send + Sync + 'static` into it, capturing the
/// backtrace there (see [`Backtrace`] for the cost and [`backtraces_enabled`](crate::backtraces_enabled)
/// for the switch), so that the exception record shows the Rust frames that led to the failure even when
/// the original error type keeps none. The record is that of the wrapped error (its name, message
/// and causes), with these frames when the error has none of its own.
///
/// ```
/// #[virgil::export]
/// fn port(text: String) -> Result<u16, virgil::Error> {
///     Ok(text.trim().parse::<u16>()?)
/// }
/// ```
///
/// Like `anyhow::Error`, it does not implement `std::error::Error` itself (that would conflict
/// with the blanket `From`); it dereferences to the wrapped `dyn Error`.
pub struct Error {
    pub(crate) inner: Box<dyn StdError + Send + Sync + 'static>,
    pub(crate) backtrace: Backtrace,
    pub(crate) type_name: &'static str,
    pub(crate) is_type: fn(&(dyn StdError + 'static)) -> bool,
}

impl Error {
    /// Wraps `error`, capturing the backtrace here.
    #[inline(never)]
    pub fn new<E: StdError + Send + Sync + 'static>(error: E) -> Self {
        Error {
            inner: Box::new(error),
            backtrace: Backtrace::capture(),
            type_name: type_name::<E>(),
            is_type: |e| e.is::<E>(),
        }
    }

    /// Wraps `error` without a backtrace (the cause of a [`Context`](crate::Context), whose own
    /// level has the frames).
    pub(crate) fn bare<E: StdError + Send + Sync + 'static>(error: E) -> Self {
        Error {
            inner: Box::new(error),
            backtrace: Backtrace::default(),
            type_name: type_name::<E>(),
            is_type: |e| e.is::<E>(),
        }
    }

    /// Wraps an already boxed error, capturing the backtrace here. Its name comes from its
    /// registration or, for std's error types, from the kit's table; a box made from a string
    /// (`"text".into()`) and other types it cannot tell are `Exception`.
    #[inline(never)]
    pub fn from_boxed(error: Box<dyn StdError + Send + Sync + 'static>) -> Self {
        Error {
            inner: error,
            backtrace: Backtrace::capture(),
            type_name: "",
            is_type: |_| false,
        }
    }

    /// A plain error with this message, named `Exception` (ABI.md, section 6: an error with no
    /// name of its own), capturing the backtrace here.
    #[inline(never)]
    pub fn msg(message: impl fmt::Display) -> Self {
        Error {
            inner: Box::new(Message(message.to_string())),
            backtrace: Backtrace::capture(),
            type_name: "",
            is_type: |e| e.is::<Message>(),
        }
    }

    /// The wrapped error as a plain `&dyn Error`.
    pub(crate) fn as_std(&self) -> &(dyn StdError + 'static) {
        &*self.inner
    }

    /// The backtrace captured when the error was wrapped (empty when capturing is off).
    pub fn backtrace(&self) -> &Backtrace {
        &self.backtrace
    }

    /// The wrapped error, if it is a `T`.
    pub fn downcast_ref<T: StdError + 'static>(&self) -> Option<&T> {
        self.inner.downcast_ref()
    }

    /// The wrapped error.
    pub fn into_inner(self) -> Box<dyn StdError + Send + Sync + 'static> {
        self.inner
    }
}

impl<E: StdError + Send + Sync + 'static> From<E> for Error {
    #[inline(never)]
    fn from(error: E) -> Self {
        Error::new(error)
    }
}

impl Deref for Error {
    type Target = dyn StdError + Send + Sync + 'static;

    fn deref(&self) -> &Self::Target {
        &*self.inner
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.inner, f)
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.inner, f)
    }
}

/// The error of [`Error::msg`]. It shows itself as std's errors made from strings do (its
/// `Debug` is the string's), which is how the converter knows it as a plain error.
struct Message(String);

impl fmt::Debug for Message {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.0, f)
    }
}

impl fmt::Display for Message {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl StdError for Message {}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::convert::IntoException;

    #[inline(never)]
    fn parse(text: &str) -> Result<u16, Error> {
        Ok(text.parse::<u16>()?)
    }

    #[test]
    fn keeps_the_wrapped_errors_record_and_adds_frames() {
        let err = parse("x").unwrap_err();
        assert!(err.downcast_ref::<std::num::ParseIntError>().is_some());
        let x = err.into_exception();
        assert_eq!(x.name, "ValueError");
        assert_eq!(x.message, "invalid digit found in string");
        if crate::backtraces_enabled() {
            let functions: Vec<&str> = x.traceback.iter().map(|f| f.function.as_str()).collect();
            assert!(
                functions.iter().any(|f| f.ends_with("tests::parse")),
                "{functions:#?}"
            );
            assert!(
                !functions.iter().any(|f| f.contains("backtrace::capture")),
                "{functions:#?}"
            );
        }
    }

    #[test]
    fn messages_and_boxes() {
        let x = Error::msg("no luck").into_exception();
        assert_eq!(
            (x.name.as_str(), x.message.as_str()),
            ("Exception", "no luck")
        );
        let boxed: Box<dyn StdError + Send + Sync> = "plain".into();
        let x = Error::from_boxed(boxed).into_exception();
        assert_eq!(
            (x.name.as_str(), x.message.as_str()),
            ("Exception", "plain")
        );
        let boxed: Box<dyn StdError + Send + Sync> = Box::new(std::io::Error::from_raw_os_error(2));
        let x = Error::from_boxed(boxed).into_exception();
        assert_eq!((x.name.as_str(), x.errno()), ("FileNotFoundError", Some(2)));
    }
}
