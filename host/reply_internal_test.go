package host

import (
	"errors"
	"strings"
	"testing"
	"unsafe"

	"github.com/virgilffi/virgil/bytebox"
	"github.com/virgilffi/virgil/codec"
	"github.com/virgilffi/virgil/exceptions"
)

// checkReply follows the order of cabi/ABI.md section 2 and frees exactly the guest's buffers.
func TestCheckReply(t *testing.T) {
	scratch := make([]byte, 16)
	in := []byte{0x92, 0x01, 0x02}
	guest := make([]byte, 32) // stands for guest memory: neither in nor scratch
	sp, ip, gp := unsafe.Pointer(&scratch[0]), unsafe.Pointer(&in[0]), unsafe.Pointer(&guest[0])
	at := func(p unsafe.Pointer, off uintptr) unsafe.Pointer { return unsafe.Add(p, off) }
	for _, tc := range []struct {
		what    string
		box     bytebox.Box
		first   byte // the scratch's first byte after the call
		max     uint64
		free    bool
		name    string // "" for a reply that passes
		message string
	}{
		{"in scratch", bytebox.Box{Ptr: sp, Len: 5}, 0x81, 100, false, "", ""},
		{"scratch full", bytebox.Box{Ptr: sp, Len: 16}, 0x81, 100, false, "", ""},
		{"guest memory", bytebox.Box{Ptr: gp, Len: 32}, unwritten, 100, true, "", ""},
		{"NULL, 0", bytebox.Box{}, unwritten, 100, false, exceptions.OutOfMemory, "could not allocate its reply"},
		{"NULL with a length", bytebox.Box{Len: 5}, unwritten, 100, false, exceptions.ProtocolError, "{NULL, 5}"},
		{"guest pointer, no length", bytebox.Box{Ptr: gp}, unwritten, 100, false, exceptions.ProtocolError, "without a length"},
		{"scratch, no length", bytebox.Box{Ptr: sp}, unwritten, 100, false, exceptions.ProtocolError, "without a length"},
		{"beyond the scratch", bytebox.Box{Ptr: sp, Len: 17}, unwritten, 100, false, exceptions.ProtocolError, "17-byte reply in the 16-byte scratch"},
		{"into in", bytebox.Box{Ptr: ip, Len: 3}, unwritten, 100, false, exceptions.ProtocolError, "argument bytes (offset 0)"},
		{"into in's end", bytebox.Box{Ptr: at(ip, 2), Len: 1}, unwritten, 100, false, exceptions.ProtocolError, "argument bytes (offset 2)"},
		{"inside the scratch", bytebox.Box{Ptr: at(sp, 1), Len: 3}, 0x81, 100, false, exceptions.ProtocolError, "inside the scratch buffer (offset 1)"},
		{"inside the scratch, huge", bytebox.Box{Ptr: at(sp, 15), Len: 1 << 50}, 0x81, 100, false, exceptions.ProtocolError, "inside the scratch buffer (offset 15)"},
		{"too large", bytebox.Box{Ptr: gp, Len: 1 << 50}, unwritten, 100, true, exceptions.LimitExceeded, "more than the maximum of 100; it was freed unread"},
		{"too large in scratch", bytebox.Box{Ptr: sp, Len: 16}, 0x81, 8, false, exceptions.LimitExceeded, "16 bytes, more than the maximum of 8"},
		{"unwritten", bytebox.Box{Ptr: sp, Len: 16}, unwritten, 100, false, exceptions.ProtocolError, "the guest wrote no reply"},
		{"written, starting c1", bytebox.Box{Ptr: sp, Len: 15}, unwritten, 100, false, "", ""},
	} {
		t.Run(tc.what, func(t *testing.T) {
			scratch[0] = tc.first
			free, err := checkReply("f", tc.box, scratch, in, tc.max)
			if free != tc.free {
				t.Errorf("free %v, want %v", free, tc.free)
			}
			var x *exceptions.Exception
			switch {
			case tc.name == "" && err != nil:
				t.Fatalf("unexpected %v", err)
			case tc.name == "":
			case !errors.As(err, &x) || x.Name != tc.name:
				t.Fatalf("want %s, got %v", tc.name, err)
			case !strings.HasPrefix(x.Message, "f: ") || !strings.Contains(x.Message, tc.message):
				t.Fatalf("message %q, want it to name f and contain %q", x.Message, tc.message)
			}
		})
	}
}

// liftReply tells the limits of section 11 from other malformations: the decoders name them.
func TestReplyLimit(t *testing.T) {
	deep := func(n int) []byte {
		b := append([]byte{0x81, 0xa2, 'o', 'k'}, make([]byte, n)...)
		for i := range n {
			b[4+i] = 0x91
		}
		return append(b, 0x01)
	}
	dec := codec.NewDecoder(nil)
	var v any
	if err := liftReply(dec, "f", deep(512), &v); err != nil {
		t.Errorf("512 deep: %v", err)
	}
	if err := liftReply(dec, "f", deep(513), &v); exceptionName(err) != exceptions.LimitExceeded ||
		!strings.Contains(err.Error(), "deeper than 512") {
		t.Errorf("513 deep: %v", err)
	}
	for _, b := range [][]byte{{0xc1}, {0x81}, {0x81, 0xa2, 'o', 'k'}, {0x81, 0xa5, 'e', 'r', 'r', 'o', 'r', 0x81}} {
		if err := liftReply(dec, "f", b, &v); exceptionName(err) != exceptions.ResultError {
			t.Errorf("%x: %v", b, err)
		}
	}
}
