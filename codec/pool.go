package codec

import "sync"

var decoders = sync.Pool{New: func() any { return NewDecoder(nil) }}

// getDecoder returns a pooled Decoder reading b.
func getDecoder(b []byte) *Decoder {
	d := decoders.Get().(*Decoder)
	d.Reset(b)
	return d
}

// putDecoder returns d to the pool, dropping its reference to the input.
func putDecoder(d *Decoder) {
	d.Reset(nil)
	d.r.Reset(nil)
	decoders.Put(d)
}

// GetDecoder returns a Decoder from a shared pool, reading b. Give it back with PutDecoder.
func GetDecoder(b []byte) *Decoder { return getDecoder(b) }

// PutDecoder returns a Decoder obtained from GetDecoder to the pool.
func PutDecoder(d *Decoder) { putDecoder(d) }
