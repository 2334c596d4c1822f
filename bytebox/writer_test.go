package bytebox

import (
	"bytes"
	"testing"
	"unsafe"
)

// countingAllocator implements Allocator over Go memory and counts live blocks, standing in for
// a guest's virgil_realloc.
type countingAllocator struct {
	blocks map[unsafe.Pointer][]byte
	allocs int
	failAt int // fail the allocation with this 1-based number; 0 never
}

func newCountingAllocator() *countingAllocator {
	return &countingAllocator{blocks: map[unsafe.Pointer][]byte{}}
}

func (a *countingAllocator) realloc(p unsafe.Pointer, n uintptr) unsafe.Pointer {
	if n == 0 {
		delete(a.blocks, p)
		return nil
	}
	a.allocs++
	if a.allocs == a.failAt {
		return nil
	}
	b := make([]byte, n)
	copy(b, a.blocks[p])
	delete(a.blocks, p)
	q := unsafe.Pointer(unsafe.SliceData(b))
	a.blocks[q] = b
	return q
}

func (a *countingAllocator) live() int { return len(a.blocks) }

func TestWriterFitsInScratch(t *testing.T) {
	a := newCountingAllocator()
	scratch := make([]byte, 16)
	out := Box{Ptr: unsafe.Pointer(&scratch[0]), Len: 16}
	w := NewWriter(out, a.realloc)
	w.WriteByte(0x81)
	w.WriteString("ok")
	w.Write([]byte{1, 2, 3})
	w.Finish(&out)
	if out.Ptr != unsafe.Pointer(&scratch[0]) || out.Len != 6 {
		t.Fatalf("reply did not stay in scratch: %+v", out)
	}
	if out.OwnedBy(unsafe.Pointer(&scratch[0])) {
		t.Fatal("a scratch reply must not be owned by the caller")
	}
	if !bytes.Equal(out.Bytes(), []byte{0x81, 'o', 'k', 1, 2, 3}) {
		t.Fatalf("bytes %x", out.Bytes())
	}
	if a.allocs != 0 {
		t.Fatalf("allocated %d times for a reply that fits", a.allocs)
	}
}

func TestWriterExactFitAndOneOver(t *testing.T) {
	for _, n := range []int{15, 16, 17, 5000, 100000} {
		a := newCountingAllocator()
		scratch := make([]byte, 16)
		sp := unsafe.Pointer(&scratch[0])
		out := Box{Ptr: sp, Len: 16}
		w := NewWriter(out, a.realloc)
		want := make([]byte, n)
		for i := range want {
			want[i] = byte(i % 251)
		}
		for i := 0; i < n; i += 7 { // many small writes exercise growth
			w.Write(want[i:min(i+7, n)])
		}
		w.Finish(&out)
		if !bytes.Equal(out.Bytes(), want) {
			t.Fatalf("n=%d: wrong bytes", n)
		}
		if owned := out.OwnedBy(sp); owned != (n > 16) {
			t.Fatalf("n=%d: owned=%v", n, owned)
		}
		if n > 16 && a.live() != 1 {
			t.Fatalf("n=%d: %d live blocks, want the reply's only", n, a.live())
		}
	}
}

func TestWriterWithoutScratchAlwaysAllocates(t *testing.T) {
	a := newCountingAllocator()
	var out Box
	w := NewWriter(out, a.realloc)
	w.WriteByte(0xc0)
	w.Finish(&out)
	if out.Ptr == nil || out.Len != 1 || !out.OwnedBy(nil) {
		t.Fatalf("got %+v", out)
	}
}

func TestWriterAllocationFailure(t *testing.T) {
	a := newCountingAllocator()
	a.failAt = 2
	var out Box
	w := NewWriter(out, a.realloc)
	w.Write(make([]byte, 100))
	if _, err := w.Write(make([]byte, 10000)); err != ErrNoMemory {
		t.Fatalf("err = %v, want ErrNoMemory", err)
	}
	if err := w.WriteByte(1); err != ErrNoMemory {
		t.Fatalf("a failed writer must keep failing, got %v", err)
	}
	w.Finish(&out)
	if out != (Box{}) {
		t.Fatalf("after a failure out must be {nil, 0}, got %+v", out)
	}
	if a.live() != 0 {
		t.Fatalf("%d blocks leaked", a.live())
	}
}

func TestWriterDiscardAndReset(t *testing.T) {
	a := newCountingAllocator()
	var out Box
	w := NewWriter(out, a.realloc)
	w.Write(make([]byte, 9000))
	w.Discard()
	w.WriteString("error")
	if w.Len() != 5 {
		t.Fatalf("len %d after discard", w.Len())
	}
	w.Reset(Box{}, a.realloc) // drops the unfinished reply
	if a.live() != 0 {
		t.Fatalf("reset leaked %d blocks", a.live())
	}
	w.Finish(&out)
	if out != (Box{}) {
		t.Fatalf("an empty reply must be {nil, 0}, got %+v", out)
	}
}

func TestBorrowAndBytes(t *testing.T) {
	if b := Borrow(nil); b != (Box{}) || b.Bytes() != nil || !b.Empty() {
		t.Fatalf("empty borrow: %+v", b)
	}
	src := []byte("hello")
	b := Borrow(src)
	view := b.Bytes()
	src[0] = 'j'
	if string(view) != "jello" {
		t.Fatal("Bytes must view the borrowed memory, not copy it")
	}
	if FromPointer(unsafe.Pointer(&b)).Len != 5 || FromPointer(nil) != nil {
		t.Fatal("FromPointer")
	}
}

func TestBoxLayoutMatchesC(t *testing.T) {
	if unsafe.Sizeof(Box{}) != 16 || unsafe.Alignof(Box{}) != 8 || unsafe.Offsetof(Box{}.Len) != 8 {
		t.Fatal("Box must be laid out like virgil_box: 16 bytes, 8-byte aligned, len at offset 8")
	}
}

// After an allocation failure, Discard lets the callee reply with a short error in the scratch
// buffer instead of leaving the caller with no reply at all.
func TestWriterFallsBackToScratchAfterFailure(t *testing.T) {
	a := newCountingAllocator()
	a.failAt = 1
	scratch := make([]byte, 32)
	sp := unsafe.Pointer(&scratch[0])
	out := Box{Ptr: sp, Len: 32}
	w := NewWriter(out, a.realloc)
	if _, err := w.Write(make([]byte, 100)); err != ErrNoMemory {
		t.Fatalf("err = %v", err)
	}
	w.Discard()
	w.WriteString("short error")
	w.Finish(&out)
	if out.Ptr != sp || string(out.Bytes()) != "short error" {
		t.Fatalf("got %+v %q", out, out.Bytes())
	}
	if a.live() != 0 {
		t.Fatalf("%d blocks leaked", a.live())
	}
}
