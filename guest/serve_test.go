package guest

import (
	"strings"
	"testing"
	"unsafe"

	"github.com/virgilffi/virgil/bytebox"
	"github.com/virgilffi/virgil/codec"
	"github.com/virgilffi/virgil/exceptions"
	"github.com/virgilffi/virgil/uncurry"
)

var testAdd = uncurry.Func2("add", func(a, b int) int { return a + b })

// call serves f with args and a scratch buffer of the given size, returns the reply's bytes
// (copied) and whether the guest allocated it, and frees guest memory.
func call(t *testing.T, f *uncurry.Function, args []byte, scratchSize int) ([]byte, bool) {
	t.Helper()
	scratch := make([]byte, scratchSize)
	var sp unsafe.Pointer
	if scratchSize > 0 {
		sp = unsafe.Pointer(&scratch[0])
	}
	in := bytebox.Borrow(args)
	out := bytebox.Box{Ptr: sp, Len: uint64(scratchSize)}
	Serve(f, unsafe.Pointer(&in), unsafe.Pointer(&out))
	reply := append([]byte(nil), out.Bytes()...)
	owned := out.OwnedBy(sp)
	if owned {
		cAlloc(out.Ptr, 0)
	}
	return reply, owned
}

func TestServeUsesScratchWhenItFits(t *testing.T) {
	before := ReadStats()
	reply, owned := call(t, testAdd, []byte{0x92, 0x01, 0x02}, 64)
	if owned || string(reply) != "\x81\xa2ok\x03" {
		t.Fatalf("reply %x, owned %v", reply, owned)
	}
	if after := ReadStats(); after.Allocations != before.Allocations {
		t.Fatal("a reply that fits must not allocate")
	}
}

func TestServeAllocatesWithoutScratch(t *testing.T) {
	before := ReadStats()
	for _, size := range []int{0, 4} { // no scratch, and scratch too small
		reply, owned := call(t, testAdd, []byte{0x92, 0x01, 0x02}, size)
		if !owned || string(reply) != "\x81\xa2ok\x03" {
			t.Fatalf("size %d: reply %x, owned %v", size, reply, owned)
		}
	}
	after := ReadStats()
	if after.Live != before.Live || after.Allocations != before.Allocations+2 {
		t.Fatalf("stats went from %+v to %+v", before, after)
	}
}

func TestServeNilBoxes(t *testing.T) {
	var out bytebox.Box
	Serve(testAdd, nil, unsafe.Pointer(&out)) // no input: an empty argument list
	err := codec.DecodeReply(out.Bytes(), nil)
	cAlloc(out.Ptr, 0)
	if x, ok := err.(*exceptions.Exception); !ok || x.Name != exceptions.ArgumentError {
		t.Fatalf("got %v", err)
	}
	Serve(testAdd, nil, nil) // nowhere to reply: must simply return
}

// A Handler that panics outside uncurry's own recovery still yields an envelope.
func TestServeRecoversGluePanics(t *testing.T) {
	broken := &uncurry.Function{Name: "broken", Handler: func(uncurry.ReplyWriter, []byte) { panic("glue bug") }}
	reply, _ := call(t, broken, []byte{0x90}, 0)
	err := codec.DecodeReply(reply, nil)
	x, ok := err.(*exceptions.Exception)
	if !ok || x.Name != exceptions.InternalError || !strings.Contains(x.Message, "glue bug") {
		t.Fatalf("got %#v", err)
	}
}

func TestManifestAndStatsHandlers(t *testing.T) {
	Library("testlib", "2.0.0")
	Export(uncurry.Func1("zeta", func(s string) string { return s }).WithParams("s").WithDoc("zeta doc"))
	Export(testAdd.WithParams("a", "b"))
	reply, _ := call(t, &uncurry.Function{Name: "virgil_manifest", Handler: manifestHandler}, nil, 4096)
	var m uncurry.Manifest
	if err := codec.DecodeReply(reply, &m); err != nil {
		t.Fatal(err)
	}
	if m.ABI != 1 || m.Library != "testlib" || m.Version != "2.0.0" || m.Language != "go" || len(m.Functions) != 2 {
		t.Fatalf("manifest %+v", m)
	}
	if m.Functions[0].Name != "add" || m.Functions[1].Name != "zeta" || m.Functions[1].Doc != "zeta doc" || m.Functions[1].Params[0] != (uncurry.Param{Name: "s", Type: "str"}) {
		t.Fatalf("functions must be sorted and described: %+v %+v", m.Functions[0], m.Functions[1])
	}
	reply, _ = call(t, &uncurry.Function{Name: "virgil_stats", Handler: statsHandler}, nil, 4096)
	var s uncurry.Stats
	if err := codec.DecodeReply(reply, &s); err != nil || s.Allocations < s.Frees || s.Live != s.Allocations-s.Frees {
		t.Fatalf("stats %+v, %v", s, err)
	}
}

func TestMustAdaptPanicsOnNonFunctions(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Fatal("MustAdapt(42) must panic")
		}
	}()
	MustAdapt("x", 42)
}
