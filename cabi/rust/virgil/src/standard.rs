//! The standard exception names of ABI.md, section 7.1, both ways: the name a Rust standard error
//! crosses under (`io::ErrorKind::NotFound` is `FileNotFoundError`), and the `io::ErrorKind` a
//! record of another language reads back as.

use std::error::Error as StdError;
use std::io;
use std::num::IntErrorKind;

use crate::exception::{Attributes, Exception};
use crate::value::Value;

/// The name of a failure that carries an error number (Linux numbering), as Python's `OSError`
/// names it (PEP 3151).
pub fn errno_name(errno: i32) -> &'static str {
    match errno {
        2 => "FileNotFoundError",
        17 => "FileExistsError",
        1 | 13 => "PermissionError",
        21 => "IsADirectoryError",
        20 => "NotADirectoryError",
        110 => "TimeoutError",
        4 => "InterruptedError",
        11 | 114 | 115 => "BlockingIOError",
        32 | 108 => "BrokenPipeError",
        111 => "ConnectionRefusedError",
        104 => "ConnectionResetError",
        103 => "ConnectionAbortedError",
        10 => "ChildProcessError",
        3 => "ProcessLookupError",
        _ => "OSError",
    }
}

/// The name of an `io::Error`: by its error number when it came from the OS, else by its kind.
pub fn io_error_name(err: &io::Error) -> &'static str {
    if let Some(errno) = err.raw_os_error() {
        return errno_name(errno);
    }
    use io::ErrorKind as K;
    match err.kind() {
        K::NotFound => "FileNotFoundError",
        K::PermissionDenied => "PermissionError",
        K::AlreadyExists => "FileExistsError",
        K::IsADirectory => "IsADirectoryError",
        K::NotADirectory => "NotADirectoryError",
        K::TimedOut => "TimeoutError",
        K::UnexpectedEof => "EOFError",
        K::Unsupported => "NotImplementedError",
        K::InvalidInput | K::InvalidData => "ValueError",
        K::Interrupted => "InterruptedError",
        K::WouldBlock => "BlockingIOError",
        K::BrokenPipe => "BrokenPipeError",
        K::ConnectionRefused => "ConnectionRefusedError",
        K::ConnectionReset => "ConnectionResetError",
        K::ConnectionAborted => "ConnectionAbortedError",
        _ => "OSError",
    }
}

/// The `io::ErrorKind` a record named `name` reads back as (the table's "reader" direction), with
/// the record's `errno` for the names of the errno table that have no kind of their own.
pub(crate) fn io_error_kind(name: &str, errno: Option<i32>) -> Option<io::ErrorKind> {
    use io::ErrorKind as K;
    let kind = match name {
        "FileNotFoundError" => K::NotFound,
        "FileExistsError" => K::AlreadyExists,
        "PermissionError" => K::PermissionDenied,
        "IsADirectoryError" => K::IsADirectory,
        "NotADirectoryError" => K::NotADirectory,
        "TimeoutError" => K::TimedOut,
        "EOFError" => K::UnexpectedEof,
        "NotImplementedError" => K::Unsupported,
        "ValueError" => K::InvalidInput,
        "InterruptedError" => K::Interrupted,
        "BlockingIOError" => K::WouldBlock,
        "BrokenPipeError" => K::BrokenPipe,
        "ConnectionRefusedError" => K::ConnectionRefused,
        "ConnectionResetError" => K::ConnectionReset,
        "ConnectionAbortedError" => K::ConnectionAborted,
        "OSError" | "ChildProcessError" | "ProcessLookupError" => {
            return Some(errno.map_or(K::Other, |n| io::Error::from_raw_os_error(n).kind()));
        }
        _ => return None,
    };
    Some(kind)
}

/// The shared name and attributes of one of std's errors, or `None` for other types. Names are
/// those of section 7.1 where the table has one, else the Python built-in a Python reader would
/// expect (`ValueError` for the parse errors, `OverflowError` for integers out of range).
pub(crate) fn std_error(err: &(dyn StdError + 'static)) -> Option<(&'static str, Attributes)> {
    let none = Attributes::new;
    if let Some(e) = err.downcast_ref::<io::Error>() {
        return Some((io_error_name(e), io_attributes(e, None)));
    }
    if let Some(e) = err.downcast_ref::<std::num::ParseIntError>() {
        let name = match e.kind() {
            IntErrorKind::PosOverflow | IntErrorKind::NegOverflow => "OverflowError",
            _ => "ValueError",
        };
        return Some((name, none()));
    }
    if let Some(e) = err.downcast_ref::<std::env::VarError>() {
        let name = match e {
            std::env::VarError::NotPresent => "KeyError",
            std::env::VarError::NotUnicode(_) => "ValueError",
        };
        return Some((name, none()));
    }
    macro_rules! named {
        ($($ty:ty => $name:literal),* $(,)?) => {
            $(if err.is::<$ty>() {
                return Some(($name, none()));
            })*
        };
    }
    named! {
        std::num::ParseFloatError => "ValueError",
        std::num::TryFromIntError => "OverflowError",
        std::str::ParseBoolError => "ValueError",
        std::char::ParseCharError => "ValueError",
        std::char::CharTryFromError => "ValueError",
        std::str::Utf8Error => "ValueError",
        std::string::FromUtf8Error => "ValueError",
        std::string::FromUtf16Error => "ValueError",
        std::array::TryFromSliceError => "ValueError",
        std::ffi::NulError => "ValueError",
        std::net::AddrParseError => "ValueError",
        std::time::SystemTimeError => "ValueError",
        std::fmt::Error => "Exception",
    }
    None
}

/// The attributes of an `io::Error`: `errno` when it came from the OS, `filename` when known.
pub(crate) fn io_attributes(err: &io::Error, path: Option<&std::path::Path>) -> Attributes {
    let mut attributes = Attributes::new();
    if let Some(errno) = err.raw_os_error() {
        attributes.insert("errno".to_owned(), Value::Int(errno.into()));
    }
    if let Some(path) = path {
        let name = path.to_string_lossy().into_owned();
        attributes.insert("filename".to_owned(), Value::Str(name));
    }
    attributes
}

impl Exception {
    /// The `io::ErrorKind` this record stands for (ABI.md, section 7.1, read back): a
    /// `FileNotFoundError` from any language is `NotFound`, a `PermissionError`
    /// `PermissionDenied`, an `OSError` the kind of its `errno`; `None` for names with no
    /// counterpart among the kinds.
    ///
    /// ```
    /// let x = virgil::Exception::new("FileNotFoundError", "no such file").with_attribute("errno", 2);
    /// assert_eq!(x.io_error_kind(), Some(std::io::ErrorKind::NotFound));
    /// let err = std::io::Error::from(x);
    /// assert_eq!(err.kind(), std::io::ErrorKind::NotFound);
    /// ```
    pub fn io_error_kind(&self) -> Option<io::ErrorKind> {
        io_error_kind(&self.name, self.errno())
    }
}

impl From<Exception> for io::Error {
    /// An `io::Error` of the record's kind ([`Exception::io_error_kind`], `Other` when it has
    /// none) that carries the record (`get_ref` downcasts to it).
    fn from(x: Exception) -> Self {
        let kind = x.io_error_kind().unwrap_or(io::ErrorKind::Other);
        io::Error::new(kind, x)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn io_errors_are_named_by_errno_then_by_kind() {
        let named = |e: io::Error| io_error_name(&e);
        assert_eq!(named(io::Error::from_raw_os_error(2)), "FileNotFoundError");
        assert_eq!(named(io::Error::from_raw_os_error(21)), "IsADirectoryError");
        assert_eq!(named(io::Error::from_raw_os_error(1)), "PermissionError");
        assert_eq!(
            named(io::Error::from_raw_os_error(111)),
            "ConnectionRefusedError"
        );
        assert_eq!(named(io::Error::from_raw_os_error(28)), "OSError"); // ENOSPC
        let kind = |k: io::ErrorKind| named(io::Error::new(k, "x"));
        assert_eq!(kind(io::ErrorKind::NotFound), "FileNotFoundError");
        assert_eq!(kind(io::ErrorKind::UnexpectedEof), "EOFError");
        assert_eq!(kind(io::ErrorKind::Unsupported), "NotImplementedError");
        assert_eq!(kind(io::ErrorKind::InvalidData), "ValueError");
        assert_eq!(kind(io::ErrorKind::TimedOut), "TimeoutError");
        assert_eq!(kind(io::ErrorKind::Other), "OSError");
    }

    #[test]
    fn parse_errors() {
        let name = |e: &(dyn StdError + 'static)| std_error(e).map(|(n, _)| n);
        let int = |s: &str| s.parse::<i64>().unwrap_err();
        assert_eq!(name(&int("x")), Some("ValueError"));
        assert_eq!(name(&int("")), Some("ValueError"));
        assert_eq!(name(&int("99999999999999999999")), Some("OverflowError"));
        assert_eq!(name(&int("-99999999999999999999")), Some("OverflowError"));
        assert_eq!(name(&"x".parse::<f64>().unwrap_err()), Some("ValueError"));
        assert_eq!(
            name(&u8::try_from(300i32).unwrap_err()),
            Some("OverflowError")
        );
        let io = io::Error::from_raw_os_error(13);
        let (n, attrs) = std_error(&io).unwrap();
        assert_eq!(
            (n, attrs.get("errno")),
            ("PermissionError", Some(&Value::Int(13)))
        );
    }

    #[test]
    fn records_read_back_as_kinds() {
        let kind = |name: &str, errno: Option<i32>| io_error_kind(name, errno);
        assert_eq!(
            kind("FileNotFoundError", None),
            Some(io::ErrorKind::NotFound)
        );
        assert_eq!(
            kind("PermissionError", Some(13)),
            Some(io::ErrorKind::PermissionDenied)
        );
        assert_eq!(
            kind("OSError", Some(20)),
            Some(io::ErrorKind::NotADirectory)
        );
        assert_eq!(kind("OSError", None), Some(io::ErrorKind::Other));
        assert_eq!(kind("QuotaError", None), None);
        let err = io::Error::from(Exception::new("TimeoutError", "too slow"));
        assert_eq!(err.kind(), io::ErrorKind::TimedOut);
        assert_eq!(err.to_string(), "too slow");
    }
}
