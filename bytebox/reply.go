package bytebox

import "unsafe"

// Unwritten is the byte a caller puts first in the scratch buffer it lends before the call: 0xc1
// is never valid MessagePack, so a reply box still {scratch, capacity} with that first byte is one
// the callee did not write (cabi/ABI.md section 2, check 6).
const Unwritten = 0xc1

// Fault is what the checks of a reply box (cabi/ABI.md section 2) found wrong with it. The
// package knows no exception names: callers name each fault (virgil.OutOfMemory for
// FaultOutOfMemory, virgil.LimitExceeded for FaultTooLong, virgil.ProtocolError for the others)
// and word the message.
type Fault int

// The faults of a reply box, one per check of cabi/ABI.md section 2.
const (
	// FaultNone: the reply passed every check and may be read as Len bytes at Ptr.
	FaultNone Fault = iota
	// FaultOutOfMemory: the box is {NULL, 0}, the callee could not allocate its reply.
	FaultOutOfMemory
	// FaultNullWithLength: the box is {NULL, n} with n > 0 (a length without a pointer).
	FaultNullWithLength
	// FaultNoLength: the box has a pointer and length 0 (a pointer without a length), whether
	// the pointer is the scratch buffer's or another.
	FaultNoLength
	// FaultBeyondScratch: the box points at the scratch buffer and claims more bytes than it
	// holds.
	FaultBeyondScratch
	// FaultIntoArguments: the box points into the caller's argument bytes.
	FaultIntoArguments
	// FaultIntoScratch: the box points inside the scratch buffer, but not at its start.
	FaultIntoScratch
	// FaultTooLong: the reply is longer than the caller's maximum reply size (section 11).
	FaultTooLong
	// FaultUnwritten: the box is still {scratch, capacity} with Unwritten first: the callee
	// wrote no reply.
	FaultUnwritten
)

// CheckReply checks a reply box before a byte of it is read or freed, in the order of
// cabi/ABI.md section 2. in is the argument box the caller lent, scratch the scratch buffer
// (Len its capacity; its first byte, set to Unwritten before the call, is read for check 6) and
// max the largest reply the caller accepts. free reports whether reply.Ptr is the callee's memory
// that the caller must give back with the callee's virgil_realloc, also when the fault is not
// FaultNone: exactly when the box passed checks 1-4 and is not the scratch buffer.
func CheckReply(reply, in, scratch Box, max uint64) (fault Fault, free bool) {
	if scratch.Ptr != nil && scratch.Len > 0 && reply.Ptr == scratch.Ptr {
		switch {
		case reply.Len == 0:
			return FaultNoLength, false
		case reply.Len > scratch.Len:
			return FaultBeyondScratch, false
		case reply.Len > max:
			return FaultTooLong, false
		case reply.Len == scratch.Len && *(*byte)(scratch.Ptr) == Unwritten:
			return FaultUnwritten, false
		}
		return FaultNone, false
	}
	switch {
	case reply.Ptr == nil && reply.Len == 0:
		return FaultOutOfMemory, false
	case reply.Ptr == nil:
		return FaultNullWithLength, false
	case reply.Len == 0:
		return FaultNoLength, false
	case in.Contains(reply.Ptr):
		return FaultIntoArguments, false
	case scratch.Contains(reply.Ptr):
		return FaultIntoScratch, false
	case reply.Len > max:
		return FaultTooLong, true
	}
	return FaultNone, true
}

// Contains reports whether p points into the box's bytes.
func (b Box) Contains(p unsafe.Pointer) bool {
	if b.Ptr == nil || b.Len == 0 {
		return false
	}
	base := uintptr(b.Ptr)
	return uintptr(p) >= base && uint64(uintptr(p)-base) < b.Len
}

// Offset returns how many bytes p lies after the box's start; meaningful when b.Contains(p).
func (b Box) Offset(p unsafe.Pointer) uintptr { return uintptr(p) - uintptr(b.Ptr) }
