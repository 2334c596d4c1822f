package codec

import "sync"

var decoders = sync.Pool{New: func() any { return NewDecoder(nil) }}

// GetDecoder returns a Decoder from a shared pool, reading b. Give it back with PutDecoder.
func GetDecoder(b []byte) *Decoder {
	d := decoders.Get().(*Decoder)
	d.Reset(b)
	return d
}

// PutDecoder returns a Decoder obtained from GetDecoder to the pool, dropping its reference to
// the input.
func PutDecoder(d *Decoder) {
	d.Reset(nil)
	d.r.Reset(nil)
	decoders.Put(d)
}

// MaxPooledArgs is the largest argument buffer (lowered arguments of one call) that a pool keeps
// for reuse between calls: 64 MiB, enough for the large payloads a call may carry without
// allocating anew each time; a larger buffer is left to the garbage collector. The host's call
// states and uncurry's argument buffers share it.
const MaxPooledArgs = 64 << 20
