package host

import (
	"fmt"
	"runtime"
	"unsafe"

	"github.com/virgilffi/virgil/bytebox"
	"github.com/virgilffi/virgil/codec"
)

// DefaultBorrowThreshold is the smallest []byte or string argument a Library lends to a library
// that declares "borrow" in its manifest, instead of copying it into the argument array: 64 KiB
// (cabi/ABI.md section 16; below it a copy costs less than the bookkeeping).
const DefaultBorrowThreshold = 64 << 10

// WithBorrowThreshold sets the smallest []byte or string argument lent rather than copied to a
// library whose manifest declares "borrow" (cabi/ABI.md section 16). n <= 0 never lends. Values
// are lent when they are an argument of Call (or a typed binding), or an element of a []any or a
// value of a map[string]any argument; those inside structs are copied.
func WithBorrowThreshold(n int) Option {
	return func(o *options) { o.borrowThreshold = max(n, 0) }
}

// lending is the borrowed-bytes state of one call (cabi/ABI.md section 16): the values it lends
// (pinned until the call returns) and the memory a borrowed reply value may view: in's bytes and
// the lent values. It is a codec.Lending for the arguments and a codec.Lender for the reply.
type lending struct {
	threshold int            // lend values of at least this many bytes; 0 lends none
	in        bytebox.Span   // the argument array's bytes
	lent      []bytebox.Span // the values lent
	pin       runtime.Pinner
}

// lendsFor returns the Lending for the arguments of a call of a function of l: s, when l's
// manifest declares borrow and lending is enabled, else nil (nothing is lent).
func (s *lending) lendsFor(l *Library) codec.Lending {
	if l.borrowAt <= 0 {
		return nil
	}
	s.threshold = l.borrowAt
	return s
}

// replies makes dec read the borrowed values of the reply to a call whose argument array was in:
// views of in or of a value lent, checked before they are read and copied out.
func (s *lending) replies(dec *codec.Decoder, in []byte) {
	s.in = bytebox.SpanOf(in)
	dec.SetLender(s, false)
}

// end unpins what the call lent and forgets it, and detaches s from dec.
func (s *lending) end(dec *codec.Decoder) {
	if len(s.lent) > 0 {
		s.pin.Unpin()
		clear(s.lent)
		s.lent = s.lent[:0]
	}
	s.threshold, s.in = 0, bytebox.Span{}
	dec.SetLender(nil, false)
}

// owns reports whether p points into a value lent to this call: memory the caller owns, which a
// reply box must never point at (check 4 of cabi/ABI.md section 2).
func (s *lending) owns(p unsafe.Pointer) bool { return s.ownsAddr(uint64(uintptr(p))) }

// ownsAddr is owns for an address.
func (s *lending) ownsAddr(addr uint64) bool {
	for _, sp := range s.lent {
		if sp.Contains(addr, 1) {
			return true
		}
	}
	return false
}

// LendBytes lends b when it is at least the threshold: pinned and recorded for the reply's checks.
func (s *lending) LendBytes(b []byte) (uint64, bool) {
	if s.threshold == 0 || len(b) < s.threshold {
		return 0, false
	}
	return s.lend(unsafe.Pointer(unsafe.SliceData(b)), bytebox.SpanOf(b)), true
}

// LendString is LendBytes for a string (a string literal lives in static memory, which needs no
// pin).
func (s *lending) LendString(str string) (uint64, bool) {
	if s.threshold == 0 || len(str) < s.threshold {
		return 0, false
	}
	return s.lend(unsafe.Pointer(unsafe.StringData(str)), bytebox.StringSpan(str)), true
}

// lend pins the memory at p (Go memory does not move, but the pin states that the guest holds a
// pointer to it; memory not on the Go heap, such as a string literal, is left alone) and records
// its span. Values reach the Encoder inside interfaces (Call's ...any), so their bytes have
// escaped to the heap: a stack-allocated slice, which could move, is never lent.
func (s *lending) lend(p unsafe.Pointer, sp bytebox.Span) uint64 {
	s.pin.Pin(p)
	s.lent = append(s.lent, sp)
	return sp.Addr
}

// View resolves a borrowed value of a reply (check 4 of section 16): only a range entirely inside
// in's bytes or inside one value lent to this call is read; anything else is refused unread.
func (s *lending) View(ptr, n uint64) ([]byte, error) {
	if s.in.Contains(ptr, n) {
		return bytebox.View(ptr, n), nil
	}
	for _, sp := range s.lent {
		if sp.Contains(ptr, n) {
			return bytebox.View(ptr, n), nil
		}
	}
	return nil, fmt.Errorf("it is not inside the memory lent to the call (the %d argument bytes or the %d values lent)", s.in.Len, len(s.lent))
}
