//! Turning Rust errors into exception records: names, own messages, causes and frames.
//!
//! It is one file because it is one conversion (an error's chain walked once into a chain of
//! records), with the trait that steers it; a third of it is tests.

use std::any::type_name;
use std::borrow::Cow;
use std::error::Error as StdError;

use crate::backtrace::Traceback;
use crate::context::{ContextError, PathError};
use crate::error::Error;
use crate::exception::{Attributes, Exception, MAX_CHAIN};
use crate::standard;

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
    /// The exception's name. The default is the type's bare name, without its module path or
    /// generic arguments (`QuotaError` for `my_crate::errors::QuotaError<T>`); a type named
    /// just `Error` keeps its crate (`serde_json::Error`).
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

    /// The record's `attributes`: the error's own structured fields. The default has none;
    /// [`#[virgil::exception]`](crate::exception) on a type that implements `serde::Serialize`
    /// gives its serialized fields.
    fn exception_attributes(&self) -> Attributes {
        Attributes::new()
    }

    /// Whether the error is a transparent wrapper (ABI.md, section 6): its level then takes the
    /// name of its cause. The default is no.
    fn exception_transparent(&self) -> bool {
        false
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

impl Error {
    /// What the converter knows of the wrapped error beyond its `&dyn Error`.
    pub(crate) fn origin(&self) -> Origin<'_> {
        Origin {
            type_name: self.type_name,
            is_type: self.is_type,
            backtrace: Some(&self.backtrace),
        }
    }
}

impl IntoException for Error {
    fn into_exception(self) -> Exception {
        convert(&*self.inner, self.origin())
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
/// Transparent levels ([`Context`](crate::Context)'s) take the name of the level below them.
/// Chains longer than the limit are cut, with a note.
pub(crate) fn convert(top: &(dyn StdError + 'static), origin: Origin<'_>) -> Exception {
    let mut levels: Vec<(Exception, bool)> = Vec::new();
    let mut tail: Option<Exception> = None;
    let mut current = Some(top);
    let mut text = top.to_string();
    // What is known of the current level beyond its `&dyn Error`: the outermost's type and
    // backtrace, and below a context, the type and backtrace of its cause.
    let mut known = Some(origin.backtrace);
    let mut known_type = (origin.type_name, origin.is_type);
    while let Some(err) = current {
        if levels.len() == MAX_CHAIN {
            let (last, _) = levels.last_mut().expect("MAX_CHAIN > 0");
            last.notes
                .push(format!("cause chain truncated after {MAX_CHAIN} levels"));
            break;
        }
        if let Some(record) = err.downcast_ref::<Exception>() {
            tail = Some(record.clone());
            break;
        }
        let cause = err.source();
        let cause_text = cause.map(ToString::to_string);
        let own = own_message(&text, cause_text.as_deref());
        let outer_backtrace = known.take().flatten();
        let (type_name, is_type) = known_type;
        known_type = (origin.type_name, origin.is_type);
        let (level, transparent) = if let Some(context) = err.downcast_ref::<ContextError>() {
            let below = context.cause.origin();
            known = Some(below.backtrace);
            known_type = (below.type_name, below.is_type);
            let mut level = Exception::new("", own);
            if let Some(bt) = outer_backtrace {
                level.traceback = bt.traceback();
            }
            (level, true)
        } else if let Some(path) = err.downcast_ref::<PathError>() {
            let mut level = Exception::new(standard::io_error_name(path.io_error()), own);
            level.attributes = standard::io_attributes(path.io_error(), Some(path.path()));
            let bt: &dyn Traceback = &path.backtrace;
            level.traceback = bt.traceback();
            if level.traceback.is_empty()
                && let Some(bt) = outer_backtrace
            {
                level.traceback = bt.traceback();
            }
            (level, false)
        } else if let Some(info) = registered(err) {
            let mut level = Exception::new(info.exception_name().into_owned(), own);
            if let Some(bt) = info.exception_backtrace().or(outer_backtrace) {
                level.traceback = bt.traceback();
            }
            level.notes = info.exception_notes();
            level.attributes = info.exception_attributes();
            (level, info.exception_transparent())
        } else {
            let (name, attributes) = match standard::std_error(err) {
                Some((name, attributes)) => (name.to_owned(), attributes),
                None if !type_name.is_empty() && (is_type)(err) => {
                    (clean_type_name(type_name), Attributes::new())
                }
                None => ("Exception".to_owned(), Attributes::new()),
            };
            let mut level = Exception::new(name, own);
            level.attributes = attributes;
            if let Some(bt) = outer_backtrace {
                level.traceback = bt.traceback();
            }
            (level, false)
        };
        levels.push((level, transparent));
        current = cause;
        text = cause_text.unwrap_or_default();
    }
    let mut chain = tail;
    for (mut level, transparent) in levels.into_iter().rev() {
        if transparent {
            level.name = chain
                .as_ref()
                .map_or_else(|| "Exception".to_owned(), |below| below.name.clone());
        }
        level.cause = chain.map(Box::new);
        chain = Some(level);
    }
    let mut record = chain.expect("the outermost level is always converted");
    record.enforce_limits();
    record
}

/// A type's path as an exception name (ABI.md, section 6: no module paths a reader would not
/// write): the bare name without generic arguments, `my_crate::errors::QuotaError<T>` →
/// `QuotaError`; a type named just `Error` keeps its crate, `serde_json::error::Error` →
/// `serde_json::Error`, and std's keep none (`core::fmt::Error` → `Error`).
pub(crate) fn clean_type_name(name: &str) -> String {
    let path = name.split('<').next().unwrap_or(name);
    let mut segments = path.split("::");
    let first = segments.next().unwrap_or(path);
    let last = path.rsplit("::").next().unwrap_or(path);
    let std = ["std", "core", "alloc"].contains(&first);
    if last == "Error" && first != last && !std {
        format!("{first}::{last}")
    } else {
        last.to_owned()
    }
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
    fn type_names_are_bare() {
        assert_eq!(
            clean_type_name("alloc::string::FromUtf8Error"),
            "FromUtf8Error"
        );
        assert_eq!(
            clean_type_name("my::Wrapper<alloc::string::String>"),
            "Wrapper"
        );
        assert_eq!(clean_type_name("guest::errors::QuotaError"), "QuotaError");
        assert_eq!(
            clean_type_name("serde_json::error::Error"),
            "serde_json::Error"
        );
        assert_eq!(clean_type_name("core::fmt::Error"), "Error");
        assert_eq!(clean_type_name("Plain"), "Plain");
    }

    #[test]
    fn chains_become_records() {
        let err = Outer(std::io::Error::new(
            std::io::ErrorKind::NotFound,
            "no such file",
        ));
        let x = err.into_exception();
        assert_eq!(x.name, "Outer");
        assert_eq!(x.message, "reading config");
        assert_eq!(x.language, "rust");
        let cause = x.cause.as_deref().unwrap();
        assert_eq!(
            (cause.name.as_str(), cause.message.as_str()),
            ("FileNotFoundError", "no such file")
        );
        assert!(cause.attributes.is_empty(), "not an OS error: no errno");
        assert!(cause.cause.is_none());
    }

    #[test]
    fn contexts_are_transparent_and_paths_are_attributes() {
        use crate::context::{Context, WithPath};
        #[inline(never)]
        fn load(path: &str) -> Result<Vec<u8>, crate::Error> {
            std::fs::read(path)
                .with_path(path)
                .context("read")
                .context("load config")
        }
        let x = load("/nonexistent-virgil/x").unwrap_err().into_exception();
        let levels: Vec<(&str, &str)> = x
            .chain()
            .map(|l| (l.name.as_str(), l.message.as_str()))
            .collect();
        assert_eq!(
            levels,
            [
                ("FileNotFoundError", "load config"),
                ("FileNotFoundError", "read"),
                (
                    "FileNotFoundError",
                    "/nonexistent-virgil/x: No such file or directory (os error 2)"
                ),
            ]
        );
        let inner = x.chain().last().unwrap();
        assert_eq!(inner.errno(), Some(2));
        assert_eq!(inner.filename(), Some("/nonexistent-virgil/x"));
        assert!(x.attributes.is_empty());
        assert_eq!(
            x.chain_text(),
            "load config: read: /nonexistent-virgil/x: No such file or directory (os error 2)"
        );
        if crate::backtraces_enabled() {
            for level in x.chain() {
                let last = level.traceback.last().expect("frames");
                assert!(last.function.ends_with("::load"), "{x:?}");
                assert!(
                    !level
                        .traceback
                        .iter()
                        .any(|f| f.function.contains("virgil::context")),
                    "{x:?}"
                );
            }
        }

        let plain: Result<(), std::num::ParseIntError> = "x".parse::<i32>().map(|_| ());
        let x = plain.context("parse").unwrap_err().into_exception();
        assert_eq!(
            (x.name.as_str(), x.message.as_str()),
            ("ValueError", "parse")
        );
        let cause = x.cause.as_deref().unwrap();
        assert_eq!(cause.name, "ValueError");
        assert!(
            cause.traceback.is_empty(),
            "a plain cause has no frames of its own"
        );
    }

    #[test]
    fn unknown_causes_are_exceptions() {
        let boxed: Box<dyn StdError + Send + Sync> = "plain failure".into();
        let x = crate::Error::from_boxed(boxed).into_exception();
        assert_eq!(
            (x.name.as_str(), x.message.as_str()),
            ("Exception", "plain failure")
        );
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
