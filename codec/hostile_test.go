package codec_test

import (
	"bytes"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/vmihailenco/msgpack/v5"

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

// Map keys that Go cannot hash (bin) lifted into an interface are an error, not a panic inside
// msgpack/v5, wherever the interface sits in the key type; keys that are arrays or maps are
// malformed whatever the target (cabi/ABI.md section 5: map keys are scalars).
func TestUnhashableMapKeysAreErrors(t *testing.T) {
	binKey := []byte{0x81, 0xc4, 0x01, 0x00, 0x01} // {b"\x00": 1}
	for _, tc := range []struct {
		name string
		in   []byte
		into any
		want string
	}{
		{"bin key, map[any]any", binKey, new(map[any]any), ".<key>: expected a hashable key, got bin"},
		{"array key, map[any]any", []byte{0x81, 0x91, 0x01, 0x01}, new(map[any]any), "msgpack: a map key is an array at byte 1: map keys are scalars"},
		{"map key, map[any]int", []byte{0x81, 0x81, 0x01, 0x01, 0x01}, new(map[any]int), "msgpack: a map key is a map at byte 1: map keys are scalars"},
		{"struct field", []byte{0x81, 0xa1, 'k', 0x81, 0xc4, 0x01, 0x00, 0x01}, new(struct {
			K map[any]int `msgpack:"k"`
		}), ".k.<key>: expected a hashable key, got bin"},
		{"slice element", append([]byte{0x91}, binKey...), new([]map[any]any), "[0].<key>: expected a hashable key, got bin"},
		{"array of any as key", []byte{0x81, 0x91, 0xc4, 0x00, 0x01}, new(map[[1]any]int), "msgpack: a map key is an array at byte 1: map keys are scalars"},
		{"struct with any as key", []byte{0x81, 0x81, 0xa1, 'K', 0x90, 0x01}, new(map[struct{ K any }]int), "msgpack: a map key is a map at byte 1: map keys are scalars"},
		{"ext key, map[any]any", []byte{0x81, 0xd4, 0x30, 0x30, 0x01}, new(map[any]any), ".<key>: expected a hashable key, got ext 48"},
		{"any", binKey, new(any), ".<key>: expected a hashable key, got bin"},
		{"any in a slice", append([]byte{0x91}, binKey...), new([]any), "[0].<key>: expected a hashable key, got bin"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := codec.NewDecoder(tc.in).Decode(tc.into)
			if err == nil || err.Error() != tc.want {
				t.Fatalf("error %v, want %q", err, tc.want)
			}
		})
	}
}

// Hashable keys of every family still decode into interfaces.
func TestHashableMapKeysDecode(t *testing.T) {
	var buf bytes.Buffer
	e := codec.NewEncoder(&buf)
	e.EncodeMapHeader(5)
	for _, kv := range []any{"s", 1, 2, "two", 2.5, true, nil, 0, time.Unix(7, 0).UTC(), 3} {
		if err := e.Encode(kv); err != nil {
			t.Fatal(err)
		}
	}
	var m map[any]any
	if err := codec.NewDecoder(buf.Bytes()).Decode(&m); err != nil {
		t.Fatal(err)
	}
	if len(m) != 5 || m[int8(2)] != "two" && m[int64(2)] != "two" || m[2.5] != true {
		t.Fatalf("%#v", m)
	}
	// An array key is malformed even for a Go key type that could hold it (cabi/ABI.md section 5).
	var arr map[[2]any]int
	if err := codec.NewDecoder([]byte{0x81, 0x92, 0x01, 0xa1, 'x', 0x05}).Decode(&arr); err == nil {
		t.Fatalf("an array key was lifted: %v", arr)
	}
}

// panicky decodes itself and panics doing so.
type panicky struct{}

func (*panicky) DecodeMsgpack(*msgpack.Decoder) error { panic("intern strings are not supported") }

// A panic while decoding (here in a type's own method) is returned as an error.
func TestDecodeRecoversPanics(t *testing.T) {
	d := codec.NewDecoder([]byte{0x81, 0xa1, 'N', 0x01})
	err := d.Decode(new(struct{ N panicky }))
	if err == nil || !strings.Contains(err.Error(), "panicked") || !strings.Contains(err.Error(), "intern strings are not supported") {
		t.Fatalf("error %v", err)
	}
	if d.Offset() != 0 {
		t.Fatalf("a failed decode moved the decoder to %d", d.Offset())
	}
	var n int // the decoder is still usable
	if err := codec.NewDecoder([]byte{0x05}).Decode(&n); err != nil || n != 5 {
		t.Fatal(n, err)
	}
}
