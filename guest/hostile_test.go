package guest

import (
	"bytes"
	"strings"
	"testing"
	"unsafe"

	"github.com/virgilffi/virgil/bytebox"
	"github.com/virgilffi/virgil/codec"
	"github.com/virgilffi/virgil/exceptions"
	"github.com/virgilffi/virgil/uncurry"
)

var testEcho = uncurry.Func1("echo", func(v any) any { return v })

// serveBoxes serves f with the boxes given as they are, returns the reply (copied) and frees
// what the guest allocated.
func serveBoxes(t *testing.T, f *uncurry.Function, in *bytebox.Box, out bytebox.Box) []byte {
	t.Helper()
	lent := out.Ptr
	Serve(f, unsafe.Pointer(in), unsafe.Pointer(&out))
	reply := append([]byte(nil), out.Bytes()...)
	if out.OwnedBy(lent) {
		cAlloc(out.Ptr, 0)
	}
	return reply
}

// replyName returns the name of the exception a reply carries, and its message.
func replyName(t *testing.T, reply []byte) (string, string) {
	t.Helper()
	err := codec.DecodeReply(reply, nil)
	x, ok := err.(*exceptions.Exception)
	if !ok {
		t.Fatalf("reply %x: want an error reply, got %v", reply, err)
	}
	return x.Name, x.Message
}

// What a hostile host can do through the boxes themselves (cabi/conformance/hostile.json,
// host_faults): each gives an error reply (or, without an out box, nothing), never a crash, and
// leaves no guest buffer live.
func TestServeHostileBoxes(t *testing.T) {
	before := ReadStats()
	scratch := make([]byte, 256)
	sp := unsafe.Pointer(&scratch[0])
	args := []byte{0x91, 0x01}
	for _, tc := range []struct {
		name       string
		in         *bytebox.Box
		out        bytebox.Box
		want, text string
	}{
		{"NULL in", nil, bytebox.Box{}, exceptions.ArgumentError, "echo: malformed arguments: expected array, got nothing"},
		{"{NULL, 0} in", &bytebox.Box{}, bytebox.Box{Ptr: sp, Len: 256}, exceptions.ArgumentError, "echo: malformed arguments"},
		{"{NULL, 5} in", &bytebox.Box{Len: 5}, bytebox.Box{Ptr: sp, Len: 256}, exceptions.ProtocolError, "echo: the argument box is {NULL, 5}"},
		{"in of 2^50 bytes", &bytebox.Box{Ptr: unsafe.Pointer(&args[0]), Len: 1 << 50}, bytebox.Box{}, exceptions.ProtocolError, "echo: the argument box claims 1125899906842624 bytes"},
		{"scratch of 2^50 bytes", ptrBox(args), bytebox.Box{Ptr: sp, Len: 1 << 50}, "", ""},
		{"scratch {NULL, 64}", ptrBox(args), bytebox.Box{Len: 64}, "", ""},
		{"garbage", ptrBox([]byte{0xc1, 0xc1}), bytebox.Box{}, exceptions.ArgumentError, "echo: malformed arguments"},
		{"truncated", ptrBox([]byte{0x92, 0x01}), bytebox.Box{}, exceptions.ArgumentError, "echo: expected 1 argument, got 2"},
		{"array32 claiming 2^32-1", ptrBox([]byte{0xdd, 0xff, 0xff, 0xff, 0xff, 0x01}), bytebox.Box{}, exceptions.ArgumentError, "echo: expected 1 argument, got 4294967295"},
		{"str32 claiming 4 GiB", ptrBox([]byte{0x91, 0xdb, 0xff, 0xff, 0xff, 0xff, 0x61}), bytebox.Box{}, exceptions.ArgumentError, "echo: argument 1: msgpack: truncated input"},
		{"nesting 513", ptrBox(nested(513)), bytebox.Box{}, exceptions.LimitExceeded, "echo: argument 1: msgpack: nesting deeper than 512"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			reply := serveBoxes(t, testEcho, tc.in, tc.out)
			if tc.want == "" {
				if !bytes.Equal(reply, []byte{0x81, 0xa2, 'o', 'k', 0x01}) {
					t.Fatalf("reply %x, want {ok: 1}", reply)
				}
				return
			}
			name, msg := replyName(t, reply)
			if name != tc.want || !strings.HasPrefix(msg, tc.text) {
				t.Fatalf("%s: %s; want %s: %s...", name, msg, tc.want, tc.text)
			}
		})
	}
	reply := serveBoxes(t, testEcho, ptrBox(nested(512)), bytebox.Box{})
	if want := append([]byte{0x81, 0xa2, 'o', 'k'}, nested(512)[1:]...); !bytes.Equal(reply, want) {
		t.Fatalf("nesting 512: reply %x", reply[:min(len(reply), 40)])
	}
	Serve(testEcho, unsafe.Pointer(ptrBox(args)), nil) // NULL out: nowhere to reply, must return
	if after := ReadStats(); after.Live != before.Live {
		t.Fatalf("live buffers went from %d to %d", before.Live, after.Live)
	}
}

// ptrBox returns a box borrowing b.
func ptrBox(b []byte) *bytebox.Box {
	box := bytebox.Borrow(b)
	return &box
}

// nested is the argument array of one value: n arrays around 1.
func nested(n int) []byte {
	return append(append([]byte{0x91}, bytes.Repeat([]byte{0x91}, n)...), 0x01)
}

// A callback's reply box is checked before a byte of it is read (cabi/ABI.md section 2), and
// only the callee's own memory is given back.
func TestCheckReply(t *testing.T) {
	scratch := make([]byte, closureScratch)
	sp := unsafe.Pointer(&scratch[0])
	args := make([]byte, 16)
	in := bytebox.Borrow(args)
	other := make([]byte, 8) // stands for memory of the callee
	op := unsafe.Pointer(&other[0])
	for _, tc := range []struct {
		name  string
		reply bytebox.Box
		first byte
		want  string
		free  bool
	}{
		{"{NULL, 0}", bytebox.Box{}, 0, exceptions.OutOfMemory, false},
		{"{NULL, 5}", bytebox.Box{Len: 5}, 0, exceptions.ProtocolError, false},
		{"pointer without length", bytebox.Box{Ptr: op}, 0, exceptions.ProtocolError, false},
		{"beyond the scratch", bytebox.Box{Ptr: sp, Len: closureScratch + 1}, 0, exceptions.ProtocolError, false},
		{"into the arguments", bytebox.Box{Ptr: unsafe.Pointer(&args[3]), Len: 4}, 0, exceptions.ProtocolError, false},
		{"inside the scratch", bytebox.Box{Ptr: unsafe.Pointer(&scratch[1]), Len: 3}, 0, exceptions.ProtocolError, false},
		{"huge", bytebox.Box{Ptr: op, Len: 1 << 50}, 0, exceptions.LimitExceeded, true},
		{"not written", bytebox.Box{Ptr: sp, Len: closureScratch}, 0xc1, exceptions.ProtocolError, false},
		{"in the scratch", bytebox.Box{Ptr: sp, Len: 5}, 0x81, "", false},
		{"its own memory", bytebox.Box{Ptr: op, Len: 5}, 0xc1, "", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			scratch[0] = tc.first
			fault, free := checkReply(tc.reply, in, sp)
			var name string
			if x, ok := fault.(*exceptions.Exception); ok {
				name = x.Name
			} else if fault != nil {
				t.Fatalf("fault %T %v", fault, fault)
			}
			if name != tc.want || free != tc.free {
				t.Fatalf("fault %v, free %v; want %q, %v", fault, free, tc.want, tc.free)
			}
		})
	}
}
