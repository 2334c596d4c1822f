//! One call of a closure (ABI.md, section 15): lower the arguments, call with a scratch buffer,
//! check the reply box (section 2) and lift the reply.

use std::io;

use serde::Serialize;
use serde::de::DeserializeOwned;

use super::ClosureError;
use crate::check;
use crate::codec;
use crate::exception::Exception;
use crate::ffi::VirgilBox;
use crate::names;
use crate::raw_closure::{ClosureReallocFn, RawClosure};
use crate::scan;
use crate::types::Ty;

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
///
/// The scratch buffer is the kit's, on the calling thread's stack for the one call; an owned
/// reply is the closure side's memory, read and then freed with the side's `realloc` (once) on
/// the thread that made the call.
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
pub(super) fn invoke<A: Serialize, R: DeserializeOwned>(
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
}
