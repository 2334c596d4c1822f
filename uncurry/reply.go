package uncurry

import (
	"sync"

	"github.com/virgilffi/virgil/bytebox"
	"github.com/virgilffi/virgil/codec"
	"github.com/virgilffi/virgil/exceptions"
)

// replyWriters are the reply writers of WriteReply; Reset gives each its allocator per call.
var replyWriters = sync.Pool{New: func() any { return bytebox.NewWriter(bytebox.Box{}, nil) }}

// WriteReply is the callee's side of a crossing, for a guest's exported function and a host's
// closure alike: it runs handler over args with a reply writer over lent (the scratch buffer the
// caller lent, {nil, 0} for none; a reply that outgrows it is allocated with alloc) and leaves the
// reply in out (cabi/ABI.md section 3). Handlers recover their own panics; a panic here is a bug
// of the glue itself, and replies a virgil.InternalError noted with where followed by name (two
// strings, joined only then). It never panics.
func WriteReply(handler Handler, args []byte, lent bytebox.Box, alloc bytebox.Allocator, out *bytebox.Box, where, name string) {
	w := replyWriters.Get().(*bytebox.Writer)
	w.Reset(lent, alloc)
	defer finishReply(w, lent, alloc, out, where, name)
	handler(w, args)
}

// finishReply is WriteReply's deferred end: it replaces the reply by a virgil.InternalError when
// the glue panicked, hands the reply over in out and gives the writer back. A deferred call of a
// named function with its arguments costs less than a deferred closure on this path of every
// call.
func finishReply(w *bytebox.Writer, lent bytebox.Box, alloc bytebox.Allocator, out *bytebox.Box, where, name string) {
	if v := recover(); v != nil {
		w.Reset(lent, alloc)
		x := exceptions.FromPanic(v)
		x.Name, x.Notes = exceptions.InternalError, append(x.Notes, where+name)
		codec.NewEncoder(w).EncodeError(x)
	}
	w.Finish(out)
	replyWriters.Put(w)
}

// Fail is a Handler that replies x whatever the arguments.
func Fail(x *exceptions.Exception) Handler {
	return func(w ReplyWriter, _ []byte) { codec.NewEncoder(w).EncodeError(x) }
}
