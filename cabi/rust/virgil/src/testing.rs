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
use crate::builtins::{virgil_manifest, virgil_stats};
use crate::codec::{self, Envelope};
use crate::exception::Exception;
use crate::ffi::{VirgilBox, VirgilFn};
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
    Envelope::<R>::decode(&reply.bytes)
        .unwrap_or_else(|e| panic!("{name} replied {:02x?}: {e}", reply.bytes))
        .into_result()
}

/// A closure of the test's own, passed to an export as a host passes one (ABI.md, section 15):
/// a Rust function over the argument values, behind a handle table, with the lifetime rules of
/// the ABI and counters of what the guest did with it.
///
/// ```
/// use virgil::testing::{TestClosure, call};
/// use virgil::{Callback, ClosureError, Value};
///
/// #[virgil::export]
/// fn apply(f: Callback<fn(i64) -> i64>, x: i64) -> Result<i64, ClosureError> {
///     f.call(x)
/// }
///
/// # fn main() {
/// let double = TestClosure::new(|args| match args[..] {
///     [Value::Int(x)] => Ok(Value::Int(2 * x)),
///     _ => unreachable!(),
/// });
/// assert_eq!(call::<i64>("apply", &(double.raw(), 21)), Ok(42));
/// double.end_call();
/// assert_eq!((double.calls(), double.is_valid()), (1, false));
/// # }
/// ```
///
/// The closure is valid from its creation until [`end_call`](TestClosure::end_call) (the end of
/// the call it was passed to) and then while retained; calling it afterwards replies
/// `virgil.ReleasedClosure`. Dropping it ends it for good. Replies go into the scratch buffer the
/// guest lends when they fit, else (or always, after
/// [`reply_in_own_memory`](TestClosure::reply_in_own_memory)) into memory of the closure side's
/// allocator, which [`closure_replies_live`] counts.
pub struct TestClosure {
    env: u64,
}

type TestFn = dyn Fn(Vec<crate::Value>) -> Result<crate::Value, Exception> + Send + Sync;

struct Slot {
    generation: u32,
    func: Option<std::sync::Arc<TestFn>>,
    passed: bool,
    retains: u64,
    calls: u64,
    retain_calls: u64,
    release_calls: u64,
    own_memory: bool,
}

static SLOTS: std::sync::Mutex<Vec<Slot>> = std::sync::Mutex::new(Vec::new());
static HOST_ALLOCATIONS: std::sync::atomic::AtomicI64 = std::sync::atomic::AtomicI64::new(0);

/// How many replies of [`TestClosure`]s are in the closure side's memory and not yet freed by
/// the guest (with the closure's `realloc`).
pub fn closure_replies_live() -> i64 {
    HOST_ALLOCATIONS.load(std::sync::atomic::Ordering::SeqCst)
}

fn with_slot<T>(env: *mut std::ffi::c_void, f: impl FnOnce(&mut Slot) -> T) -> Option<T> {
    let env = env as u64;
    let (index, generation) = ((env >> 32) as usize, env as u32);
    let mut slots = SLOTS.lock().unwrap_or_else(|e| e.into_inner());
    let slot = slots.get_mut(index.checked_sub(1)?)?;
    if slot.generation != generation || slot.func.is_none() {
        return None;
    }
    Some(f(slot))
}

impl TestClosure {
    /// A closure that calls `f` with the argument values and replies its result or record.
    pub fn new(
        f: impl Fn(Vec<crate::Value>) -> Result<crate::Value, Exception> + Send + Sync + 'static,
    ) -> Self {
        let mut slots = SLOTS.lock().unwrap_or_else(|e| e.into_inner());
        let index = match slots.iter().position(|s| s.func.is_none()) {
            Some(i) => i,
            None => {
                slots.push(Slot {
                    generation: 0,
                    func: None,
                    passed: false,
                    retains: 0,
                    calls: 0,
                    retain_calls: 0,
                    release_calls: 0,
                    own_memory: false,
                });
                slots.len() - 1
            }
        };
        let slot = &mut slots[index];
        slot.generation = slot.generation.wrapping_add(1);
        *slot = Slot {
            generation: slot.generation,
            func: Some(std::sync::Arc::new(f)),
            passed: true,
            retains: 0,
            calls: 0,
            retain_calls: 0,
            release_calls: 0,
            own_memory: false,
        };
        TestClosure {
            env: ((index as u64 + 1) << 32) | u64::from(slot.generation),
        }
    }

    /// The words to pass (serialize it into the arguments).
    pub fn raw(&self) -> crate::RawClosure {
        crate::RawClosure {
            call: test_call,
            env: self.env as *mut std::ffi::c_void,
            realloc: test_realloc,
            retain: test_retain,
            release: test_release,
        }
    }

    fn slot<T>(&self, f: impl FnOnce(&mut Slot) -> T) -> T {
        with_slot(self.env as *mut std::ffi::c_void, f).expect("the closure exists")
    }

    /// The call it was passed to returned: from now on it is valid only while retained.
    pub fn end_call(&self) {
        self.slot(|s| s.passed = false);
    }

    /// Puts every reply in the closure side's memory, never in the scratch buffer.
    pub fn reply_in_own_memory(&self) {
        self.slot(|s| s.own_memory = true);
    }

    /// Whether a call now would reach the function.
    pub fn is_valid(&self) -> bool {
        self.slot(|s| s.passed || s.retains > 0)
    }

    /// How many calls reached the function.
    pub fn calls(&self) -> u64 {
        self.slot(|s| s.calls)
    }

    /// How many times `retain` was called while it was valid.
    pub fn retains(&self) -> u64 {
        self.slot(|s| s.retain_calls)
    }

    /// How many times `release` gave up a retain.
    pub fn releases(&self) -> u64 {
        self.slot(|s| s.release_calls)
    }
}

impl Drop for TestClosure {
    fn drop(&mut self) {
        let _ = with_slot(self.env as *mut std::ffi::c_void, |s| s.func = None);
    }
}

impl std::fmt::Debug for TestClosure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "TestClosure({:#x})", self.env)
    }
}

unsafe extern "C" {
    fn realloc(ptr: *mut std::ffi::c_void, size: usize) -> *mut std::ffi::c_void;
    fn free(ptr: *mut std::ffi::c_void);
}

/// The closure side's allocator of [`TestClosure`]s: libc's, counted.
unsafe extern "C" fn test_realloc(
    ptr: *mut std::ffi::c_void,
    size: usize,
) -> *mut std::ffi::c_void {
    use std::sync::atomic::Ordering;
    if size == 0 {
        if !ptr.is_null() {
            // SAFETY: a reply of ours, freed once.
            unsafe { free(ptr) };
            HOST_ALLOCATIONS.fetch_sub(1, Ordering::SeqCst);
        }
        return std::ptr::null_mut();
    }
    // SAFETY: null or a reply of ours.
    let p = unsafe { realloc(ptr, size) };
    if ptr.is_null() && !p.is_null() {
        HOST_ALLOCATIONS.fetch_add(1, Ordering::SeqCst);
    }
    p
}

unsafe extern "C" fn test_retain(env: *mut std::ffi::c_void) {
    let _ = with_slot(env, |s| {
        if s.passed || s.retains > 0 {
            s.retains += 1;
            s.retain_calls += 1;
        }
    });
}

unsafe extern "C" fn test_release(env: *mut std::ffi::c_void) {
    let _ = with_slot(env, |s| {
        if s.retains > 0 {
            s.retains -= 1;
            s.release_calls += 1;
        }
    });
}

unsafe extern "C" fn test_call(
    env: *mut std::ffi::c_void,
    input: *const VirgilBox,
    output: *mut VirgilBox,
) {
    let found = with_slot(env, |s| {
        if s.passed || s.retains > 0 {
            s.calls += 1;
            Some((s.func.clone().expect("checked"), s.own_memory))
        } else {
            None
        }
    })
    .flatten();
    let own_memory = found.as_ref().is_some_and(|(_, own)| *own);
    // SAFETY: the guest passes its argument bytes, borrowed for the call.
    let args = unsafe { crate::ffi::box_bytes(input) };
    let envelope = match found {
        None => Envelope::Error(Exception::new(
            crate::names::RELEASED_CLOSURE,
            "the closure was called after it was released",
        )),
        Some((f, _)) => match codec::decode::<Vec<crate::Value>>(args) {
            Err(e) => Envelope::Error(Exception::new(
                crate::names::ARGUMENT_ERROR,
                format!("closure: {e}"),
            )),
            Ok(values) => {
                match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| f(values))) {
                    Ok(Ok(v)) => Envelope::Ok(v),
                    Ok(Err(x)) => Envelope::Error(x),
                    Err(_) => {
                        Envelope::Error(Exception::new(crate::names::PANIC, "closure panicked"))
                    }
                }
            }
        },
    };
    let bytes = codec::encode(&envelope).expect("an envelope encodes");
    // SAFETY: the guest passes `out` as the ABI says: `{NULL, 0}` or a scratch buffer it lends.
    let out = unsafe { &mut *output };
    if !own_memory && !out.ptr.is_null() && bytes.len() as u64 <= out.len {
        // SAFETY: the scratch buffer holds `out.len` writable bytes.
        unsafe { std::ptr::copy_nonoverlapping(bytes.as_ptr(), out.ptr, bytes.len()) };
        out.len = bytes.len() as u64;
        return;
    }
    // SAFETY: allocates.
    let p = unsafe { test_realloc(std::ptr::null_mut(), bytes.len()) }.cast::<u8>();
    // SAFETY: `p` holds `bytes.len()` bytes.
    unsafe { std::ptr::copy_nonoverlapping(bytes.as_ptr(), p, bytes.len()) };
    out.ptr = p;
    out.len = bytes.len() as u64;
}
