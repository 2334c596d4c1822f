package uncurry

import (
	"errors"
	"slices"
	"testing"
	"unsafe"

	"github.com/virgilffi/virgil/bytebox"
	"github.com/virgilffi/virgil/codec"
	"github.com/virgilffi/virgil/exceptions"
)

// WriteReply leaves the handler's reply in the scratch buffer, and a panic of the glue as a
// virgil.InternalError noted with where it happened.
func TestWriteReply(t *testing.T) {
	scratch := make([]byte, 64<<10) // large enough for the panic record and its traceback
	lent := bytebox.Box{Ptr: unsafe.Pointer(&scratch[0]), Len: uint64(len(scratch))}
	noAlloc := func(unsafe.Pointer, uintptr) unsafe.Pointer { return nil }

	var out bytebox.Box
	WriteReply(func(w ReplyWriter, args []byte) { codec.NewEncoder(w).EncodeOK(len(args)) }, []byte{1, 2, 3}, lent, noAlloc, &out, "in the test glue of ", "f")
	if out.Ptr != lent.Ptr {
		t.Fatalf("the reply is not in the scratch buffer: %+v", out)
	}
	var n int
	if err := codec.DecodeReply(out.Bytes(), &n); err != nil || n != 3 {
		t.Fatalf("reply %d, %v; want 3", n, err)
	}

	out = bytebox.Box{}
	WriteReply(func(ReplyWriter, []byte) { panic("broken glue") }, nil, lent, noAlloc, &out, "in the test glue of ", "f")
	err := codec.DecodeReply(out.Bytes(), nil)
	var x *exceptions.Exception
	if !errors.As(err, &x) || x.Name != exceptions.InternalError || !slices.Contains(x.Notes, "in the test glue of f") {
		t.Fatalf("a panic replies %v, want virgil.InternalError noted \"in the test glue of f\"", err)
	}

	out = bytebox.Box{}
	WriteReply(Fail(exceptions.Newf(exceptions.ProtocolError, "no")), nil, lent, noAlloc, &out, "", "")
	if err := codec.DecodeReply(out.Bytes(), nil); !errors.As(err, &x) || x.Name != exceptions.ProtocolError {
		t.Fatalf("Fail replies %v, want virgil.ProtocolError", err)
	}
}
