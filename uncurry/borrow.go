package uncurry

import (
	"sync"

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

// borrowWriter is the ReplyWriter a borrowing call's handler gets: the reply writer, with the
// call's borrowed-bytes state. Its arguments and views are forgotten when the call ends.
type borrowWriter struct {
	ReplyWriter
	in    bytebox.Span   // the argument array's bytes
	views []bytebox.Span // the borrowed arguments read so far
}

var borrowWriters = sync.Pool{New: func() any { return new(borrowWriter) }}

// WriteBorrowingReply is WriteReply for a function of a library that declares "borrow" (a
// guest's exported function): its handler reads borrowed values in args, and may reply views of
// them (see the hazard above).
func WriteBorrowingReply(handler Handler, args []byte, lent bytebox.Box, alloc bytebox.Allocator, out *bytebox.Box, where, name string) {
	bw := borrowWriters.Get().(*borrowWriter)
	bw.in = bytebox.SpanOf(args)
	WriteReply(func(w ReplyWriter, args []byte) {
		bw.ReplyWriter = w
		handler(bw, args)
	}, args, lent, alloc, out, where, name)
	bw.ReplyWriter, bw.in = nil, bytebox.Span{}
	clear(bw.views)
	bw.views = bw.views[:0]
	borrowWriters.Put(bw)
}

// borrowing makes a call read and reply borrowed values when its writer is a borrowWriter: a
// top-level []byte argument may then be a view of the caller's memory.
func (c *call) borrowing() {
	if bw, ok := c.w.(*borrowWriter); ok {
		c.dec.SetLender(bw, true)
		c.enc.SetLending(bw)
	}
}

// endBorrowing detaches the call's decoder and encoder from its borrowed-bytes state.
func (c *call) endBorrowing() {
	if c.dec != nil {
		c.dec.SetLender(nil, false)
	}
	if c.enc != nil {
		c.enc.SetLending(nil)
	}
}

// View makes a view of a borrowed argument, whose words the decoder has checked (checks 1-3 and
// 5 of section 16). A callee cannot check that the memory is real, as it cannot for in itself;
// it records the range, which a reply may view.
func (bw *borrowWriter) View(ptr, n uint64) ([]byte, error) {
	bw.views = append(bw.views, bytebox.Span{Addr: ptr, Len: n})
	return bytebox.View(ptr, n), nil
}

// LendBytes replies b as a borrowed view when the call's arguments held a borrowed value and b
// lies entirely inside memory lent to this call (in's bytes or a borrowed argument), and b is
// longer than the view itself; anything else is written inline.
func (bw *borrowWriter) LendBytes(b []byte) (uint64, bool) {
	if len(bw.views) == 0 || len(b) <= codec.BorrowedSize {
		return 0, false
	}
	sp := bytebox.SpanOf(b)
	if bw.in.Contains(sp.Addr, sp.Len) {
		return sp.Addr, true
	}
	for _, v := range bw.views {
		if v.Contains(sp.Addr, sp.Len) {
			return sp.Addr, true
		}
	}
	return 0, false
}

// LendString never lends: a string result is the callee's own copy.
func (bw *borrowWriter) LendString(string) (uint64, bool) { return 0, false }
