package bytebox

import "unsafe"

// Box mirrors the C struct virgil_box: Len bytes at Ptr. It is 16 bytes, 8-byte aligned, with the
// same layout as the C struct, so a *C.virgil_box may be converted to a *Box and back.
type Box struct {
	// Ptr points at the first byte; it is nil when Len is 0.
	Ptr unsafe.Pointer
	// Len is the number of bytes, or a scratch buffer's capacity when a caller lends one.
	Len uint64
}

// Borrow returns a Box that views b without copying it. The caller must keep b alive (for
// example with runtime.KeepAlive) until the callee has returned.
func Borrow(b []byte) Box {
	if len(b) == 0 {
		return Box{}
	}
	return Box{Ptr: unsafe.Pointer(unsafe.SliceData(b)), Len: uint64(len(b))}
}

// Bytes returns a view of the box's bytes without copying them, or nil for an empty box. The view
// is only valid while the memory it points at is: for a borrowed input, during the call.
func (b Box) Bytes() []byte {
	if b.Ptr == nil || b.Len == 0 {
		return nil
	}
	return unsafe.Slice((*byte)(b.Ptr), b.Len)
}

// Empty reports whether the box holds no bytes (a NULL pointer or a zero length).
func (b Box) Empty() bool { return b.Ptr == nil || b.Len == 0 }

// OwnedBy reports whether the box's bytes must be freed by the caller that lent scratch: true
// exactly when Ptr is non-nil and is not the scratch pointer the caller passed (ABI.md section 3).
func (b Box) OwnedBy(scratch unsafe.Pointer) bool {
	return b.Ptr != nil && b.Ptr != scratch
}

// FromPointer converts a C pointer to a virgil_box into a *Box. It returns nil for nil.
func FromPointer(p unsafe.Pointer) *Box { return (*Box)(p) }
