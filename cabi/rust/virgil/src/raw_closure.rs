//! The wire form of a closure (ABI.md, section 15): the extension type 64 with five
//! little-endian words, `call`, `env`, `realloc`, `retain`, `release`. Calling one, and lifting
//! one into a [`Callback`](crate::Callback), is the calling convention's (`closure.rs`); this
//! module is what the codec and the argument checks need to know of it.

use std::ffi::c_void;

use serde::Serialize;
use serde::ser::Serializer;
use serde_bytes::Bytes;

use crate::ffi::VirgilBox;
use crate::timestamp::EXT_STRUCT;

/// The extension type of a closure.
pub const CLOSURE_EXT: i8 = 64;

/// The length of a closure's payload: five 64-bit words.
pub const CLOSURE_LEN: usize = 40;

/// A closure's `call`: `void (*)(void *env, const virgil_box *in, virgil_box *out)`, with the
/// contract of an exported function (scratch buffer included).
pub type ClosureCallFn =
    unsafe extern "C" fn(env: *mut c_void, input: *const VirgilBox, output: *mut VirgilBox);

/// A closure side's allocator, `realloc` semantics: frees a reply `call` put in its own memory.
pub type ClosureReallocFn = unsafe extern "C" fn(ptr: *mut c_void, size: usize) -> *mut c_void;

/// A closure's `retain` or `release`: `void (*)(void *env)`.
pub type ClosureEnvFn = unsafe extern "C" fn(env: *mut c_void);

/// The five words of a closure as they cross (ABI.md, section 15).
///
/// Serializing one writes the extension value (`c7 28 40` and the words); hosts written in Rust,
/// and tests, pass closures that way. Making one from bytes is `unsafe`
/// ([`from_payload`](RawClosure::from_payload)): the words are code and data pointers.
///
/// The words own nothing and are copied freely: the closure and `env` belong to the closure's
/// side. They are valid while the call they were passed to lasts and, after a `retain`, until the
/// matching `release`; any thread may use them meanwhile (ABI.md section 15). A reply `call` puts
/// in the side's memory is the side's, freed with its `realloc` by whoever read it.
#[derive(Clone, Copy, Debug)]
pub struct RawClosure {
    /// Calls the function.
    pub call: ClosureCallFn,
    /// The closure side's handle, given to every call, retain and release.
    pub env: *mut c_void,
    /// Frees a reply `call` put in the closure side's memory.
    pub realloc: ClosureReallocFn,
    /// Keeps the closure valid after the call it was passed to.
    pub retain: ClosureEnvFn,
    /// Gives up one retain.
    pub release: ClosureEnvFn,
}

// SAFETY: the words are a C function pointer and a handle; ABI.md, section 15 lets `call`,
// `retain` and `release` be called from any thread, concurrently.
unsafe impl Send for RawClosure {}
// SAFETY: as above.
unsafe impl Sync for RawClosure {}

impl RawClosure {
    /// The 40 bytes of the extension's payload: the five words, little-endian.
    pub fn to_payload(&self) -> [u8; CLOSURE_LEN] {
        let words = [
            self.call as usize,
            self.env as usize,
            self.realloc as usize,
            self.retain as usize,
            self.release as usize,
        ];
        let mut payload = [0u8; CLOSURE_LEN];
        for (chunk, word) in payload.chunks_exact_mut(8).zip(words) {
            chunk.copy_from_slice(&(word as u64).to_le_bytes());
        }
        payload
    }

    /// Why `payload` cannot be a closure's: not 40 bytes, or a null function pointer. Reading the
    /// words is safe; making function pointers of them is not.
    pub fn check_payload(payload: &[u8]) -> Result<(), &'static str> {
        if payload.len() != CLOSURE_LEN {
            return Err("a closure's payload is 40 bytes");
        }
        let word = |i: usize| {
            let mut w = [0u8; 8];
            w.copy_from_slice(&payload[i * 8..i * 8 + 8]);
            u64::from_le_bytes(w)
        };
        match (word(0), word(2), word(3), word(4)) {
            (0, _, _, _) => Err("a closure with a null call pointer"),
            (_, 0, _, _) => Err("a closure with a null realloc pointer"),
            (_, _, 0, _) => Err("a closure with a null retain pointer"),
            (_, _, _, 0) => Err("a closure with a null release pointer"),
            _ => Ok(()),
        }
    }

    /// The closure whose payload is `payload`.
    ///
    /// # Safety
    ///
    /// The words are a closure of this process as ABI.md, section 15 describes it: `call`,
    /// `realloc`, `retain` and `release` are functions with those signatures.
    pub unsafe fn from_payload(payload: &[u8]) -> Result<Self, &'static str> {
        Self::check_payload(payload)?;
        let word = |i: usize| {
            let mut w = [0u8; 8];
            w.copy_from_slice(&payload[i * 8..i * 8 + 8]);
            u64::from_le_bytes(w) as usize
        };
        // SAFETY: the words are non-null (checked) and, by the caller's promise, functions of
        // these signatures.
        unsafe {
            Ok(RawClosure {
                call: std::mem::transmute::<usize, ClosureCallFn>(word(0)),
                env: word(1) as *mut c_void,
                realloc: std::mem::transmute::<usize, ClosureReallocFn>(word(2)),
                retain: std::mem::transmute::<usize, ClosureEnvFn>(word(3)),
                release: std::mem::transmute::<usize, ClosureEnvFn>(word(4)),
            })
        }
    }
}

impl Serialize for RawClosure {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer
            .serialize_newtype_struct(EXT_STRUCT, &(CLOSURE_EXT, Bytes::new(&self.to_payload())))
    }
}
