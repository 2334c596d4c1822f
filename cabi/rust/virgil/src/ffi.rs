//! The C side: the byte box, the signature of an export, and the allocator every guest library
//! exports (`virgil_realloc`). The other built-in exports, which answer with envelopes, are in
//! `builtins.rs`, above the calling convention.
//!
//! `#[no_mangle]` functions of a dependency are exported from the final `cdylib`, so a guest that
//! depends on this crate exports `virgil_realloc`, `virgil_manifest` and `virgil_stats` without
//! writing anything.

use std::ffi::c_void;

use crate::alloc::counted_realloc;

/// The byte box of the ABI (`virgil_box` in `virgil.h`): a pointer and a length.
///
/// A box owns nothing: what `ptr` points at belongs to whoever ABI.md sections 2 and 3 say. An
/// argument box (`in`) is the caller's, lent read-only for the call and never kept past it. A
/// reply box (`out`) lends the caller's scratch buffer (or nothing) on entry; on return it points
/// into that buffer, still the caller's, or at memory from this library's `virgil_realloc`, which
/// the caller then owns and frees with `virgil_realloc(ptr, 0)`. Both are touched only by the
/// thread that made the call, or by the thread it waits on for arguments nested deep (`call.rs`).
#[repr(C)]
#[derive(Debug)]
pub struct VirgilBox {
    /// The bytes; null when `len` is 0.
    pub ptr: *mut u8,
    /// How many bytes.
    pub len: u64,
}

impl VirgilBox {
    /// The empty box, `{NULL, 0}`.
    pub const fn empty() -> Self {
        VirgilBox {
            ptr: std::ptr::null_mut(),
            len: 0,
        }
    }
}

impl Default for VirgilBox {
    fn default() -> Self {
        VirgilBox::empty()
    }
}

/// The signature of every function a guest exports (`virgil_fn` in `virgil.h`).
pub type VirgilFn = unsafe extern "C" fn(input: *const VirgilBox, output: *mut VirgilBox);

/// The box's bytes, borrowed: empty for a null box or pointer.
///
/// # Safety
///
/// `b` is null or points at a box whose `ptr` is readable for `len` bytes for `'a`.
pub(crate) unsafe fn box_bytes<'a>(b: *const VirgilBox) -> &'a [u8] {
    // SAFETY: the caller's promise.
    let Some(b) = (unsafe { b.as_ref() }) else {
        return &[];
    };
    match usize::try_from(b.len) {
        Ok(len) if len > 0 && len <= isize::MAX as usize && !b.ptr.is_null() => {
            // SAFETY: the caller's promise.
            unsafe { std::slice::from_raw_parts(b.ptr, len) }
        }
        _ => &[],
    }
}

/// The guest's allocator, with `realloc` semantics: `virgil_realloc(NULL, n)` allocates,
/// `virgil_realloc(p, n)` resizes, `virgil_realloc(p, 0)` frees and returns NULL. Every reply a
/// guest hands out comes from here, and the caller gives it back here.
///
/// # Safety
///
/// `ptr` is null or a live buffer from this function.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn virgil_realloc(ptr: *mut c_void, size: usize) -> *mut c_void {
    // SAFETY: the caller's promise.
    unsafe { counted_realloc(ptr.cast(), size) }.cast()
}
