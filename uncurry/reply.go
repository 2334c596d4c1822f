package uncurry

import (
	"sync"

	"github.com/virgilffi/virgil/bytebox"
	"github.com/virgilffi/virgil/codec"
	"github.com/virgilffi/virgil/exceptions"
)

// replyState is the pooled memory of serving one call: the reply writer (the handler's
// ReplyWriter) with an encoder writing to it and a decoder for the arguments, which the handlers
// of this package use instead of taking their own from pools. Reset gives the writer its
// allocator per call.
type replyState struct {
	*bytebox.Writer
	enc    *codec.Encoder
	dec    *codec.Decoder
	borrow borrowState // borrow.go
}

var replyStates = sync.Pool{New: func() any {
	s := &replyState{Writer: bytebox.NewWriter(bytebox.Box{}, nil), dec: codec.NewDecoder(nil)}
	s.enc = codec.NewEncoder(s.Writer)
	return s
}}

// WriteReply is the callee's side of a crossing, for a guest's exported function and a host's
// closure alike: it runs handler over args with a reply writer over lent (the scratch buffer the
// caller lent, {nil, 0} for none; a reply that outgrows it is allocated with alloc) and leaves the
// reply in out (cabi/ABI.md section 3). Handlers recover their own panics; a panic here is a bug
// of the glue itself, and replies a virgil.InternalError noted with where followed by name (two
// strings, joined only then). It never panics.
func WriteReply(handler Handler, args []byte, lent bytebox.Box, alloc bytebox.Allocator, out *bytebox.Box, where, name string) {
	writeReply(handler, args, lent, alloc, out, where, name, false)
}

// writeReply is WriteReply, and WriteBorrowingReply with borrow.
func writeReply(handler Handler, args []byte, lent bytebox.Box, alloc bytebox.Allocator, out *bytebox.Box, where, name string, borrow bool) {
	s := replyStates.Get().(*replyState)
	s.Reset(lent, alloc)
	if borrow {
		s.borrow.on, s.borrow.in = true, bytebox.SpanOf(args)
	}
	defer finishReply(s, lent, alloc, out, where, name)
	handler(s, args)
}

// finishReply is WriteReply's deferred end: it replaces the reply by a virgil.InternalError when
// the glue panicked, hands the reply over in out and gives the writer back. A deferred call of a
// named function with its arguments costs less than a deferred closure on this path of every
// call.
func finishReply(s *replyState, lent bytebox.Box, alloc bytebox.Allocator, out *bytebox.Box, where, name string) {
	if v := recover(); v != nil {
		s.Reset(lent, alloc)
		x := exceptions.FromPanic(v)
		x.Name, x.Notes = exceptions.InternalError, append(x.Notes, where+name)
		s.enc.EncodeError(x)
	}
	s.Finish(out)
	s.endBorrowing()
	replyStates.Put(s)
}

// Fail is a Handler that replies x whatever the arguments.
func Fail(x *exceptions.Exception) Handler {
	return func(w ReplyWriter, _ []byte) { codec.NewEncoder(w).EncodeError(x) }
}
