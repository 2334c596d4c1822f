//! Calling exported functions in-process, the way a host calls them, for a guest's own tests.
//!
//! ```
//! #[virgil::export]
//! fn twice(x: i64) -> i64 {
//!     2 * x
//! }
//!
//! # fn main() {
//! let got: i64 = virgil::testing::call("twice", &(21,)).unwrap();
//! assert_eq!(got, 42);
//! # }
//! ```

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::alloc::counted_realloc;
use crate::codec::{self, Envelope};
use crate::exception::Exception;
use crate::ffi::{VirgilBox, VirgilFn, virgil_manifest, virgil_stats};
use crate::manifest::EXPORTS;

/// The scratch buffer [`call`] lends, as large as the Go host's.
pub const SCRATCH: usize = 16 << 10;

/// The symbol a library exports under `name`: a `#[virgil::export]` function of this binary, or
/// `virgil_manifest` or `virgil_stats`.
pub fn symbol(name: &str) -> Option<VirgilFn> {
    match name {
        "virgil_manifest" => Some(virgil_manifest),
        "virgil_stats" => Some(virgil_stats),
        _ => EXPORTS.iter().find(|e| e.name == name).map(|e| e.symbol),
    }
}

/// What a call replied, copied out.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RawReply {
    /// The reply's bytes; empty when the guest could not allocate one (`{NULL, 0}`).
    pub bytes: Vec<u8>,
    /// Whether the reply came back in the scratch buffer rather than in memory the guest
    /// allocated (which was then freed with its allocator).
    pub in_scratch: bool,
}

/// Calls `f` with `args` as its argument bytes and a scratch buffer of `scratch` bytes (none for
/// 0), following the protocol of ABI.md, section 3, to the letter.
pub fn call_raw(f: VirgilFn, args: &[u8], scratch: usize) -> RawReply {
    let input = VirgilBox {
        ptr: if args.is_empty() {
            std::ptr::null_mut()
        } else {
            args.as_ptr().cast_mut()
        },
        len: args.len() as u64,
    };
    let mut lent = vec![0u8; scratch];
    let lent_ptr = if scratch == 0 {
        std::ptr::null_mut()
    } else {
        lent.as_mut_ptr()
    };
    let mut out = VirgilBox {
        ptr: lent_ptr,
        len: scratch as u64,
    };
    // SAFETY: the boxes follow the ABI: `input` borrows `args`, `out` lends `lent`.
    unsafe { f(&input, &mut out) };
    if out.ptr.is_null() {
        return RawReply {
            bytes: Vec::new(),
            in_scratch: false,
        };
    }
    let len = usize::try_from(out.len).expect("a reply fits memory");
    if out.ptr == lent_ptr {
        assert!(len <= scratch, "the reply overran the scratch buffer");
        return RawReply {
            bytes: lent[..len].to_vec(),
            in_scratch: true,
        };
    }
    // SAFETY: the guest allocated `len` bytes at `out.ptr`; they are ours to read and free.
    let bytes = unsafe { std::slice::from_raw_parts(out.ptr, len) }.to_vec();
    // SAFETY: as above, freed once, with the guest's allocator.
    unsafe { counted_realloc(out.ptr, 0) };
    RawReply {
        bytes,
        in_scratch: false,
    }
}

/// Calls the exported function `name` with `args` (a tuple or a slice: they travel as an array;
/// `()` is no arguments) and lifts its reply: the result, or the exception record it replied.
///
/// # Panics
///
/// When there is no such function, or the reply is not an envelope of an `R`: the test fails.
pub fn call<R: DeserializeOwned>(name: &str, args: &impl Serialize) -> Result<R, Exception> {
    let f = symbol(name).unwrap_or_else(|| panic!("no exported function {name:?}"));
    let mut args = codec::encode(args).expect("the arguments encode");
    if args == [0xc0] {
        args = vec![0x90]; // `()` writes nil; no arguments are the empty array
    }
    let reply = call_raw(f, &args, SCRATCH);
    assert!(
        !reply.bytes.is_empty(),
        "{name} could not allocate its reply"
    );
    codec::decode::<Envelope<R>>(&reply.bytes)
        .unwrap_or_else(|e| panic!("{name} replied {:02x?}: {e}", reply.bytes))
        .into_result()
}
