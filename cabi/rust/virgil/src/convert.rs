//! Turning Rust errors into exception records: names, own messages, causes and frames.

use std::any::type_name;
use std::borrow::Cow;
use std::error::Error as StdError;

use crate::backtrace::Traceback;
use crate::exception::{Exception, MAX_CHAIN};

/// How an error type describes itself when it crosses the boundary.
///
/// Every method has a default, so `impl ExceptionInfo for MyError {}` is enough to take part;
/// usually the [`exception`](crate::exception) attribute writes the implementation and, which
/// matters as much, registers the type, so that the kit recognizes it also as the *cause* of
/// another error, where all it has is a `&dyn Error`:
///
/// ```
/// use std::borrow::Cow;
/// ///
/// #[derive(Debug)]
/// #[virgil::exception(name = "ZeroDivisionError")]
/// struct DivideByZero;
///
/// #[derive(Debug)]
/// struct ParseFailure { line: u32, backtrace: virgil::Backtrace }
///
/// #[virgil::exception]
/// impl virgil::ExceptionInfo for ParseFailure {
///     fn exception_name(&self) -> Cow<'_, str> {
///         "ParseError".into()
///     }
///     fn exception_backtrace(&self) -> Option<&dyn virgil::Traceback> {
///         Some(&self.backtrace)
///     }
/// }
/// # impl std::fmt::Display for DivideByZero {
/// #     fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result { f.write_str("division by zero") }
/// # }
/// # impl std::error::Error for DivideByZero {}
/// # impl std::fmt::Display for ParseFailure {
/// #     fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result { write!(f, "line {}", self.line) }
/// # }
/// # impl std::error::Error for ParseFailure {}
/// ```
pub trait ExceptionInfo: StdError + 'static {
    /// The exception's name. The default is the type's path without generic arguments
    /// (`my_crate::ParseFailure`), `core::` and `alloc::` written as `std::`.
    fn exception_name(&self) -> Cow<'_, str> {
        Cow::Owned(clean_type_name(type_name::<Self>()))
    }

    /// The frames of this level: a backtrace taken where the error was created, the kit's
    /// [`Backtrace`](crate::Backtrace) (cheap) or `std::backtrace::Backtrace`. The default has
    /// none.
    fn exception_backtrace(&self) -> Option<&dyn Traceback> {
        None
    }

    /// Extra annotations for the record's `notes`. The default has none.
    fn exception_notes(&self) -> Vec<String> {
        Vec::new()
    }
}

/// A registered error type: finds its [`ExceptionInfo`] in a `&dyn Error` by downcasting.
#[doc(hidden)]
pub struct ExceptionType(
    pub for<'a> fn(&'a (dyn StdError + 'static)) -> Option<&'a dyn ExceptionInfo>,
);

/// The types registered with the `exception` attribute.
#[linkme::distributed_slice]
#[doc(hidden)]
pub static EXCEPTION_TYPES: [ExceptionType];

fn registered<'a>(err: &'a (dyn StdError + 'static)) -> Option<&'a dyn ExceptionInfo> {
    EXCEPTION_TYPES.iter().find_map(|t| (t.0)(err))
}

/// An error that can become an exception record: every `std::error::Error + 'static` (an
/// [`Exception`] among them, which passes through whole), and [`virgil::Error`](crate::Error).
///
/// `Box<dyn Error>` cannot implement `Error` (a coherence rule of std), so it is not accepted
/// directly; wrap it with [`Error::from_boxed`](crate::Error::from_boxed).
pub trait IntoException {
    /// The record: one level per error of the `source` chain.
    fn into_exception(self) -> Exception;
}

impl<E: StdError + 'static> IntoException for E {
    fn into_exception(self) -> Exception {
        convert(&self, Origin::of::<E>(None))
    }
}

/// What the converter knows of the outermost error beyond its `&dyn Error`.
pub(crate) struct Origin<'a> {
    /// The outermost error's type, for its name when it registered none.
    pub type_name: &'static str,
    /// Whether an error is of that type: its causes of the same type get the same name.
    pub is_type: fn(&(dyn StdError + 'static)) -> bool,
    /// A backtrace captured when the error was wrapped, used when the error has none of its own.
    pub backtrace: Option<&'a dyn Traceback>,
}

impl<'a> Origin<'a> {
    pub(crate) fn of<E: StdError + 'static>(backtrace: Option<&'a dyn Traceback>) -> Self {
        Origin {
            type_name: type_name::<E>(),
            is_type: |e| e.is::<E>(),
            backtrace,
        }
    }
}

/// Converts an error and its `source` chain, one record per level (ABI.md, section 6). A record
/// met on the way (an [`Exception`] from another language, say) is copied with its own chain.
/// Chains longer than the limit are cut, with a note.
pub(crate) fn convert(top: &(dyn StdError + 'static), origin: Origin<'_>) -> Exception {
    let mut levels: Vec<Exception> = Vec::new();
    let mut tail: Option<Exception> = None;
    let mut current = Some(top);
    let mut text = top.to_string();
    while let Some(err) = current {
        if levels.len() == MAX_CHAIN {
            let last = levels.last_mut().expect("MAX_CHAIN > 0");
            last.notes
                .push(format!("cause chain truncated after {MAX_CHAIN} levels"));
            break;
        }
        if let Some(record) = err.downcast_ref::<Exception>() {
            tail = Some(record.clone());
            break;
        }
        let info = registered(err);
        let cause = err.source();
        let cause_text = cause.map(ToString::to_string);
        let mut level = Exception::new(
            name_of(err, info, &origin),
            own_message(&text, cause_text.as_deref()),
        );
        let own_backtrace = info.and_then(ExceptionInfo::exception_backtrace);
        let outer_backtrace = if levels.is_empty() {
            origin.backtrace
        } else {
            None
        };
        if let Some(bt) = own_backtrace.or(outer_backtrace) {
            level.traceback = bt.traceback();
        }
        if let Some(info) = info {
            level.notes = info.exception_notes();
        }
        levels.push(level);
        current = cause;
        text = cause_text.unwrap_or_default();
    }
    let mut chain = tail;
    for mut level in levels.into_iter().rev() {
        level.cause = chain.map(Box::new);
        chain = Some(level);
    }
    let mut record = chain.expect("the outermost level is always converted");
    record.enforce_limits();
    record
}

/// The name of one level: registered, a std type the kit knows, the outermost error's type, or
/// else `Error` (a `&dyn Error` does not tell its type).
fn name_of(
    err: &(dyn StdError + 'static),
    info: Option<&dyn ExceptionInfo>,
    origin: &Origin<'_>,
) -> String {
    if let Some(info) = info {
        return info.exception_name().into_owned();
    }
    if let Some(name) = std_name(err) {
        return name.to_owned();
    }
    if (origin.is_type)(err) {
        return clean_type_name(origin.type_name);
    }
    "Error".to_owned()
}

/// The public names of std's error types (their `type_name` shows private modules).
fn std_name(err: &(dyn StdError + 'static)) -> Option<&'static str> {
    macro_rules! known {
        ($($ty:ty => $name:literal),* $(,)?) => {
            $(if err.is::<$ty>() {
                return Some($name);
            })*
        };
    }
    known! {
        std::io::Error => "std::io::Error",
        std::fmt::Error => "std::fmt::Error",
        std::num::ParseIntError => "std::num::ParseIntError",
        std::num::ParseFloatError => "std::num::ParseFloatError",
        std::num::TryFromIntError => "std::num::TryFromIntError",
        std::str::Utf8Error => "std::str::Utf8Error",
        std::str::ParseBoolError => "std::str::ParseBoolError",
        std::string::FromUtf8Error => "std::string::FromUtf8Error",
        std::char::ParseCharError => "std::char::ParseCharError",
        std::array::TryFromSliceError => "std::array::TryFromSliceError",
        std::ffi::NulError => "std::ffi::NulError",
        std::time::SystemTimeError => "std::time::SystemTimeError",
        std::env::VarError => "std::env::VarError",
        std::net::AddrParseError => "std::net::AddrParseError",
    }
    None
}

/// A type's path as an exception name: without generic arguments, `core::` and `alloc::` as
/// `std::` (`alloc::string::FromUtf8Error` → `std::string::FromUtf8Error`).
pub(crate) fn clean_type_name(name: &str) -> String {
    let name = name.split('<').next().unwrap_or(name);
    for prefix in ["core::", "alloc::"] {
        if let Some(rest) = name.strip_prefix(prefix) {
            return format!("std::{rest}");
        }
    }
    name.to_owned()
}

/// A level's own message (ABI.md, section 6): its text without a trailing `": "` and its cause's
/// text, empty when it is just its cause's text, else whole.
pub(crate) fn own_message(text: &str, cause_text: Option<&str>) -> String {
    match cause_text {
        None | Some("") => text.to_owned(),
        Some(cause) if text == cause => String::new(),
        Some(cause) => text
            .strip_suffix(cause)
            .and_then(|head| head.strip_suffix(": "))
            .unwrap_or(text)
            .to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fmt;

    #[derive(Debug)]
    struct Outer(std::io::Error);

    impl fmt::Display for Outer {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            write!(f, "reading config: {}", self.0)
        }
    }

    impl StdError for Outer {
        fn source(&self) -> Option<&(dyn StdError + 'static)> {
            Some(&self.0)
        }
    }

    #[test]
    fn messages_lose_their_causes_text() {
        assert_eq!(
            own_message("read config: no such file", Some("no such file")),
            "read config"
        );
        assert_eq!(own_message("no such file", Some("no such file")), "");
        assert_eq!(own_message("failed", Some("no such file")), "failed");
        assert_eq!(own_message("failed", None), "failed");
        assert_eq!(own_message("x: ", Some("")), "x: ");
    }

    #[test]
    fn type_names_are_cleaned() {
        assert_eq!(
            clean_type_name("alloc::string::FromUtf8Error"),
            "std::string::FromUtf8Error"
        );
        assert_eq!(
            clean_type_name("my::Wrapper<alloc::string::String>"),
            "my::Wrapper"
        );
        assert_eq!(clean_type_name("guest::MathError"), "guest::MathError");
    }

    #[test]
    fn chains_become_records() {
        let err = Outer(std::io::Error::new(
            std::io::ErrorKind::NotFound,
            "no such file",
        ));
        let x = err.into_exception();
        assert_eq!(x.name, "virgil::convert::tests::Outer");
        assert_eq!(x.message, "reading config");
        assert_eq!(x.language, "rust");
        let cause = x.cause.as_deref().unwrap();
        assert_eq!(
            (cause.name.as_str(), cause.message.as_str()),
            ("std::io::Error", "no such file")
        );
        assert!(cause.cause.is_none());
    }

    #[test]
    fn records_pass_through_whole() {
        let inner = Exception::new("KeyError", "'x'").with_cause(Exception::new("Deep", ""));
        let mut python = inner.clone();
        python.language = "python".into();
        let x = python.clone().into_exception();
        assert_eq!(x, python);
    }
}
