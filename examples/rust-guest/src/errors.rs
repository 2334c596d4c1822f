//! The conformance library's errors, named as the conformance cases expect (ABI.md, section 9).

use std::borrow::Cow;
use std::error::Error;
use std::fmt;

use serde::Serialize;

/// A sum that does not fit 64 bits.
#[derive(Debug)]
#[virgil::exception(name = "OverflowError")]
pub struct OverflowError;

impl fmt::Display for OverflowError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("integer overflow")
    }
}

impl Error for OverflowError {}

/// A division by zero, named as Python names it so that a Python host raises its own.
#[derive(Debug)]
#[virgil::exception(name = "ZeroDivisionError")]
pub struct ZeroDivisionError;

impl fmt::Display for ZeroDivisionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("division by zero")
    }
}

impl Error for ZeroDivisionError {}

/// An argument of the right type but a wrong value.
#[derive(Debug)]
#[virgil::exception(name = "ValueError")]
pub struct ValueError(pub String);

impl fmt::Display for ValueError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl Error for ValueError {}

/// One level of `fail_chain`'s cause chain, with the backtrace of where it was created.
#[derive(Debug)]
pub struct ChainLevel {
    level: u32,
    cause: Option<Box<ChainLevel>>,
    backtrace: virgil::Backtrace,
}

impl ChainLevel {
    /// Level `level`, caused by `cause`, capturing the backtrace here.
    pub fn new(level: u32, cause: Option<ChainLevel>) -> Self {
        ChainLevel {
            level,
            cause: cause.map(Box::new),
            backtrace: virgil::Backtrace::capture(),
        }
    }
}

impl fmt::Display for ChainLevel {
    /// `level N` alone: the cause's text is the cause's.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "level {}", self.level)
    }
}

impl Error for ChainLevel {
    fn source(&self) -> Option<&(dyn Error + 'static)> {
        self.cause.as_deref().map(|c| c as _)
    }
}

#[virgil::exception]
impl virgil::ExceptionInfo for ChainLevel {
    /// `ChainLevel1`, `ChainLevel2`, ...
    fn exception_name(&self) -> Cow<'_, str> {
        format!("ChainLevel{}", self.level).into()
    }

    fn exception_backtrace(&self) -> Option<&dyn virgil::Traceback> {
        Some(&self.backtrace)
    }
}

/// A user's own error type, as ordinary code writes one: named `QuotaError` by its type, its
/// serialized fields the record's attributes.
#[derive(Debug, Serialize)]
#[virgil::exception]
pub struct QuotaError {
    /// The quota's code.
    pub code: i64,
    /// Why it was exceeded.
    pub reason: String,
}

impl fmt::Display for QuotaError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "quota {} exceeded: {}", self.code, self.reason)
    }
}

impl Error for QuotaError {}
