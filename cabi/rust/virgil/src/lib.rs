//! Export Rust functions under the Virgil C ABI (`cabi/ABI.md`), so that any Virgil host (Go,
//! Python, C, ...) can call them as if they were its own.
//!
//! Every exported function crosses as `void NAME(const virgil_box *in, virgil_box *out)`, with
//! its arguments as a MessagePack array in `in` and its reply envelope, `{"ok": value}` or
//! `{"error": record}`, in `out`. This crate writes all of that for an ordinary function:
//!
//! ```
//! use std::fmt;
//!
//! #[derive(Debug)]
//! #[virgil::exception(name = "ZeroDivisionError")]
//! pub struct DivisionByZero;
//!
//! impl fmt::Display for DivisionByZero {
//!     fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
//!         f.write_str("division by zero")
//!     }
//! }
//!
//! impl std::error::Error for DivisionByZero {}
//!
//! /// divide returns a / b.
//! #[virgil::export]
//! pub fn divide(a: f64, b: f64) -> Result<f64, DivisionByZero> {
//!     if b == 0.0 { Err(DivisionByZero) } else { Ok(a / b) }
//! }
//!
//! virgil::library!(name = "maths");
//! # fn main() {
//! #     assert_eq!(virgil::testing::call::<f64>("divide", &(1, 4)), Ok(0.25));
//! #     assert_eq!(virgil::testing::call::<f64>("divide", &(1, 0)).unwrap_err().name, "ZeroDivisionError");
//! # }
//! ```
//!
//! Build the crate as a `cdylib`; the library then exports `divide` and, from this crate,
//! `virgil_realloc`, `virgil_manifest` and `virgil_stats`.
//!
//! # Arguments and results
//!
//! [`#[export]`](export) lifts each argument with serde and rmp-serde after checking it against
//! the parameter's type in the ABI's vocabulary ([`AbiType`]): a wrong count, a value of the wrong
//! type, malformed MessagePack or bytes after the array reply `virgil.ArgumentError` with messages
//! such as `add: argument 2: expected int, got str`. Results are written in the canonical form of
//! ABI.md, section 5 (smallest integers, float 64, structs as maps keyed by field name).
//! Parameters may borrow from the arguments (`&str`, `&[u8]`) and results may borrow from
//! parameters, so large byte strings are copied once, into the reply. The kit's libraries accept
//! borrowed bytes (ABI.md section 16, the manifest's `"borrow": true`): a byte string or string
//! the host lends for the call is read wherever one is accepted (`&[u8]` and `&str` parameters
//! borrow it without a copy), and a byte string of the result inside a lent parameter is replied
//! as a view of it, not copied. Use [`Value`] for `any`,
//! [`Timestamp`] for `time`, `Vec<u8>`, `&[u8]` or [`ByteBuf`] for `bytes`, and derive
//! [`AbiType`] next to serde's traits for records.
//!
//! # Errors
//!
//! A function returning `Result<T, E>` replies `{"error": record}` for `Err(e)`, where `E` is any
//! `std::error::Error + 'static`, [`Error`], [`Exception`] or a plain `String`, `&str` or
//! `Box<dyn Error>` (see [`IntoException`]). The record ([`Exception`]) has one level per error of
//! the `source` chain. Each level's name comes from [`ExceptionInfo`] when the type implements it
//! (usually through [`#[exception]`](exception)), from the shared names of ABI.md section 7.1 for
//! std's errors (an `io::Error` by its errno or kind: `FileNotFoundError`, `PermissionError`, …;
//! `ParseIntError` as `ValueError` or `OverflowError`), or from the type's bare name
//! (`QuotaError`); plain strings are `Exception`. Its message is its `Display` without the text of
//! its cause; its attributes are `errno` and `filename` (attach a path with [`WithPath`]) and a
//! registered `Serialize` type's fields; its traceback comes from the backtrace the error carries
//! ([`ExceptionInfo::exception_backtrace`]: the kit's [`Backtrace`] or
//! `std::backtrace::Backtrace`), or from the one [`Error`] captures when `?` converts into it.
//! [`Context`] adds a transparent level with a text (`.context("load config")`). The outermost
//! level of a failure without frames gets one frame naming the exported function. Files are shown
//! relative to their crate (`src/lib.rs`).
//!
//! # Closures
//!
//! A parameter of type [`Callback<fn(A, ...) -> R>`](Callback) takes a function of the host's
//! (ABI.md, section 15), called with [`Callback::call`]; a failure is a [`ClosureError`] that
//! carries the closure's record whole. A `Callback` is valid during its call only (its lifetime is
//! the call's); [`Callback::retain`] gives a [`RetainedCallback`] that may be kept anywhere and
//! releases the closure when dropped.
//!
//! # Panics
//!
//! Every export runs its function under `catch_unwind`: a panic becomes `virgil.Panic` with the
//! panic's message, the panicking frames and a note of its location, and never unwinds into the
//! host. The location and frames come from a panic hook the kit installs on the first call: it
//! records panics on threads inside an export call, quietly (the caller reports them), and hands
//! every other panic to the hook installed before it. This needs
//! `panic = "unwind"`, Rust's default: with `panic = "abort"` a panic would kill the host process
//! before anything could catch it, so the crate refuses to build that way.
//!
//! # Backtraces
//!
//! The panic hook, [`Error`] and error types that keep their own frames capture a [`Backtrace`]:
//! the frames up to the export call under way (never the host's), resolved to names and lines
//! only when a record is written. Capturing is on by default (`RUST_LIB_BACKTRACE=0` turns it
//! off; see [`backtraces_enabled`]) and costs microseconds; the first resolution reads the
//! library's debug info (milliseconds). Errors that carry a `std::backtrace::Backtrace` work too,
//! but std resolves every frame of the process's stack, which under a host with many libraries
//! (Python) costs hundreds of milliseconds per backtrace. File and line need debug info;
//! `debug = "limited"` in the release profile also gives inlined functions their full paths.
//!
//! # Threads
//!
//! Exported functions may be called from any thread, concurrently. The kit's own state is the
//! allocation counters (atomics) and, per thread, what the panic hook recorded.

// Failures travel as `Exception`, the ABI's record: 152 bytes of plain fields, on the cold path.
#![allow(clippy::result_large_err)]

#[cfg(panic = "abort")]
compile_error!(
    "virgil needs panic = \"unwind\": an exported function must catch a panic and reply \
     virgil.Panic, and with panic = \"abort\" a panic kills the host process before anything can \
     catch it. Remove `panic = \"abort\"` from the profile of the library that uses virgil."
);

mod alloc;
mod backtrace;
mod bounded;
mod builtins;
mod call;
mod check;
mod closure;
mod codec;
mod context;
mod convert;
mod error;
mod exception;
mod export;
mod ffi;
mod lent;
mod macro_support;
mod manifest;
pub mod names;
mod panic;
mod raw_closure;
mod reply;
mod scan;
mod standard;
mod timestamp;
mod types;
mod value;

pub mod testing;

pub use alloc::{Stats, stats};
pub use backtrace::{Backtrace, Traceback, enabled as backtraces_enabled};
pub use builtins::{virgil_manifest, virgil_stats};
pub use call::IntoReply;
pub use closure::{CLOSURE_ERROR, Callback, ClosureError, RetainedCallback, Signature};
pub use codec::{CodecError, Envelope, decode, encode, lift};
pub use context::{Context, ContextError, PathError, WithPath};
pub use convert::{ExceptionInfo, IntoException};
pub use error::Error;
pub use exception::{
    Attributes, Exception, Frame, LANGUAGE, MAX_ATTRIBUTES, MAX_CHAIN, MAX_FRAMES, fold,
};
pub use ffi::{VirgilBox, VirgilFn, virgil_realloc};
pub use macro_support::serialized_attributes;
pub use manifest::{ABI_VERSION, FunctionInfo, Manifest, ParamInfo, manifest};
pub use raw_closure::{
    CLOSURE_EXT, CLOSURE_LEN, ClosureCallFn, ClosureEnvFn, ClosureReallocFn, RawClosure,
};
pub use scan::MAX_DEPTH;
pub use serde_bytes::{self, ByteBuf, Bytes};
pub use standard::{errno_name, io_error_name};
pub use timestamp::Timestamp;
pub use types::{AbiType, Field, Ty};
pub use value::Value;

/// Exports a function under the ABI.
///
/// ```
/// /// add returns a + b.
/// #[virgil::export]
/// fn add(a: i64, b: i64) -> i64 {
///     a + b
/// }
/// # fn main() { assert_eq!(virgil::testing::call::<i64>("add", &(1, 2)), Ok(3)); }
/// ```
///
/// The function stays as it is; the attribute adds a symbol with the ABI's signature, under the
/// function's name or the one given as `#[virgil::export(name = "other")]`, and registers it for
/// the manifest with its parameter names and types, result type and doc comment.
///
/// Parameters implement [`AbiType`] and `serde::Deserialize` (they may borrow: `&str`, `&[u8]`);
/// `Vec<u8>`, `&[u8]` and `Box<[u8]>` cross as `bytes`. The result is an [`AbiType`] that
/// implements `serde::Serialize`, `()` or nothing for `nil`, or a `Result` of one whose error
/// implements [`IntoException`]. The function may not be generic (lifetimes are fine), `async`
/// or a method.
pub use virgil_macros::export;

/// Names an error type and registers it, so that the kit recognizes it anywhere in a cause chain.
///
/// On a struct or enum it implements [`ExceptionInfo`], with the name given
/// (`#[virgil::exception(name = "ZeroDivisionError")]`) or the type's path. On an
/// `impl ExceptionInfo for T` block it keeps the implementation and registers `T`.
pub use virgil_macros::exception;

/// Derives [`AbiType`] for a struct (a record, keyed by field name as serde writes it, honouring
/// `rename`, `rename_all`, `skip` and `with = "serde_bytes"`), a newtype struct (its field's type)
/// or an enum (`str` when every variant is a unit, else `any`).
pub use virgil_macros::AbiType;

/// Declares the library's name (and version) for the manifest; once per library.
///
/// ```
/// virgil::library!(name = "conformance");
/// // or, with a version other than the package's:
/// // virgil::library!(name = "conformance", version = "2.0.0");
/// # fn main() {}
/// ```
///
/// The version defaults to the package's (`CARGO_PKG_VERSION`). Without a declaration, the
/// manifest names the package that exports the functions.
#[macro_export]
macro_rules! library {
    (name = $name:expr $(,)?) => {
        $crate::library!(name = $name, version = ::core::env!("CARGO_PKG_VERSION"));
    };
    (name = $name:expr, version = $version:expr $(,)?) => {
        const _: () = {
            #[$crate::__private::linkme::distributed_slice($crate::__private::LIBRARY)]
            #[linkme(crate = $crate::__private::linkme)]
            static __VIRGIL_LIBRARY: $crate::__private::Library = $crate::__private::Library {
                name: $name,
                version: $version,
            };
        };
    };
}

/// What the macros expand to; not a stable API.
#[doc(hidden)]
pub mod __private {
    pub use crate::call::{Body, Call, serve};
    pub use crate::convert::{EXCEPTION_TYPES, ExceptionType};
    pub use crate::export::{Export, Param};
    pub use crate::macro_support::{
        Attrs, NoAttributes, PlainError, SerializedAttributes, plain_error,
    };
    pub use crate::manifest::{EXPORTS, LIBRARY, Library};
    pub use linkme;
}

/// The README's code blocks, compiled and run as doctests so that they cannot drift.
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
mod readme {}
