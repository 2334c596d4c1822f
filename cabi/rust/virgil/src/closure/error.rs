//! [`ClosureError`]: what a closure's call that failed returns, and how it becomes a level of
//! the guest's record.

use std::fmt;

use crate::backtrace::{Backtrace, Traceback};
use crate::convert::{ExceptionInfo, ExceptionType};
use crate::exception::Exception;
use crate::names;
use crate::types::Ty;

/// A closure's call failed: the closure raised (its exception record, verbatim, from whatever
/// language), or its reply could not be read (a record of the kit's: `virgil.ResultError`,
/// `virgil.InternalError`), or it had been released (`virgil.ReleasedClosure`, the host's record).
///
/// As an error it is a level of the guest's own, `virgil::ClosureError`, with the Rust frames that
/// led to the call and the record as its cause: returned from an export (directly or through
/// [`virgil::Error`](crate::Error)), the reply's record shows the guest's level and then the
/// closure's levels with their own language's frames. [`into_record`](ClosureError::into_record)
/// gives the closure's record alone, to pass it on as it came.
pub struct ClosureError(Box<Failure>);

/// What a [`ClosureError`] holds, boxed so that a `Result` of one stays small.
struct Failure {
    record: Exception,
    signature: Ty,
    backtrace: Backtrace,
}

/// The name of the guest's level of a [`ClosureError`].
pub const CLOSURE_ERROR: &str = "virgil::ClosureError";

impl ClosureError {
    #[inline(never)]
    pub(super) fn new(record: Exception, signature: &Ty) -> Self {
        ClosureError(Box::new(Failure {
            record,
            signature: *signature,
            backtrace: Backtrace::capture(),
        }))
    }

    /// The closure's record: its name, message, language, frames and causes.
    pub fn record(&self) -> &Exception {
        &self.0.record
    }

    /// The closure's record, to return it unchanged (`Result<T, virgil::Exception>`).
    pub fn into_record(self) -> Exception {
        self.0.record
    }

    /// The record's name (`ValueError`, `*errors.errorString`, `virgil.ReleasedClosure`).
    pub fn name(&self) -> &str {
        &self.0.record.name
    }

    /// Whether the closure had been released (`virgil.ReleasedClosure`).
    pub fn is_released(&self) -> bool {
        self.0.record.name == names::RELEASED_CLOSURE
    }
}

impl fmt::Debug for ClosureError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClosureError")
            .field("signature", &self.0.signature.to_string())
            .field("record", &self.0.record)
            .finish()
    }
}

impl fmt::Display for ClosureError {
    /// `callback fn(int) -> int failed: ` and the record (its outermost level).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "callback {} failed: {}", self.0.signature, self.0.record)
    }
}

impl std::error::Error for ClosureError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.0.record)
    }
}

impl ExceptionInfo for ClosureError {
    fn exception_name(&self) -> std::borrow::Cow<'_, str> {
        CLOSURE_ERROR.into()
    }

    fn exception_backtrace(&self) -> Option<&dyn Traceback> {
        Some(&self.0.backtrace)
    }
}

impl From<ClosureError> for Exception {
    /// The closure's record alone, as it came.
    fn from(e: ClosureError) -> Self {
        e.0.record
    }
}

fn find_closure_error<'a>(
    error: &'a (dyn std::error::Error + 'static),
) -> Option<&'a dyn ExceptionInfo> {
    error
        .downcast_ref::<ClosureError>()
        .map(|e| e as &dyn ExceptionInfo)
}

#[linkme::distributed_slice(crate::convert::EXCEPTION_TYPES)]
static CLOSURE_ERROR_TYPE: ExceptionType = ExceptionType(find_closure_error);
