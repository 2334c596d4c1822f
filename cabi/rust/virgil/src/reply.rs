//! The reply buffer and the scratch-buffer protocol (ABI.md, section 3).
//!
//! A reply is written straight into the caller's scratch buffer while it fits. When it outgrows
//! it, the bytes so far move once to memory from the guest's own allocator, which then grows by
//! doubling (at least to what the write needs, so a large byte string costs one allocation of
//! about its size and one copy). Afterwards `out` points at the scratch buffer (only `len`
//! changes) or at the new memory, which the caller frees with `virgil_realloc(ptr, 0)`.

use std::io;
use std::ptr;

use crate::alloc::counted_realloc;
use crate::ffi::VirgilBox;

/// The smallest allocation a reply makes when it leaves the scratch buffer.
const MIN_ALLOCATION: usize = 256;

/// A reply being written.
///
/// It lives for one call and is used by the one thread serving it. The scratch buffer is the
/// caller's, lent for the call; memory it allocated (`owned`) is its own, freed on drop, until
/// [`finish`](Reply::finish) hands it to the caller's `out` (the caller then frees it with
/// `virgil_realloc(ptr, 0)`).
pub(crate) struct Reply {
    /// Where the bytes go: the scratch buffer or memory from `counted_realloc`.
    buf: *mut u8,
    cap: usize,
    len: usize,
    /// Whether `buf` is ours (from `counted_realloc`) rather than the caller's scratch buffer.
    owned: bool,
    /// Whether memory for the reply could not be had.
    failed: bool,
}

impl Reply {
    /// A reply into `cap` bytes of scratch at `scratch` (null for none).
    ///
    /// # Safety
    ///
    /// `scratch` is null or writable for `cap` bytes until the reply is finished or dropped, and
    /// nothing else reads or writes it meanwhile.
    pub(crate) unsafe fn new(scratch: *mut u8, cap: usize) -> Self {
        let cap = if scratch.is_null() { 0 } else { cap };
        Reply {
            buf: scratch,
            cap,
            len: 0,
            owned: false,
            failed: false,
        }
    }

    /// A reply into the scratch buffer `out` lends, unless it lends none or the buffer overlaps
    /// the arguments (writing the reply could overwrite arguments still to be read).
    ///
    /// # Safety
    ///
    /// `out` follows the ABI: `{NULL, 0}` or a writable buffer of `out.len` bytes that the caller
    /// does not touch during the call.
    pub(crate) unsafe fn for_out(out: &VirgilBox, args: &[u8]) -> Self {
        let cap = usize::try_from(out.len).unwrap_or(usize::MAX);
        let (s, a) = (out.ptr as usize, args.as_ptr() as usize);
        let overlaps =
            !args.is_empty() && s < a.saturating_add(args.len()) && a < s.saturating_add(cap);
        if out.ptr.is_null() || cap == 0 || overlaps {
            // SAFETY: no buffer at all.
            return unsafe { Reply::new(ptr::null_mut(), 0) };
        }
        // SAFETY: the caller lends `cap` writable bytes.
        unsafe { Reply::new(out.ptr, cap) }
    }

    /// Stops using the scratch buffer when it overlaps `start..end`, memory the host lent to the
    /// call (ABI.md section 16), as [`for_out`](Reply::for_out) does for the arguments: a reply
    /// written there would change bytes the function still reads. Only before anything is
    /// written.
    pub(crate) fn keep_off(&mut self, start: usize, end: usize) {
        let s = self.buf as usize;
        let overlaps = start < end && s < end && start < s.saturating_add(self.cap);
        if !self.owned && self.len == 0 && self.cap > 0 && overlaps {
            self.buf = ptr::null_mut();
            self.cap = 0;
        }
    }

    /// Whether memory ran out; the reply then holds nothing useful.
    pub(crate) fn failed(&self) -> bool {
        self.failed
    }

    /// Forgets what was written (to write an error reply instead). Memory already allocated is
    /// kept for the new reply.
    pub(crate) fn reset(&mut self) {
        self.len = 0;
        self.failed = false;
    }

    /// Makes room for `additional` more bytes.
    fn reserve(&mut self, additional: usize) -> io::Result<()> {
        let needed = self.len.checked_add(additional).ok_or_else(out_of_memory)?;
        if needed <= self.cap {
            return Ok(());
        }
        let new_cap = needed.max(self.cap.saturating_mul(2)).max(MIN_ALLOCATION);
        let old = if self.owned {
            self.buf
        } else {
            ptr::null_mut()
        };
        // SAFETY: `old` is null or our live buffer.
        let p = unsafe { counted_realloc(old, new_cap) };
        if p.is_null() {
            self.failed = true;
            return Err(out_of_memory());
        }
        if !self.owned && self.len > 0 {
            // SAFETY: the scratch buffer holds `len` bytes; the new buffer has room for them.
            unsafe { ptr::copy_nonoverlapping(self.buf, p, self.len) };
        }
        self.buf = p;
        self.cap = new_cap;
        self.owned = true;
        Ok(())
    }

    /// Hands the reply to the caller: `out` keeps pointing at the scratch buffer with the reply's
    /// length, or points at the allocated reply, or is `{NULL, 0}` when memory ran out.
    pub(crate) fn finish(mut self, out: &mut VirgilBox) {
        if self.failed || self.len == 0 {
            out.ptr = ptr::null_mut();
            out.len = 0;
            return; // Drop frees our buffer
        }
        if self.owned {
            out.ptr = self.buf;
            self.owned = false; // the caller owns it now
        }
        out.len = self.len as u64;
    }
}

impl io::Write for Reply {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        self.write_all(data)?;
        Ok(data.len())
    }

    fn write_all(&mut self, data: &[u8]) -> io::Result<()> {
        if self.failed {
            return Err(out_of_memory());
        }
        self.reserve(data.len())?;
        // SAFETY: `reserve` made room for `data` after the `len` bytes written; the buffer is the
        // scratch buffer or ours, and never overlaps `data` (the arguments or the kit's values).
        unsafe { ptr::copy_nonoverlapping(data.as_ptr(), self.buf.add(self.len), data.len()) };
        self.len += data.len();
        Ok(())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Drop for Reply {
    fn drop(&mut self) {
        if self.owned {
            // SAFETY: our buffer, not handed over.
            unsafe { counted_realloc(self.buf, 0) };
        }
    }
}

fn out_of_memory() -> io::Error {
    io::Error::new(io::ErrorKind::OutOfMemory, "out of memory for the reply")
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn write_into(scratch: &mut [u8], data: &[u8]) -> (VirgilBox, bool) {
        let mut out = VirgilBox {
            ptr: scratch.as_mut_ptr(),
            len: scratch.len() as u64,
        };
        // SAFETY: `scratch` is ours for the test.
        let mut reply = unsafe { Reply::for_out(&out, &[]) };
        reply.write_all(data).unwrap();
        reply.finish(&mut out);
        let in_scratch = out.ptr == scratch.as_mut_ptr();
        (out, in_scratch)
    }

    fn free(out: VirgilBox) {
        // SAFETY: an allocated reply, freed once.
        unsafe { counted_realloc(out.ptr, 0) };
    }

    #[test]
    fn fits_exactly_and_one_over() {
        let mut scratch = [0u8; 8];
        let (out, in_scratch) = write_into(&mut scratch, b"12345678");
        assert!(in_scratch);
        assert_eq!(out.len, 8);
        assert_eq!(&scratch, b"12345678");

        let mut scratch = [0u8; 8];
        let (out, in_scratch) = write_into(&mut scratch, b"123456789");
        assert!(!in_scratch);
        assert_eq!(out.len, 9);
        // SAFETY: the reply is 9 bytes at out.ptr.
        let reply = unsafe { std::slice::from_raw_parts(out.ptr, 9) };
        assert_eq!(reply, b"123456789");
        assert_eq!(
            scratch, [0; 8],
            "nothing is written to a scratch buffer that is too small"
        );
        free(out);
    }

    #[test]
    fn spills_what_was_written() {
        let mut scratch = [0u8; 4];
        let mut out = VirgilBox {
            ptr: scratch.as_mut_ptr(),
            len: 4,
        };
        // SAFETY: `scratch` is ours for the test.
        let mut reply = unsafe { Reply::for_out(&out, &[]) };
        reply.write_all(b"abc").unwrap();
        reply.write_all(&[b'x'; 1000]).unwrap();
        reply.finish(&mut out);
        assert_ne!(out.ptr, scratch.as_mut_ptr());
        // SAFETY: the reply is out.len bytes at out.ptr.
        let bytes = unsafe { std::slice::from_raw_parts(out.ptr, out.len as usize) };
        assert_eq!(&bytes[..3], b"abc");
        assert_eq!(bytes.len(), 1003);
        free(out);
    }

    #[test]
    fn no_scratch_and_overlapping_scratch() {
        let mut out = VirgilBox {
            ptr: ptr::null_mut(),
            len: 0,
        };
        // SAFETY: no scratch.
        let mut reply = unsafe { Reply::for_out(&out, &[]) };
        reply.write_all(b"x").unwrap();
        reply.finish(&mut out);
        assert!(!out.ptr.is_null());
        assert_eq!(out.len, 1);
        free(out);

        let mut shared = [0u8; 16];
        let args_ptr = shared[4..].as_ptr();
        let mut out = VirgilBox {
            ptr: shared.as_mut_ptr(),
            len: 8,
        };
        // SAFETY: the "arguments" are only compared by address.
        let args = unsafe { std::slice::from_raw_parts(args_ptr, 4) };
        // SAFETY: as above.
        let mut reply = unsafe { Reply::for_out(&out, args) };
        reply.write_all(b"y").unwrap();
        reply.finish(&mut out);
        assert_ne!(
            out.ptr,
            shared.as_mut_ptr(),
            "an overlapping scratch buffer is not used"
        );
        free(out);
    }
}
