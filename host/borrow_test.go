package host_test

import (
	"bytes"
	"errors"
	"runtime"
	"strings"
	"testing"

	"github.com/virgilffi/virgil/bytebox"
	"github.com/virgilffi/virgil/codec"
	"github.com/virgilffi/virgil/exceptions"
	"github.com/virgilffi/virgil/host"
	"github.com/virgilffi/virgil/internal/borrowed"
	"github.com/virgilffi/virgil/internal/testlibs"
)

// borrowedFault is one input of a host_faults case that requires borrow: an argument array sent
// to function, the memory it lends (kept alive for the call), and the error name expected.
type borrowedFault struct {
	name, function, expect string
	args, lent             []byte
}

// borrowedFaults builds the inputs of the host_faults case called name that requires borrow.
func borrowedFaults(t *testing.T, name string) []borrowedFault {
	t.Helper()
	doc, err := borrowed.Load()
	if err != nil {
		t.Fatal(err)
	}
	switch name {
	case "broken borrowed arguments":
		var fs []borrowedFault
		for _, c := range doc.Arguments {
			fs = append(fs, borrowedFault{name: c.Name, function: c.Function, expect: c.Expect, args: borrowed.Bytes(c.Hex)})
		}
		return fs
	case "borrowed str not UTF-8":
		lent := []byte{0xff, 0xfe}
		args := codec.AppendBorrowed([]byte{0x91}, codec.BorrowedStrExt, bytebox.SpanOf(lent).Addr, uint64(len(lent)))
		return []borrowedFault{{name: name, function: "greet", expect: "virgil.ArgumentError", args: args, lent: lent}}
	}
	t.Fatalf("no input for the host_faults case %q, which requires borrow", name)
	return nil
}

// inflictBorrowed sends every input of a host_faults case requiring borrow to a guest whose
// manifest declares borrow (others are skipped) through raw boxes: each reply names its error,
// and the guest's live buffers come back to where they were.
func inflictBorrowed(t *testing.T, g *rawGuest, name, does string) {
	if m := g.lib.Manifest(); m == nil || !m.Borrow {
		t.Skipf("the guest's manifest does not declare borrow")
	}
	for _, f := range borrowedFaults(t, name) {
		t.Run(f.name, func(t *testing.T) {
			before := liveAllocations(t, g.lib)
			in := bytebox.Borrow(f.args)
			reply := g.call(t, f.function, &in, host.DefaultScratchSize)
			runtime.KeepAlive(f.lent)
			if err := checkHostFault(f.expect, f.args, reply); err != nil {
				t.Errorf("%s (the host %s)", err, does)
			}
			if after := liveAllocations(t, g.lib); after != before {
				t.Errorf("the guest's live buffers went from %d to %d", before, after)
			}
		})
	}
}

// lentMemory is a codec.Lender over the memory a test lent: it reads a borrowed reply value only
// inside it.
type lentMemory struct{ spans []bytebox.Span }

func (m lentMemory) View(ptr, n uint64) ([]byte, error) {
	for _, s := range m.spans {
		if s.Contains(ptr, n) {
			return bytebox.View(ptr, n), nil
		}
	}
	return nil, errors.New("not lent")
}

// Every `arguments_lent` case of borrowed.json, through raw boxes, on every conformance guest
// whose manifest declares borrow: the guest reads real lent memory, and echo_bytes may reply a
// view of it (read here only inside what was lent).
func TestBorrowedArgumentsLent(t *testing.T) {
	doc, err := borrowed.Load()
	if err != nil {
		t.Fatal(err)
	}
	for language, build := range testlibs.ConformanceGuests() {
		t.Run(language, func(t *testing.T) {
			g := openRaw(t, build(t))
			if m := g.lib.Manifest(); m == nil || !m.Borrow {
				t.Skipf("the guest's manifest does not declare borrow")
			}
			for _, c := range doc.Lent {
				t.Run(c.Name, func(t *testing.T) {
					before := liveAllocations(t, g.lib)
					data := borrowed.Bytes(c.BytesHex)
					args := codec.AppendBorrowed([]byte{0x91}, c.Ext, bytebox.SpanOf(data).Addr, uint64(len(data)))
					in := bytebox.Borrow(args)
					reply := g.call(t, c.Function, &in, host.DefaultScratchSize)
					d := codec.NewDecoder(nil)
					d.SetLender(lentMemory{[]bytebox.Span{bytebox.SpanOf(data), bytebox.SpanOf(args)}}, false)
					var v any
					err := codec.DecodeReplyWith(d, reply, &v)
					runtime.KeepAlive(data)
					got := "ok"
					if x := (*exceptions.Exception)(nil); errors.As(err, &x) {
						got = x.Name
					} else if err != nil {
						t.Fatal(err)
					}
					if got != c.Expect {
						t.Fatalf("got %s (%v), want %s", got, err, c.Expect)
					}
					switch {
					case got != "ok":
					case c.Function == "echo_bytes" && !bytes.Equal(v.([]byte), data):
						t.Fatalf("echo_bytes gave %x", v)
					case c.Function == "greet" && !strings.Contains(v.(string), string(data)):
						t.Fatalf("greet gave %q", v)
					}
					if after := liveAllocations(t, g.lib); after != before {
						t.Errorf("the guest's live buffers went from %d to %d", before, after)
					}
				})
			}
		})
	}
}

// Through the host: large arguments are lent to a guest declaring borrow and come back equal,
// small ones and WithBorrowThreshold(0) inline; a slice of a lent argument comes back as a copy.
func TestBorrowedCalls(t *testing.T) {
	for _, opts := range [][]host.Option{nil, {host.WithBorrowThreshold(0)}, {host.WithBorrowThreshold(1)}} {
		lib := open(t, testlibs.GoGuest(t), opts...)
		if !lib.Manifest().Borrow {
			t.Fatal("the Go guest's manifest does not declare borrow")
		}
		echo, err := host.Func1[[]byte, []byte](lib, "echo_bytes")
		if err != nil {
			t.Fatal(err)
		}
		for _, n := range []int{0, 5, 100, host.DefaultBorrowThreshold, 1 << 20} {
			data := bytes.Repeat([]byte{0xa5, 0x5a, 0}, n/3+1)[:n]
			var got []byte
			if err := lib.Call("echo_bytes", &got, data); err != nil || !bytes.Equal(got, data) {
				t.Fatalf("echo_bytes of %d bytes: %d bytes back, %v", n, len(got), err)
			}
			if n > 0 && &got[0] == &data[0] {
				t.Fatal("the result aliases the argument")
			}
			if typed, err := echo(data); err != nil || !bytes.Equal(typed, data) {
				t.Fatalf("typed echo_bytes of %d bytes: %d bytes back, %v", n, len(typed), err)
			}
			name := strings.Repeat("é", n/2)
			var greeting string
			if err := lib.Call("greet", &greeting, name); err != nil || !strings.Contains(greeting, name) {
				t.Fatalf("greet of %d bytes: %v", len(name), err)
			}
			var anyv any
			if err := lib.Call("echo", &anyv, []any{data, name}); err != nil {
				t.Fatalf("echo of a list: %v", err)
			}
			if l := anyv.([]any); !bytes.Equal(l[0].([]byte), data) || l[1].(string) != name {
				t.Fatalf("echo of a list of %d bytes came back different", n)
			}
		}
	}
}
