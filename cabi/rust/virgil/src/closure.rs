//! Closures (ABI.md, section 15): function values a host passes to an exported function, which
//! the guest calls back across the boundary.
//!
//! A closure crosses as the extension type 64 with five little-endian words: `call`, `env`,
//! `realloc`, `retain`, `release` ([`RawClosure`]). A parameter of type [`Callback`] lifts it into
//! something that is called like a Rust function, with typed arguments and result:
//!
//! ```
//! use virgil::{Callback, ClosureError};
//!
//! /// apply returns f(x).
//! #[virgil::export]
//! fn apply(f: Callback<fn(i64) -> i64>, x: i64) -> Result<i64, ClosureError> {
//!     f.call(x)
//! }
//! # fn main() {}
//! ```
//!
//! A [`Callback`] is valid only during the call it was passed to, which its lifetime enforces: it
//! borrows the call's arguments, so it cannot be kept in a `static`. To keep one, [`retain`] it:
//! the [`RetainedCallback`] it returns is `'static`, `Send` and `Sync`, and releases the closure
//! exactly once when dropped.
//!
//! [`retain`]: Callback::retain

use std::cell::Cell;
use std::fmt;
use std::io;
use std::marker::PhantomData;

use serde::de::{self, DeserializeOwned, Deserializer};
use serde::{Deserialize, Serialize};
use serde_bytes::ByteBuf;

use crate::backtrace::{Backtrace, Traceback};
use crate::check;
use crate::codec;
use crate::convert::{ExceptionInfo, ExceptionType};
use crate::exception::Exception;
use crate::ffi::VirgilBox;
use crate::names;
use crate::raw_closure::{CLOSURE_EXT, ClosureReallocFn, RawClosure};
use crate::scan;
use crate::timestamp::EXT_STRUCT;
use crate::types::{AbiType, Ty};

thread_local! {
    /// Whether this thread is lifting the arguments of an export call: the only bytes a closure
    /// may be lifted from, since only the host vouches for the pointers in them.
    static LIFTING: Cell<bool> = const { Cell::new(false) };
}

/// Runs `f` (the lifting of an export's argument) with closures allowed.
pub(crate) fn lifting_arguments<T>(f: impl FnOnce() -> T) -> T {
    struct Restore(bool);
    impl Drop for Restore {
        fn drop(&mut self) {
            LIFTING.with(|l| l.set(self.0));
        }
    }
    let _restore = Restore(LIFTING.with(|l| l.replace(true)));
    f()
}

/// A function type that a [`Callback`] can have: `fn(A, B, ...) -> R` with up to six parameters,
/// each an [`AbiType`] that serializes, and a result that is an [`AbiType`] and deserializes
/// (`()` for none). Parameter types are owned (`String`, not `&str`).
pub trait Signature: 'static {
    /// `fn(A, B) -> R` in the vocabulary.
    const TYPE: Ty;
}

/// What a [`Callback`] holds besides its words: the call's lifetime and, without owning one, `F`.
type CallbackMarker<'a, F> = (&'a (), fn() -> F);

/// A closure the host passed to an exported function, valid during that call: `'a` is the call's.
///
/// `F` is its Rust type, `fn(i64) -> i64`, which is also its type in the manifest
/// (`fn(int) -> int`). [`call`](Callback::call) takes the arguments and returns the result or a
/// [`ClosureError`] carrying the closure's exception record.
///
/// It is `Send` and `Sync`: a closure may be called from any thread (scoped threads, for
/// instance), while the call it was passed to lasts.
pub struct Callback<'a, F: Signature> {
    raw: RawClosure,
    _marker: PhantomData<CallbackMarker<'a, F>>,
}

impl<F: Signature> Clone for Callback<'_, F> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<F: Signature> Copy for Callback<'_, F> {}

impl<F: Signature> fmt::Debug for Callback<'_, F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Callback({})", F::TYPE)
    }
}

impl<F: Signature> AbiType for Callback<'_, F> {
    const TYPE: Ty = F::TYPE;
}

impl<'a, F: Signature> Callback<'a, F> {
    /// The callback of these words, valid for `'a`.
    ///
    /// # Safety
    ///
    /// `raw` is a closure of type `F` (ABI.md, section 15) that stays valid for `'a`.
    pub unsafe fn from_raw(raw: RawClosure) -> Self {
        Callback {
            raw,
            _marker: PhantomData,
        }
    }

    /// Its words.
    pub fn raw(&self) -> RawClosure {
        self.raw
    }

    /// Keeps the closure beyond the call it was passed to: calls its `retain`. The handle releases
    /// it, once, when dropped.
    pub fn retain(&self) -> RetainedCallback<F> {
        // SAFETY: the closure is valid during this call ('a), which is when retain must come.
        unsafe { (self.raw.retain)(self.raw.env) };
        RetainedCallback {
            raw: self.raw,
            _marker: PhantomData,
        }
    }
}

impl<'de, F: Signature> Deserialize<'de> for Callback<'de, F> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct ClosureVisitor;

        impl<'de> de::Visitor<'de> for ClosureVisitor {
            type Value = RawClosure;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a closure (the MessagePack extension 64)")
            }

            fn visit_newtype_struct<D: Deserializer<'de>>(
                self,
                d: D,
            ) -> Result<RawClosure, D::Error> {
                let (tag, data): (i8, ByteBuf) = Deserialize::deserialize(d)?;
                if tag != CLOSURE_EXT {
                    return Err(de::Error::custom(format_args!(
                        "expected a closure (extension 64), got extension {tag}"
                    )));
                }
                if !LIFTING.with(Cell::get) {
                    return Err(de::Error::custom(
                        "a closure can only be lifted as an argument of an exported function",
                    ));
                }
                // SAFETY: these are the arguments of an export call, whose host lowered the
                // closure following ABI.md, section 15.
                unsafe { RawClosure::from_payload(&data) }.map_err(de::Error::custom)
            }
        }

        let raw = deserializer.deserialize_newtype_struct(EXT_STRUCT, ClosureVisitor)?;
        // SAFETY: a closure lifted from the arguments of a call is valid while the arguments are
        // ('de is the call's lifetime); its type is the parameter's, which the host was told in
        // the manifest.
        Ok(unsafe { Callback::from_raw(raw) })
    }
}

/// A retained closure: valid until dropped, when it calls the closure's `release` exactly once.
///
/// It is `'static`, `Send` and `Sync`, so it can live in a global `Mutex` or another thread.
/// `clone` retains the closure once more.
pub struct RetainedCallback<F: Signature> {
    raw: RawClosure,
    _marker: PhantomData<fn() -> F>,
}

impl<F: Signature> RetainedCallback<F> {
    /// Its words.
    pub fn raw(&self) -> RawClosure {
        self.raw
    }
}

impl<F: Signature> Clone for RetainedCallback<F> {
    fn clone(&self) -> Self {
        // SAFETY: retained, hence valid.
        unsafe { (self.raw.retain)(self.raw.env) };
        RetainedCallback {
            raw: self.raw,
            _marker: PhantomData,
        }
    }
}

impl<F: Signature> Drop for RetainedCallback<F> {
    fn drop(&mut self) {
        // SAFETY: the retain this handle holds, given up once.
        unsafe { (self.raw.release)(self.raw.env) };
    }
}

impl<F: Signature> fmt::Debug for RetainedCallback<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "RetainedCallback({})", F::TYPE)
    }
}

macro_rules! signatures {
    ($(($($arg:ident $var:ident),*)),* $(,)?) => {$(
        impl<$($arg: Serialize + AbiType + 'static,)* R: DeserializeOwned + AbiType + 'static>
            Signature for fn($($arg),*) -> R
        {
            const TYPE: Ty = Ty::Func(&[$($arg::TYPE),*], &R::TYPE);
        }

        impl<$($arg: Serialize + AbiType + 'static,)* R: DeserializeOwned + AbiType + 'static>
            Callback<'_, fn($($arg),*) -> R>
        {
            /// Calls the closure with these arguments: its result, or a [`ClosureError`] with the
            /// exception record it replied (or the kit's, when the reply could not be read).
            #[allow(clippy::too_many_arguments)]
            pub fn call(&self, $($var: $arg),*) -> Result<R, ClosureError> {
                invoke(&self.raw, &($($var,)*), &<fn($($arg),*) -> R as Signature>::TYPE)
            }
        }

        impl<$($arg: Serialize + AbiType + 'static,)* R: DeserializeOwned + AbiType + 'static>
            RetainedCallback<fn($($arg),*) -> R>
        {
            /// Calls the closure with these arguments: its result, or a [`ClosureError`] with the
            /// exception record it replied (or the kit's, when the reply could not be read).
            #[allow(clippy::too_many_arguments)]
            pub fn call(&self, $($var: $arg),*) -> Result<R, ClosureError> {
                invoke(&self.raw, &($($var,)*), &<fn($($arg),*) -> R as Signature>::TYPE)
            }
        }
    )*};
}

signatures! {
    (),
    (A a),
    (A a, B b),
    (A a, B b, C c),
    (A a, B b, C c, D d),
    (A a, B b, C c, D d, E e),
    (A a, B b, C c, D d, E e, G g),
}

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
    fn new(record: Exception, signature: &Ty) -> Self {
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

/// The arguments, on the stack while they fit.
struct ArgBuf {
    stack: [u8; ARG_STACK],
    len: usize,
    heap: Vec<u8>,
}

const ARG_STACK: usize = 256;

/// The scratch buffer lent to a closure's call.
const SCRATCH: usize = 1024;

impl ArgBuf {
    fn bytes(&self) -> &[u8] {
        if self.heap.is_empty() {
            &self.stack[..self.len]
        } else {
            &self.heap
        }
    }
}

impl io::Write for ArgBuf {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        if self.heap.is_empty() && self.len + data.len() <= ARG_STACK {
            self.stack[self.len..self.len + data.len()].copy_from_slice(data);
            self.len += data.len();
        } else {
            if self.heap.is_empty() {
                self.heap.extend_from_slice(&self.stack[..self.len]);
            }
            self.heap.extend_from_slice(data);
        }
        Ok(data.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// The first byte the scratch buffer gets before a call: `0xc1` is never valid MessagePack.
const UNWRITTEN: u8 = 0xc1;

/// The largest reply a closure may give (ABI.md sections 2 and 11): 1 GiB.
pub const MAX_REPLY: usize = 1 << 30;

/// Where a closure's reply is, once its box passed the checks of ABI.md section 2.
#[derive(Debug, PartialEq, Eq)]
enum ReplyBox {
    /// In the scratch buffer lent to the call: its first `len` bytes.
    Scratch(usize),
    /// In the closure side's memory, `len` bytes, to be freed with its `realloc` (also when
    /// `len` is beyond the maximum: the reply is then freed unread).
    Owned(usize),
}

/// Checks a closure's reply box before a byte of it is read or anything freed (ABI.md section
/// 2, in its order): `{NULL, 0}` is `virgil.OutOfMemory`; NULL with a length, a pointer with no
/// length, the scratch pointer with more than its capacity, a pointer into the arguments or the
/// scratch buffer other than the scratch pointer itself (never freed: it is ours), and the
/// scratch buffer left as it was lent (`first` still [`UNWRITTEN`]) are `virgil.ProtocolError`.
fn check_reply_box(
    out: &VirgilBox,
    scratch: *mut u8,
    first: u8,
    input: &[u8],
) -> Result<ReplyBox, (&'static str, String)> {
    let protocol = |message: String| Err((names::PROTOCOL_ERROR, message));
    let (ptr, len) = (out.ptr, out.len);
    if ptr.is_null() && len == 0 {
        return Err((
            names::OUT_OF_MEMORY,
            "the closure could not allocate its reply".into(),
        ));
    }
    if ptr.is_null() {
        return protocol(format!("a NULL reply pointer with a length of {len}"));
    }
    if len == 0 {
        return protocol("a reply pointer with a length of 0".into());
    }
    if ptr == scratch {
        if len > SCRATCH as u64 {
            return protocol(format!(
                "the reply claims {len} bytes of a scratch buffer of {SCRATCH}"
            ));
        }
        if len == SCRATCH as u64 && first == UNWRITTEN {
            return protocol("the closure wrote no reply".into());
        }
        return Ok(ReplyBox::Scratch(len as usize));
    }
    let inside = |start: *const u8, n: usize| {
        let (p, s) = (ptr as usize, start as usize);
        n > 0 && s <= p && p < s.saturating_add(n)
    };
    if inside(scratch, SCRATCH) {
        return protocol("the reply points inside the scratch buffer lent to it".into());
    }
    if inside(input.as_ptr(), input.len()) {
        return protocol("the reply points into its own arguments".into());
    }
    Ok(ReplyBox::Owned(usize::try_from(len).unwrap_or(usize::MAX)))
}

/// A reply in the closure side's memory, freed with its `realloc` when dropped.
struct Owned {
    ptr: *mut u8,
    realloc: ClosureReallocFn,
}

impl Drop for Owned {
    fn drop(&mut self) {
        // SAFETY: the closure's reply, in its memory, freed once with its allocator (ABI.md,
        // section 3, step 4).
        unsafe { (self.realloc)(self.ptr.cast(), 0) };
    }
}

/// One call of a closure: lowers the arguments (a tuple, `()` for none), calls, lifts the reply.
#[inline(never)]
fn invoke<A: Serialize, R: DeserializeOwned>(
    raw: &RawClosure,
    args: &A,
    signature: &Ty,
) -> Result<R, ClosureError> {
    invoke_record(raw, args, signature).map_err(|record| ClosureError::new(record, signature))
}

fn invoke_record<A: Serialize, R: DeserializeOwned>(
    raw: &RawClosure,
    args: &A,
    signature: &Ty,
) -> Result<R, Exception> {
    let Ty::Func(params, result) = signature else {
        unreachable!("a Signature's type is a function type")
    };
    let mut buf = ArgBuf {
        stack: [0; ARG_STACK],
        len: 0,
        heap: Vec::new(),
    };
    if params.is_empty() {
        buf.len = 1;
        buf.stack[0] = 0x90; // `()` would write nil; no arguments are the empty array
    } else {
        codec::write(&mut buf, args).map_err(|e| {
            Exception::new(
                if crate::bounded::is_too_long(&e) {
                    names::LIMIT_EXCEEDED
                } else {
                    names::ARGUMENT_ERROR
                },
                format!("callback {signature}: the arguments could not be lowered: {e}"),
            )
        })?;
    }
    let input = buf.bytes();
    let input_box = VirgilBox {
        ptr: input.as_ptr().cast_mut(),
        len: input.len() as u64,
    };
    let mut scratch = [0u8; SCRATCH];
    // An unwritten reply stays exactly {scratch, SCRATCH} with this first byte, never the first
    // byte of MessagePack (ABI.md section 2, check 6).
    scratch[0] = UNWRITTEN;
    let scratch_ptr = scratch.as_mut_ptr();
    let mut out = VirgilBox {
        ptr: scratch_ptr,
        len: SCRATCH as u64,
    };
    // SAFETY: the closure is valid (a Callback during its call, a RetainedCallback until
    // released); `in` borrows the arguments and `out` lends the scratch buffer, by the ABI.
    unsafe { (raw.call)(raw.env, &input_box, &mut out) };

    let failure = |name: &str, message: String| {
        Exception::new(name, format!("callback {signature}: {message}"))
    };
    let checked = check_reply_box(&out, scratch_ptr, scratch[0], input);
    let _owned;
    let reply: &[u8] = match checked {
        Err((name, message)) => return Err(failure(name, message)),
        Ok(ReplyBox::Scratch(len)) => &scratch[..len],
        Ok(ReplyBox::Owned(len)) => {
            _owned = Owned {
                ptr: out.ptr,
                realloc: raw.realloc,
            };
            if len > MAX_REPLY {
                return Err(failure(
                    names::LIMIT_EXCEEDED,
                    format!("a reply of {len} bytes is larger than the maximum of {MAX_REPLY}"),
                ));
            }
            // SAFETY: the closure replied `len` bytes at `out.ptr` in its own memory (not ours:
            // checked), ours until freed (by `_owned`).
            unsafe { std::slice::from_raw_parts(out.ptr, len) }
        }
    };
    if reply.is_empty() {
        return Err(failure(names::RESULT_ERROR, "an empty reply".into()));
    }
    let (ok, start) = scan::envelope(reply)
        .map_err(|e| failure(names::RESULT_ERROR, format!("a malformed reply: {e}")))?;
    let value = &reply[start..];
    if !ok {
        return Err(Exception::decode(value).map_err(|e| {
            failure(
                e.name(names::RESULT_ERROR),
                format!("a malformed exception record: {e}"),
            )
        })?);
    }
    let mut patches = Vec::new();
    check::check_value(value, result, &mut patches).map_err(|e| {
        let (name, what) = if e.is_limit() {
            (names::LIMIT_EXCEEDED, "the result")
        } else if e.is_malformed() {
            (names::RESULT_ERROR, "a malformed result")
        } else {
            (names::RESULT_ERROR, "the result")
        };
        failure(name, format!("{what}: {e}"))
    })?;
    let value = check::patched(value, patches, []);
    let mut de = rmp_serde::Deserializer::from_read_ref(&value[..]);
    R::deserialize(&mut de).map_err(|e| failure(names::RESULT_ERROR, format!("the result: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::ffi::c_void;
    use std::ptr;

    unsafe extern "C" fn nop_call(_: *mut c_void, _: *const VirgilBox, _: *mut VirgilBox) {}
    unsafe extern "C" fn nop_realloc(_: *mut c_void, _: usize) -> *mut c_void {
        ptr::null_mut()
    }
    unsafe extern "C" fn nop_env(_: *mut c_void) {}

    #[test]
    fn reply_boxes_are_checked_in_the_order_of_the_abi() {
        let mut scratch = [0u8; SCRATCH];
        let sp = scratch.as_mut_ptr();
        let input = [0x91u8, 0x01];
        let mut theirs = [0u8; 4];
        let tp = theirs.as_mut_ptr();
        let run = |ptr: *mut u8, len: u64, first: u8| {
            check_reply_box(&VirgilBox { ptr, len }, sp, first, &input)
        };
        let name = |r: Result<ReplyBox, (&'static str, String)>| r.unwrap_err().0;
        let null = std::ptr::null_mut();
        assert_eq!(name(run(null, 0, 0)), names::OUT_OF_MEMORY);
        assert_eq!(name(run(null, 5, 0)), names::PROTOCOL_ERROR);
        assert_eq!(name(run(tp, 0, 0)), names::PROTOCOL_ERROR);
        assert_eq!(name(run(sp, SCRATCH as u64 + 1, 0)), names::PROTOCOL_ERROR);
        // SAFETY: pointers one byte into our own buffers, never dereferenced.
        let (into_scratch, into_input) = unsafe { (sp.add(1), input.as_ptr().add(1).cast_mut()) };
        let (_, why) = run(into_scratch, 3, 0).unwrap_err();
        assert!(why.contains("scratch"), "{why}");
        let (_, why) = run(into_input, 1, 0).unwrap_err();
        assert!(why.contains("arguments"), "{why}");
        assert_eq!(
            name(run(sp, SCRATCH as u64, UNWRITTEN)),
            names::PROTOCOL_ERROR
        );
        assert_eq!(
            run(sp, SCRATCH as u64, 0x81),
            Ok(ReplyBox::Scratch(SCRATCH))
        );
        assert_eq!(run(sp, 4, UNWRITTEN), Ok(ReplyBox::Scratch(4)));
        assert_eq!(run(tp, 4, 0), Ok(ReplyBox::Owned(4)));
        assert_eq!(run(tp, 1 << 50, 0), Ok(ReplyBox::Owned(1 << 50)));
    }

    #[test]
    fn payload_round_trip_and_wire_form() {
        let raw = RawClosure {
            call: nop_call,
            env: 0x1234 as *mut c_void,
            realloc: nop_realloc,
            retain: nop_env,
            release: nop_env,
        };
        let bytes = codec::encode(&raw).unwrap();
        assert_eq!(&bytes[..3], &[0xc7, 0x28, 0x40]);
        assert_eq!(&bytes[3..], &raw.to_payload());
        assert_eq!(&bytes[11..19], &0x1234u64.to_le_bytes());
        // SAFETY: the words of a closure of this process.
        let back = unsafe { RawClosure::from_payload(&bytes[3..]) }.unwrap();
        assert_eq!(back.env, raw.env);
        assert_eq!(back.call as usize, raw.call as usize);
    }

    #[test]
    fn bad_payloads() {
        assert!(RawClosure::check_payload(&[0; 39]).is_err());
        assert_eq!(
            RawClosure::check_payload(&[0; 40]),
            Err("a closure with a null call pointer")
        );
        let mut p = [1u8; 40];
        p[32..].fill(0);
        assert_eq!(
            RawClosure::check_payload(&p),
            Err("a closure with a null release pointer")
        );
    }

    #[test]
    fn closures_lift_only_from_arguments() {
        let raw = RawClosure {
            call: nop_call,
            env: ptr::null_mut(),
            realloc: nop_realloc,
            retain: nop_env,
            release: nop_env,
        };
        let bytes = codec::encode(&raw).unwrap();
        let err = codec::decode::<Callback<'_, fn(i64) -> i64>>(&bytes).unwrap_err();
        assert!(err.to_string().contains("only be lifted"), "{err}");
        let f = lifting_arguments(|| codec::decode::<Callback<'_, fn(i64) -> i64>>(&bytes));
        assert_eq!(f.unwrap().raw().env, ptr::null_mut());
    }

    #[test]
    fn signatures_in_the_vocabulary() {
        assert_eq!(
            <fn(i64) -> i64 as Signature>::TYPE.to_string(),
            "fn(int) -> int"
        );
        assert_eq!(
            <fn(i64, Vec<f64>) -> String as Signature>::TYPE.to_string(),
            "fn(int, [float]) -> str"
        );
        assert_eq!(<fn() as Signature>::TYPE.to_string(), "fn() -> nil");
        assert_eq!(
            <Callback<'static, fn(i64, i64) -> i64> as AbiType>::TYPE.to_string(),
            "fn(int, int) -> int"
        );
    }
}
