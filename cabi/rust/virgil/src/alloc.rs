//! The guest's allocator: libc's `realloc`, counted for `virgil_stats` (ABI.md, section 10).

use std::ffi::c_void;
use std::sync::atomic::{AtomicU64, Ordering};

use serde::{Deserialize, Serialize};

use crate::types::{AbiType, Field, Ty};

unsafe extern "C" {
    fn realloc(ptr: *mut c_void, size: usize) -> *mut c_void;
    fn free(ptr: *mut c_void);
}

static ALLOCATIONS: AtomicU64 = AtomicU64::new(0);
static FREES: AtomicU64 = AtomicU64::new(0);

/// `virgil_realloc`'s implementation. The kit's own code calls this function, never the exported
/// symbol, so that another library's `virgil_realloc` can never stand in for it (section 12).
///
/// # Safety
///
/// `ptr` is null or a live buffer from this function.
pub(crate) unsafe fn counted_realloc(ptr: *mut u8, size: usize) -> *mut u8 {
    if size == 0 {
        if !ptr.is_null() {
            // SAFETY: the caller passes a live buffer from this allocator.
            unsafe { free(ptr.cast()) };
            FREES.fetch_add(1, Ordering::SeqCst);
        }
        return std::ptr::null_mut();
    }
    // SAFETY: as above; realloc(NULL, n) allocates. On failure `ptr` stays valid.
    let p = unsafe { realloc(ptr.cast(), size) }.cast::<u8>();
    if ptr.is_null() && !p.is_null() {
        ALLOCATIONS.fetch_add(1, Ordering::SeqCst);
    }
    p
}

/// The allocation counters that `virgil_stats` reports.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stats {
    /// Buffers allocated by `virgil_realloc(NULL, n > 0)` since the library loaded.
    pub allocations: u64,
    /// Buffers freed by `virgil_realloc(p, 0)`.
    pub frees: u64,
    /// Buffers allocated and not yet freed.
    pub live: u64,
}

impl AbiType for Stats {
    const TYPE: Ty = Ty::Record(
        "Stats",
        &[
            Field::new("allocations", Ty::UInt),
            Field::new("frees", Ty::UInt),
            Field::new("live", Ty::UInt),
        ],
    );
}

/// Reads the counters. Frees are read first: every free follows its allocation, so `live` cannot
/// come out negative while other threads allocate and free.
pub fn stats() -> Stats {
    let frees = FREES.load(Ordering::SeqCst);
    let allocations = ALLOCATIONS.load(Ordering::SeqCst);
    Stats {
        allocations,
        frees,
        live: allocations.saturating_sub(frees),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn realloc_semantics_and_counts() {
        let before = stats();
        // SAFETY: each pointer comes from counted_realloc and is freed once.
        unsafe {
            assert!(counted_realloc(std::ptr::null_mut(), 0).is_null());
            let p = counted_realloc(std::ptr::null_mut(), 16);
            assert!(!p.is_null());
            p.write_bytes(7, 16);
            let q = counted_realloc(p, 1 << 20);
            assert_eq!(*q.add(15), 7);
            assert!(counted_realloc(q, 0).is_null());
        }
        let after = stats();
        assert!(after.allocations > before.allocations);
        assert!(after.frees > before.frees);
    }
}
