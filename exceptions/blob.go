package exceptions

import "github.com/vmihailenco/msgpack/v5"

// Strings are read here, and the payloads of skipped values dropped, rather
// than with msgpack's DecodeString and Skip. Those read through the decoder's
// internal buffer, which (msgpack v5.4.1) grows by at least a megabyte, and
// geometrically when reused, every time a declared length is larger than the
// bytes that follow; a pooled decoder fed a few truncated records would hold
// on to gigabytes. Reading in bounded chunks into buffers of our own keeps
// memory proportional to the bytes actually present.

// The first read of a string is at most firstChunk bytes; later reads
// double, up to maxChunk.
const (
	firstChunk = 4 << 10
	maxChunk   = 1 << 20
)

// readStr reads a str value (the caller checked its code).
func readStr(dec *msgpack.Decoder) (string, error) {
	n, err := dec.DecodeBytesLen() // reads the code and the length; n is -1 for nil
	if err != nil || n <= 0 {
		return "", err
	}
	// Start small and double: a truncated value costs little, a long one
	// at most twice its length.
	b := make([]byte, 0, min(n, firstChunk))
	for len(b) < n {
		k := min(n-len(b), max(len(b), firstChunk), maxChunk)
		b = append(b, make([]byte, k)...)
		if err := dec.ReadFull(b[len(b)-k:]); err != nil {
			return "", err
		}
	}
	return string(b), nil
}

// discard reads and drops n bytes, a few kilobytes at a time.
func discard(dec *msgpack.Decoder, n uint64) error {
	var scratch [4096]byte
	for n > 0 {
		k := min(n, uint64(len(scratch)))
		if err := dec.ReadFull(scratch[:k]); err != nil {
			return err
		}
		n -= k
	}
	return nil
}
