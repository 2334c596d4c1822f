package guest

import (
	"bytes"
	"runtime"
	"testing"
	"unsafe"

	"github.com/virgilffi/virgil/bytebox"
	"github.com/virgilffi/virgil/codec"
	"github.com/virgilffi/virgil/exceptions"
	"github.com/virgilffi/virgil/internal/borrowed"
	"github.com/virgilffi/virgil/uncurry"
)

var (
	testEchoBytes = uncurry.Func1("echo_bytes", func(b []byte) []byte { return b })
	testGreet     = uncurry.Func1("greet", func(s string) string { return "Hello, " + s + "!" })
	// testTail returns a slice of its argument: a view of lent memory, replied as one.
	testTail = uncurry.Func1("tail", func(b []byte) []byte { return b[len(b)/2:] })
	// testFresh returns bytes of its own, always inline.
	testFresh = uncurry.Func1("fresh", func(b []byte) []byte { return bytes.Clone(b) })
	// sawAlias reports whether the last []byte argument of testAlias aliased the lent memory.
	sawAlias  unsafe.Pointer
	testAlias = uncurry.Func1("alias", func(b []byte) int {
		sawAlias = unsafe.Pointer(unsafe.SliceData(b))
		return len(b)
	})
)

var guestFunctions = map[string]*uncurry.Function{"echo_bytes": testEchoBytes, "greet": testGreet}

// The host faults that require borrow (cabi/conformance/hostile.json): every `arguments` case of
// borrowed.json is refused with its error before a lent byte is read, and every
// `arguments_lent` case reads the real memory lent.
func TestServeBorrowedArguments(t *testing.T) {
	doc, err := borrowed.Load()
	if err != nil {
		t.Fatal(err)
	}
	if !CurrentManifest().Borrow {
		t.Fatal("the Go guest's manifest does not declare borrow")
	}
	before := ReadStats()
	for _, c := range doc.Arguments {
		t.Run(c.Name, func(t *testing.T) {
			reply := serveBoxes(t, guestFunctions[c.Function], ptrBox(borrowed.Bytes(c.Hex)), bytebox.Box{})
			if name, msg := replyName(t, reply); name != c.Expect {
				t.Fatalf("%s: %s, want %s", name, msg, c.Expect)
			}
		})
	}
	for _, c := range doc.Lent {
		t.Run(c.Name, func(t *testing.T) {
			data := borrowed.Bytes(c.BytesHex)
			args := codec.AppendBorrowed([]byte{0x91}, c.Ext, bytebox.SpanOf(data).Addr, uint64(len(data)))
			reply := serveBoxes(t, guestFunctions[c.Function], ptrBox(args), bytebox.Box{})
			runtime.KeepAlive(data)
			if c.Expect != "ok" {
				if name, msg := replyName(t, reply); name != c.Expect {
					t.Fatalf("%s: %s, want %s", name, msg, c.Expect)
				}
				return
			}
			var v any
			if err := codec.DecodeReply(reply, &v); err != nil {
				t.Fatal(err)
			}
			switch c.Function {
			case "echo_bytes": // 4 bytes: inline, shorter than a view
				if !bytes.Equal(v.([]byte), data) {
					t.Fatalf("echo_bytes replied %x", v)
				}
			case "greet":
				if v != "Hello, "+string(data)+"!" {
					t.Fatalf("greet replied %q", v)
				}
			}
		})
	}
	if after := ReadStats(); after.Live != before.Live {
		t.Fatalf("live buffers went from %d to %d", before.Live, after.Live)
	}
}

// A []byte result inside memory lent to the call is replied as a view of it (ext 65 with the
// address in the lent memory); a result of the guest's own is inline; a top-level []byte argument
// aliases the lent memory.
func TestServeBorrowedReplies(t *testing.T) {
	data := bytes.Repeat([]byte("0123456789"), 10)
	at := bytebox.SpanOf(data).Addr
	args := codec.AppendBorrowed([]byte{0x91}, codec.BorrowedBytesExt, at, uint64(len(data)))
	ok := []byte{0x81, 0xa2, 'o', 'k'}
	for _, tc := range []struct {
		f    *uncurry.Function
		want []byte
	}{
		{testEchoBytes, codec.AppendBorrowed(bytes.Clone(ok), codec.BorrowedBytesExt, at, 100)},
		{testTail, codec.AppendBorrowed(bytes.Clone(ok), codec.BorrowedBytesExt, at+50, 50)},
		{testFresh, append(append(bytes.Clone(ok), 0xc4, 100), data...)},
	} {
		if reply := serveBoxes(t, tc.f, ptrBox(args), bytebox.Box{}); !bytes.Equal(reply, tc.want) {
			t.Errorf("%s: reply %x, want %x", tc.f.Name, reply, tc.want)
		}
	}
	serveBoxes(t, testAlias, ptrBox(args), bytebox.Box{})
	if sawAlias != unsafe.Pointer(&data[0]) {
		t.Error("the []byte argument is not a view of the lent memory")
	}
	// Inline arguments: results are inline too, even a slice of in (no borrowed argument).
	inline := append([]byte{0x91, 0xc4, 100}, data...)
	if reply := serveBoxes(t, testEchoBytes, ptrBox(inline), bytebox.Box{}); !bytes.Equal(reply, append(append(bytes.Clone(ok), 0xc4, 100), data...)) {
		t.Errorf("inline echo: reply %x", reply[:min(len(reply), 20)])
	}
	runtime.KeepAlive(data)
}

// A closure never borrows (section 16): its handler, served by WriteReply, reads ext 65 as the
// raw extension it is, which a []byte parameter refuses.
func TestClosureDoesNotBorrow(t *testing.T) {
	data := []byte("abc")
	args := codec.AppendBorrowed([]byte{0x91}, codec.BorrowedBytesExt, bytebox.SpanOf(data).Addr, 3)
	var out bytebox.Box
	uncurry.WriteReply(testEchoBytes.Handler, args, bytebox.Box{}, cAlloc, &out, "test ", "closure")
	reply := bytes.Clone(out.Bytes())
	cAlloc(out.Ptr, 0)
	if name, msg := replyName(t, reply); name != exceptions.ArgumentError {
		t.Fatalf("%s: %s, want virgil.ArgumentError", name, msg)
	}
}

// BenchmarkServeBorrowing compares serving add(1, 2) with and without the borrowed-bytes state
// (WriteBorrowingReply, what every exported function pays, against WriteReply).
func BenchmarkServeBorrowing(b *testing.B) {
	add := uncurry.Func2("add", func(a, b int) int { return a + b })
	args := []byte{0x92, 0x01, 0x02}
	scratch := make([]byte, 256)
	lent := bytebox.Box{Ptr: unsafe.Pointer(&scratch[0]), Len: 256}
	for _, tc := range []struct {
		name  string
		write func(uncurry.Handler, []byte, bytebox.Box, bytebox.Allocator, *bytebox.Box, string, string)
	}{{"plain", uncurry.WriteReply}, {"borrowing", uncurry.WriteBorrowingReply}} {
		b.Run(tc.name, func(b *testing.B) {
			b.ReportAllocs()
			var out bytebox.Box
			for range b.N {
				tc.write(add.Handler, args, lent, cAlloc, &out, "", "add")
			}
		})
	}
}
