package host_test

import (
	"bytes"
	"testing"
	"unsafe"

	"github.com/ebitengine/purego"

	"github.com/virgilffi/virgil/bytebox"
	"github.com/virgilffi/virgil/host"
	"github.com/virgilffi/virgil/internal/conformance"
	"github.com/virgilffi/virgil/internal/testlibs"
)

// The benchmarks measure, in one run, a full Call against the raw crossing it is built on, so the
// ratio means something on a noisy machine. `make bench` prints them as a table.

func openGuest(b *testing.B, language string) *host.Library {
	b.Helper()
	lib, err := host.Open(testlibs.ConformanceGuests()[language](b))
	if err != nil {
		b.Fatal(err)
	}
	return lib
}

// benchRawAdd calls the add symbol through purego on pre-encoded arguments [1, 2], with a scratch
// buffer and no decoding: the floor a full call is measured against.
func benchRawAdd(b *testing.B, language string) {
	lib := openGuest(b, language)
	handle, err := purego.Dlopen(lib.Path(), purego.RTLD_NOW|purego.RTLD_LOCAL)
	if err != nil {
		b.Fatal(err)
	}
	sym, err := purego.Dlsym(handle, "add")
	if err != nil {
		b.Fatal(err)
	}
	args := []byte{0x92, 0x01, 0x02}
	scratch := make([]byte, host.DefaultScratchSize)
	in := bytebox.Borrow(args)
	var out bytebox.Box
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		out = bytebox.Box{Ptr: unsafe.Pointer(&scratch[0]), Len: uint64(len(scratch))}
		purego.SyscallN(sym, uintptr(unsafe.Pointer(&in)), uintptr(unsafe.Pointer(&out)))
	}
	if !bytes.Equal(out.Bytes(), []byte{0x81, 0xa2, 'o', 'k', 0x03}) {
		b.Fatalf("reply %x", out.Bytes())
	}
}

func benchCallAdd(b *testing.B, language string) {
	lib := openGuest(b, language)
	var sum int
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		if err := lib.Call("add", &sum, 1, 2); err != nil {
			b.Fatal(err)
		}
	}
	if sum != 3 {
		b.Fatal(sum)
	}
}

func benchTypedAdd(b *testing.B, language string) {
	add, err := host.Func2[int, int, int](openGuest(b, language), "add")
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		if sum, err := add(1, 2); err != nil || sum != 3 {
			b.Fatal(sum, err)
		}
	}
}

const largeSize = 16 << 20

func benchEchoBytes(b *testing.B, language string) { echoLarge(b, openGuest(b, language)) }

// echoLarge calls lib's echo_bytes with largeSize bytes b.N times.
func echoLarge(b *testing.B, lib *host.Library) {
	payload := conformance.LargePayload(largeSize)
	var got []byte
	b.SetBytes(largeSize)
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		if err := lib.Call("echo_bytes", &got, payload); err != nil {
			b.Fatal(err)
		}
	}
	if !bytes.Equal(got, payload) {
		b.Fatal("payload changed")
	}
}

// eachGuest runs bench once per conformance guest, as a sub-benchmark named after its language.
func eachGuest(b *testing.B, bench func(*testing.B, string)) {
	for _, language := range []string{"c", "go", "haskell", "rust"} {
		if testlibs.ConformanceGuests()[language] == nil {
			continue
		}
		b.Run(language, func(b *testing.B) { bench(b, language) })
	}
}

func BenchmarkRawAdd(b *testing.B)         { eachGuest(b, benchRawAdd) }
func BenchmarkCallAdd(b *testing.B)        { eachGuest(b, benchCallAdd) }
func BenchmarkTypedAdd(b *testing.B)       { eachGuest(b, benchTypedAdd) }
func BenchmarkEchoBytes16MiB(b *testing.B) { eachGuest(b, benchEchoBytes) }

// BenchmarkCopy16MiB is the memcpy baseline for the large payloads.
func BenchmarkCopy16MiB(b *testing.B) {
	src := conformance.LargePayload(largeSize)
	dst := make([]byte, largeSize)
	b.SetBytes(largeSize)
	b.ResetTimer()
	for range b.N {
		copy(dst, src)
	}
}
