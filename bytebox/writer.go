package bytebox

import (
	"errors"
	"unsafe"
)

// ErrNoMemory is returned by a Writer whose Allocator could not provide memory.
var ErrNoMemory = errors.New("bytebox: the guest allocator returned no memory")

// minGrowth is the smallest allocation a Writer makes when a reply outgrows the scratch buffer.
const minGrowth = 4096

// Writer builds a callee's reply in place: in the caller's scratch buffer while it fits, else in
// memory from the callee's Allocator, growing it as needed, so a reply is written once and never
// copied again. It implements io.Writer and io.ByteWriter. A Writer is not safe for concurrent use.
type Writer struct {
	alloc   Allocator
	scratch []byte // a view of the caller's scratch buffer, or nil
	buf     []byte // a view of the current memory: scratch, or an allocation of ours
	owned   bool   // buf was allocated by alloc and must be handed over or freed
	err     error
}

// NewWriter returns a Writer for a reply to the call whose out box is out: it writes into the
// scratch buffer out describes ({ptr, capacity}, or {nil, 0} for none) and allocates with alloc.
func NewWriter(out Box, alloc Allocator) *Writer {
	w := &Writer{}
	w.Reset(out, alloc)
	return w
}

// Reset prepares w for a new reply, like NewWriter, freeing any memory w still owns.
func (w *Writer) Reset(out Box, alloc Allocator) {
	w.release()
	w.alloc, w.scratch, w.err = alloc, nil, nil
	if out.Ptr != nil && out.Len > 0 {
		w.scratch = unsafe.Slice((*byte)(out.Ptr), out.Len)[:0]
	}
	w.buf = w.scratch
}

// Discard drops what has been written so far and clears a failure, keeping the memory for the
// next attempt. A callee uses it when it must replace a half-written reply with an error reply:
// after an allocation failure that reply goes back into the scratch buffer, where a short error
// still fits.
func (w *Writer) Discard() {
	w.buf = w.buf[:0]
	w.err = nil
}

// Write appends p to the reply.
func (w *Writer) Write(p []byte) (int, error) {
	if !w.ensure(len(p)) {
		return 0, w.err
	}
	w.buf = append(w.buf, p...)
	return len(p), nil
}

// WriteByte appends one byte to the reply.
func (w *Writer) WriteByte(c byte) error {
	if !w.ensure(1) {
		return w.err
	}
	w.buf = append(w.buf, c)
	return nil
}

// WriteString appends s to the reply.
func (w *Writer) WriteString(s string) (int, error) {
	if !w.ensure(len(s)) {
		return 0, w.err
	}
	w.buf = append(w.buf, s...)
	return len(s), nil
}

// Len returns the number of bytes written so far.
func (w *Writer) Len() int { return len(w.buf) }

// Err returns the first allocation failure, if any.
func (w *Writer) Err() error { return w.err }

// Finish hands the reply over to the caller by filling out (ABI.md section 3): the scratch buffer
// with its new length, or the allocated buffer, which the caller then owns. After an allocation
// failure, or for an empty reply, out becomes {nil, 0}. The Writer owns no memory afterwards.
func (w *Writer) Finish(out *Box) {
	switch {
	case w.err != nil || len(w.buf) == 0:
		w.release()
		*out = Box{}
	default:
		*out = Box{Ptr: unsafe.Pointer(unsafe.SliceData(w.buf)), Len: uint64(len(w.buf))}
		w.owned = false
	}
	w.buf = nil
}

// ensure makes room for n more bytes, moving out of the scratch buffer or growing an allocation.
func (w *Writer) ensure(n int) bool {
	if w.err != nil {
		return false
	}
	need := len(w.buf) + n
	if need <= cap(w.buf) {
		return true
	}
	size := max(need, 2*cap(w.buf), minGrowth)
	var p unsafe.Pointer
	if w.owned {
		p = w.alloc(unsafe.Pointer(unsafe.SliceData(w.buf)), uintptr(size))
	} else if p = w.alloc(nil, uintptr(size)); p != nil {
		copy(unsafe.Slice((*byte)(p), size), w.buf)
	}
	if p == nil {
		w.release()
		w.buf = w.scratch
		w.err = ErrNoMemory
		return false
	}
	w.buf = unsafe.Slice((*byte)(p), size)[:len(w.buf)]
	w.owned = true
	return true
}

// release frees memory w allocated and has not handed over.
func (w *Writer) release() {
	if w.owned && w.alloc != nil {
		w.alloc(unsafe.Pointer(unsafe.SliceData(w.buf[:cap(w.buf)])), 0)
	}
	w.owned = false
	w.buf = nil
}
