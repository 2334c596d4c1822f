package guest

import (
	"unsafe"

	"github.com/virgilffi/virgil/bytebox"
	"github.com/virgilffi/virgil/exceptions"
	"github.com/virgilffi/virgil/uncurry"
)

// maxBox is the largest length a box from the host may claim: 2^47 bytes, more than any process
// maps (and Go cannot even view 2^48 bytes as one slice). A longer in box is a protocol error; a
// longer scratch buffer is not used.
const maxBox = 1 << 47

// Serve handles one call of f from C: in and out are the call's const virgil_box* and
// virgil_box*. Generated //export wrappers call it; it never panics and always leaves a reply in
// out (or {NULL, 0} when no memory could be had for one).
//
// A hostile host gets an error reply, never a crash, for what can be detected: a NULL in, or an
// in of {NULL, 0}, holds no argument array (virgil.ArgumentError); an in of {NULL, n} or of an
// impossible length is virgil.ProtocolError; garbage, truncated and too-deep arguments are
// virgil.ArgumentError and virgil.LimitExceeded (package uncurry). A NULL out leaves nowhere to
// reply: Serve returns without doing anything. A scratch buffer of {NULL, n} or of an impossible
// capacity is not used (the reply is allocated).
func Serve(f *uncurry.Function, in, out unsafe.Pointer) {
	if out == nil {
		return // nowhere to reply; a conforming host never does this
	}
	outBox := bytebox.FromPointer(out)
	lent := scratchOf(outBox)
	var inBox bytebox.Box
	if in != nil {
		inBox = *bytebox.FromPointer(in)
	}
	switch {
	case inBox.Ptr == nil && inBox.Len > 0:
		serve(f.Name, uncurry.Fail(exceptions.Newf(exceptions.ProtocolError, "%s: the argument box is {NULL, %d}", f.Name, inBox.Len)), nil, lent, outBox)
	case inBox.Len > maxBox:
		serve(f.Name, uncurry.Fail(exceptions.Newf(exceptions.ProtocolError, "%s: the argument box claims %d bytes", f.Name, inBox.Len)), nil, lent, outBox)
	default:
		serve(f.Name, f.Handler, inBox.Bytes(), lent, outBox)
	}
}

// scratchOf returns the scratch buffer the out box lends, or {nil, 0} when it lends none or one
// that cannot be real ({NULL, n}, an impossible capacity).
func scratchOf(out *bytebox.Box) bytebox.Box {
	if lent := *out; lent.Ptr != nil && lent.Len <= maxBox {
		return lent
	}
	return bytebox.Box{}
}

// serve runs handler with a reply writer over the scratch buffer lent ({nil, 0} for none) and
// leaves the reply in outBox (uncurry.WriteBorrowingReply: the library declares "borrow").
func serve(name string, handler uncurry.Handler, args []byte, lent bytebox.Box, outBox *bytebox.Box) {
	uncurry.WriteBorrowingReply(handler, args, lent, cAlloc, outBox, "in the Virgil guest glue of ", name)
}
