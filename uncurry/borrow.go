package uncurry

import (
	"github.com/virgilffi/virgil/bytebox"
	"github.com/virgilffi/virgil/codec"
)

// Borrowed bytes on the callee's side (cabi/ABI.md section 16). A library that declares
// "borrow" serves its calls with WriteBorrowingReply: its handlers then read borrowed byte
// strings and strings in their arguments, and reply a []byte result that lies inside memory the
// caller lent to the call as a borrowed view instead of a copy. Closures never borrow.
//
// The hazard a function of such a library accepts: a []byte argument read at the top level may
// be a view of the caller's memory, valid during the call only (as the buffer given to
// io.Writer.Write): it must not be kept, nor written to, after the function returns. Strings, and
// byte strings inside lists, maps and structs, are copies.

// borrowState is the borrowed-bytes state of a call served by WriteBorrowingReply, part of its
// replyState: the argument array's bytes and the borrowed arguments read so far, which a reply
// may view. It is forgotten when the call ends.
type borrowState struct {
	on    bool           // the call is served by WriteBorrowingReply
	in    bytebox.Span   // the argument array's bytes
	views []bytebox.Span // the borrowed arguments read so far
}

// WriteBorrowingReply is WriteReply for a function of a library that declares "borrow" (a
// guest's exported function): its handler reads borrowed values in args, and may reply views of
// them (see the hazard above).
func WriteBorrowingReply(handler Handler, args []byte, lent bytebox.Box, alloc bytebox.Allocator, out *bytebox.Box, where, name string) {
	writeReply(handler, args, lent, alloc, out, where, name, true)
}

// borrowing makes the call's decoder and encoder read and reply borrowed values when the call is
// served by WriteBorrowingReply: a top-level []byte argument may then be a view of the caller's
// memory.
func (s *replyState) borrowing() {
	if s.borrow.on {
		s.dec.SetLender(s, true)
		s.enc.SetLending(s)
	}
}

// endBorrowing forgets the call's borrowed-bytes state and detaches the decoder and encoder.
func (s *replyState) endBorrowing() {
	if s.borrow.on {
		s.dec.SetLender(nil, false)
		s.enc.SetLending(nil)
		clear(s.borrow.views)
		s.borrow = borrowState{views: s.borrow.views[:0]}
	}
}

// View makes a view of a borrowed argument, whose words the decoder has checked (checks 1-3 and
// 5 of section 16). A callee cannot check that the memory is real, as it cannot for in itself;
// it records the range, which a reply may view.
func (s *replyState) View(ptr, n uint64) ([]byte, error) {
	s.borrow.views = append(s.borrow.views, bytebox.Span{Addr: ptr, Len: n})
	return bytebox.View(ptr, n), nil
}

// LendBytes replies b as a borrowed view when the call's arguments held a borrowed value and b
// lies entirely inside memory lent to this call (in's bytes or a borrowed argument), and b is
// longer than the view itself; anything else is written inline.
func (s *replyState) LendBytes(b []byte) (uint64, bool) {
	if len(s.borrow.views) == 0 || len(b) <= codec.BorrowedSize {
		return 0, false
	}
	sp := bytebox.SpanOf(b)
	if s.borrow.in.Contains(sp.Addr, sp.Len) {
		return sp.Addr, true
	}
	for _, v := range s.borrow.views {
		if v.Contains(sp.Addr, sp.Len) {
			return sp.Addr, true
		}
	}
	return 0, false
}

// LendString never lends: a string result is the callee's own copy.
func (*replyState) LendString(string) (uint64, bool) { return 0, false }
