//go:build linux

package codec_test

import (
	"bytes"
	"errors"
	"syscall"
	"testing"
	"unsafe"

	"github.com/virgilffi/virgil/codec"
)

// hugeBytes maps 2^32 bytes of address space, never touched, so that lengths MessagePack cannot
// represent can be handed to the encoder without 4 GiB of memory.
func hugeBytes(t *testing.T) []byte {
	t.Helper()
	const n = 1 << 32
	b, err := syscall.Mmap(-1, 0, n, syscall.PROT_READ, syscall.MAP_PRIVATE|syscall.MAP_ANON|syscall.MAP_NORESERVE)
	if err != nil {
		t.Skipf("cannot map 4 GiB of address space: %v", err)
	}
	t.Cleanup(func() { syscall.Munmap(b) })
	return b
}

// A str, bin or ext of 2^32 bytes, or an array or map of 2^32 elements, is refused as a limit
// (cabi/ABI.md section 11) instead of being written with a length cut to 32 bits.
func TestEncoderRefusesLengthsOf4GiB(t *testing.T) {
	huge := hugeBytes(t)
	str := unsafe.String(&huge[0], len(huge))
	for name, v := range map[string]any{
		"str":                          str,
		"bin":                          huge,
		"ext":                          codec.Ext{Type: 1, Data: huge},
		"str in []any":                 []any{1, str},
		"str in a struct (msgpack/v5)": struct{ S string }{str},
		"bin in a struct (msgpack/v5)": struct{ B []byte }{huge},
		"ext in a struct (msgpack/v5)": struct{ X codec.Ext }{codec.Ext{Data: huge}},
	} {
		t.Run(name, func(t *testing.T) {
			var buf bytes.Buffer
			err := codec.NewEncoder(&buf).Encode(v)
			if !errors.Is(err, codec.ErrLimit) {
				t.Fatalf("error %v, want a limit", err)
			}
			if buf.Len() > 16 {
				t.Fatalf("%d bytes written before the refusal", buf.Len())
			}
		})
	}
	var buf bytes.Buffer
	e := codec.NewEncoder(&buf)
	for name, err := range map[string]error{
		"array header": e.EncodeArrayHeader(1 << 32),
		"map header":   e.EncodeMapHeader(1 << 32),
	} {
		if !errors.Is(err, codec.ErrLimit) {
			t.Errorf("%s: %v, want a limit", name, err)
		}
	}
	if err := e.EncodeArrayHeader(1<<32 - 1); err != nil {
		t.Fatalf("2^32 - 1 elements: %v", err)
	}
	if got := buf.Bytes(); !bytes.Equal(got, []byte{0xdd, 0xff, 0xff, 0xff, 0xff}) {
		t.Fatalf("%x", got)
	}
}
