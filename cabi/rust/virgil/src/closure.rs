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
use std::marker::PhantomData;

use serde::de::{self, DeserializeOwned, Deserializer};
use serde::{Deserialize, Serialize};
use serde_bytes::ByteBuf;

use crate::raw_closure::{CLOSURE_EXT, RawClosure};
use crate::timestamp::EXT_STRUCT;
use crate::types::{AbiType, Ty};

mod error;
mod invoke;

pub use error::{CLOSURE_ERROR, ClosureError};
use invoke::invoke;

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
///
/// It owns nothing: the closure is the host's, kept alive for the call, and `'a` (the
/// arguments' lifetime) keeps the `Callback` inside the call. To keep the closure longer,
/// [`retain`](Callback::retain) it.
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
///
/// It owns one retain of the closure (the closure itself stays its side's); the closure lives
/// while any retain does. Any thread may call, clone or drop it (ABI.md section 15).
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codec;
    use crate::ffi::VirgilBox;
    use std::ffi::c_void;
    use std::ptr;

    unsafe extern "C" fn nop_call(_: *mut c_void, _: *const VirgilBox, _: *mut VirgilBox) {}
    unsafe extern "C" fn nop_realloc(_: *mut c_void, _: usize) -> *mut c_void {
        ptr::null_mut()
    }
    unsafe extern "C" fn nop_env(_: *mut c_void) {}

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
