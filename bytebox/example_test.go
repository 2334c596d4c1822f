package bytebox_test

import (
	"fmt"
	"unsafe"

	"github.com/virgilffi/virgil/bytebox"
)

// A callee writes its reply into the caller's scratch buffer; the caller then checks whether it
// owns the result.
func ExampleWriter() {
	scratch := make([]byte, 64)
	sp := unsafe.Pointer(&scratch[0])
	out := bytebox.Box{Ptr: sp, Len: uint64(len(scratch))} // the caller lends 64 bytes

	alloc := func(p unsafe.Pointer, n uintptr) unsafe.Pointer { panic("not needed: the reply fits") }
	w := bytebox.NewWriter(out, alloc)
	w.WriteString("a small reply")
	w.Finish(&out)

	fmt.Println(string(out.Bytes()), out.OwnedBy(sp))
	// Output: a small reply false
}
