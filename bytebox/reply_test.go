package bytebox

import (
	"testing"
	"unsafe"
)

// CheckReply follows the order of cabi/ABI.md section 2 and frees exactly the callee's buffers.
func TestCheckReply(t *testing.T) {
	scratch := make([]byte, 16)
	args := []byte{0x92, 0x01, 0x02}
	callee := make([]byte, 32) // stands for the callee's memory: neither args nor scratch
	sp, ip, cp := unsafe.Pointer(&scratch[0]), unsafe.Pointer(&args[0]), unsafe.Pointer(&callee[0])
	sb, ib := Borrow(scratch), Borrow(args)
	for _, tc := range []struct {
		what  string
		reply Box
		first byte
		max   uint64
		fault Fault
		free  bool
	}{
		{"in scratch", Box{Ptr: sp, Len: 5}, 0x81, 100, FaultNone, false},
		{"scratch full", Box{Ptr: sp, Len: 16}, 0x81, 100, FaultNone, false},
		{"callee memory", Box{Ptr: cp, Len: 32}, Unwritten, 100, FaultNone, true},
		{"NULL, 0", Box{}, Unwritten, 100, FaultOutOfMemory, false},
		{"NULL with a length", Box{Len: 5}, Unwritten, 100, FaultNullWithLength, false},
		{"pointer, no length", Box{Ptr: cp}, Unwritten, 100, FaultNoLength, false},
		{"scratch, no length", Box{Ptr: sp}, Unwritten, 100, FaultNoLength, false},
		{"beyond the scratch", Box{Ptr: sp, Len: 17}, Unwritten, 100, FaultBeyondScratch, false},
		{"beyond the scratch and the maximum", Box{Ptr: sp, Len: 17}, Unwritten, 8, FaultBeyondScratch, false},
		{"into the arguments", Box{Ptr: ip, Len: 3}, Unwritten, 100, FaultIntoArguments, false},
		{"into the arguments' end", Box{Ptr: unsafe.Add(ip, 2), Len: 1}, Unwritten, 100, FaultIntoArguments, false},
		{"inside the scratch", Box{Ptr: unsafe.Add(sp, 1), Len: 3}, 0x81, 100, FaultIntoScratch, false},
		{"inside the scratch, huge", Box{Ptr: unsafe.Add(sp, 15), Len: 1 << 50}, 0x81, 100, FaultIntoScratch, false},
		{"too long", Box{Ptr: cp, Len: 1 << 50}, Unwritten, 100, FaultTooLong, true},
		{"too long in scratch", Box{Ptr: sp, Len: 16}, 0x81, 8, FaultTooLong, false},
		{"unwritten", Box{Ptr: sp, Len: 16}, Unwritten, 100, FaultUnwritten, false},
		{"written, starting c1", Box{Ptr: sp, Len: 15}, Unwritten, 100, FaultNone, false},
	} {
		t.Run(tc.what, func(t *testing.T) {
			scratch[0] = tc.first
			fault, free := CheckReply(tc.reply, ib, sb, tc.max)
			if fault != tc.fault || free != tc.free {
				t.Fatalf("fault %d, free %v; want %d, %v", fault, free, tc.fault, tc.free)
			}
		})
	}
	if off := ib.Offset(unsafe.Add(ip, 2)); off != 2 {
		t.Errorf("Offset %d, want 2", off)
	}
}
