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
