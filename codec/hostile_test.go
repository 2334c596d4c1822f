package codec_test

import (
	"runtime"
	"testing"

	"github.com/virgilffi/virgil/codec"
)

// Declared lengths larger than the input are caught before msgpack/v5 sees the bytes: its own
// decoders grow buffers to the declared length, so unchecked they let a few hostile bytes cost
// megabytes.
func TestHostileLengthsCostNoMemory(t *testing.T) {
	hostile := [][]byte{
		{0xdb, 0x7f, 0xff, 0xff, 0xff, 'x'},             // str32 of 2 GiB
		{0xc6, 0x7f, 0xff, 0xff, 0xff, 'x'},             // bin32 of 2 GiB
		{0xc9, 0x7f, 0xff, 0xff, 0xff, 0x01, 'x'},       // ext32 of 2 GiB
		{0x91, 0xdd, 0x7f, 0xff, 0xff, 0xff},            // array32 of 2G elements
		{0x81, 0xa1, 'k', 0xdb, 0x7f, 0xff, 0xff, 0xff}, // a map value
	}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	for range 100 {
		for _, in := range hostile {
			var v any
			if err := codec.NewDecoder(in).Decode(&v); err == nil {
				t.Fatalf("%x decoded", in)
			}
			var s struct{ K string }
			codec.NewDecoder(in).Decode(&s)
		}
	}
	runtime.ReadMemStats(&after)
	if grown := after.TotalAlloc - before.TotalAlloc; grown > 10<<20 {
		t.Fatalf("500 hostile decodes allocated %d MB", grown>>20)
	}
}
