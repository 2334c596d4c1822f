package uncurry_test

import (
	"bytes"
	"testing"
	"unsafe"

	"github.com/virgilffi/virgil/bytebox"

	"github.com/virgilffi/virgil/codec"
	"github.com/virgilffi/virgil/uncurry"
)

func add(a, b int) int { return a + b }

// maxAllocsPerCall is a loose bound on allocations per call, so that regressions show.
const maxAllocsPerCall = 10

// TestAllocations reports allocations per call of the generic add handler, the reflection one
// and a Typed2 round trip in process, and bounds them.
func TestAllocations(t *testing.T) {
	if testing.Short() {
		t.Skip("allocation counts in -short mode")
	}
	args := encodeArgs(t, 1, 2)
	var w replyBuffer
	w.Grow(64)
	handlerAllocs := func(f *uncurry.Function) float64 {
		return testing.AllocsPerRun(1000, func() {
			w.Reset()
			f.Handler(&w, args)
		})
	}
	adapted, err := uncurry.Adapt("add", add)
	if err != nil {
		t.Fatal(err)
	}
	typed := uncurry.Typed2[int, int, int](caller(uncurry.Func2("add", add)))
	tests := []struct {
		name   string
		allocs float64
	}{
		{"Func2 add handler", handlerAllocs(uncurry.Func2("add", add))},
		{"Adapt add handler", handlerAllocs(adapted)},
		{"Typed2 add round trip", testing.AllocsPerRun(1000, func() {
			if n, err := typed(1, 2); n != 3 || err != nil {
				t.Fatal(n, err)
			}
		})},
	}
	for _, tt := range tests {
		t.Logf("%s: %.1f allocations per call", tt.name, tt.allocs)
		if tt.allocs >= maxAllocsPerCall {
			t.Errorf("%s: %.1f allocations per call, want fewer than %d", tt.name, tt.allocs, maxAllocsPerCall)
		}
	}
	var sum int
	if err := codec.DecodeReply(w.Bytes(), &sum); err != nil || sum != 3 {
		t.Fatalf("last reply: %d, %v", sum, err)
	}
}

func benchmarkHandler(b *testing.B, f *uncurry.Function) {
	args := encodeArgs(b, 1, 2)
	var w replyBuffer
	b.ReportAllocs()
	for b.Loop() {
		w.Reset()
		f.Handler(&w, args)
	}
}

// BenchmarkHandlerFunc2Add is the generic fast path.
func BenchmarkHandlerFunc2Add(b *testing.B) { benchmarkHandler(b, uncurry.Func2("add", add)) }

// BenchmarkHandlerAdaptAdd is the reflection path for the same function.
func BenchmarkHandlerAdaptAdd(b *testing.B) {
	f, err := uncurry.Adapt("add", add)
	if err != nil {
		b.Fatal(err)
	}
	benchmarkHandler(b, f)
}

// BenchmarkTyped2Add is a whole call in process: lower, handle, lift.
func BenchmarkTyped2Add(b *testing.B) {
	typed := uncurry.Typed2[int, int, int](caller(uncurry.Func2("add", add)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := typed(1, 2); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkBindAdd is the same call through a reflection binding.
func BenchmarkBindAdd(b *testing.B) {
	var bound func(a, b int) (int, error)
	if err := uncurry.Bind(&bound, caller(uncurry.Func2("add", add))); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := bound(1, 2); err != nil {
			b.Fatal(err)
		}
	}
}

// benchWriteReply serves f over args with WriteReply, the reply in a lent scratch buffer, as a
// Go guest serves a call, and checks the last reply.
func benchWriteReply(b *testing.B, f *uncurry.Function, args, want []byte) {
	scratch := make([]byte, 256)
	lent := bytebox.Box{Ptr: unsafe.Pointer(&scratch[0]), Len: uint64(len(scratch))}
	var out bytebox.Box
	b.ReportAllocs()
	for b.Loop() {
		uncurry.WriteReply(f.Handler, args, lent, nil, &out, "in the benchmark", "")
	}
	if !bytes.Equal(out.Bytes(), want) {
		b.Fatalf("reply %x", out.Bytes())
	}
}

// BenchmarkWriteReplyAdd is a Go guest's side of a call of add(1, 2).
func BenchmarkWriteReplyAdd(b *testing.B) {
	benchWriteReply(b, uncurry.Func2("add", add), encodeArgs(b, 1, 2), []byte{0x81, 0xa2, 'o', 'k', 0x03})
}

// cannedRuntime answers every closure call with the same reply, so a benchmark measures only the
// side that lifted the closure and calls it.
type cannedRuntime struct{ reply []byte }

func (r cannedRuntime) Call(_ codec.Closure, _ []byte, lift func([]byte) error) error {
	return lift(r.reply)
}
func (cannedRuntime) Retain(codec.Closure)  {}
func (cannedRuntime) Release(codec.Closure) {}

// BenchmarkWriteReplyApply is a Go guest's side of apply(f, 41): lifting the closure argument
// into a func(int64) (int64, error), calling it once (the call itself answered at once by a
// canned runtime) and replying its result.
func BenchmarkWriteReplyApply(b *testing.B) {
	if previous := uncurry.CurrentClosureRuntime(); previous != nil {
		defer uncurry.SetClosureRuntime(previous)
	}
	uncurry.SetClosureRuntime(cannedRuntime{reply: []byte{0x81, 0xa2, 'o', 'k', 42}})
	f := uncurry.Func2E("apply", func(f func(int64) (int64, error), x int64) (int64, error) { return f(x) })
	benchWriteReply(b, f, encodeArgs(b, codec.Closure{Call: 1, Env: 1}, 41), []byte{0x81, 0xa2, 'o', 'k', 42})
}
