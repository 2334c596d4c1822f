//! The built-in exports that answer with an envelope: `virgil_manifest` (ABI.md, section 8) and
//! `virgil_stats` (section 10). They sit at the top, with the entry points, because they reply
//! through the calling convention (`call.rs`).

use crate::alloc::stats;
use crate::call::serve_builtin;
use crate::ffi::VirgilBox;
use crate::manifest;

/// Replies `{"ok": manifest}` describing the library (ABI.md, section 8); `in` is ignored.
///
/// # Safety
///
/// `output` follows the ABI (section 3).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn virgil_manifest(_input: *const VirgilBox, output: *mut VirgilBox) {
    // SAFETY: the caller's promise.
    unsafe { serve_builtin(output, "virgil_manifest", manifest::write_reply) }
}

/// Replies `{"ok": {"allocations": int, "frees": int, "live": int}}` (ABI.md, section 10); `in`
/// is ignored. The counters are read before this reply is allocated.
///
/// # Safety
///
/// `output` follows the ABI (section 3).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn virgil_stats(_input: *const VirgilBox, output: *mut VirgilBox) {
    let counts = stats();
    // SAFETY: the caller's promise.
    unsafe {
        serve_builtin(output, "virgil_stats", move |reply| {
            crate::call::write_ok(reply, &counts)
        })
    }
}
