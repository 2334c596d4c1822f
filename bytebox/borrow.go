package bytebox

import "unsafe"

// Span is a range of the process's memory by address: Len bytes from Addr. Borrowed values
// (cabi/ABI.md section 16) name memory by such words; a Span lets their range be checked as
// numbers before any byte is read.
type Span struct {
	Addr, Len uint64
}

// SpanOf returns the span of b's bytes ({0, 0} for an empty b).
func SpanOf(b []byte) Span {
	if len(b) == 0 {
		return Span{}
	}
	return Span{Addr: uint64(uintptr(unsafe.Pointer(unsafe.SliceData(b)))), Len: uint64(len(b))}
}

// StringSpan returns the span of s's bytes ({0, 0} for an empty s).
func StringSpan(s string) Span {
	if len(s) == 0 {
		return Span{}
	}
	return Span{Addr: uint64(uintptr(unsafe.Pointer(unsafe.StringData(s)))), Len: uint64(len(s))}
}

// Contains reports whether the n bytes at addr lie entirely inside s. It is arithmetic on the
// words only (no overflow: a range that wraps is never inside).
func (s Span) Contains(addr, n uint64) bool {
	if s.Len == 0 || addr < s.Addr {
		return false
	}
	off := addr - s.Addr
	return off <= s.Len && n <= s.Len-off
}

// View returns the n bytes at address addr as a slice, without copying them (nil for n == 0).
// The caller vouches for the range: memory it lent, or memory lent to it for the call (a
// borrowed value whose words passed the checks of cabi/ABI.md section 16). The view is valid only
// while that memory is.
func View(addr, n uint64) []byte {
	if n == 0 {
		return nil
	}
	p := *(*unsafe.Pointer)(unsafe.Pointer(&addr)) // an address the peer gave, as a pointer
	return unsafe.Slice((*byte)(p), n)
}
