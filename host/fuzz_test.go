package host

import (
	"bytes"
	"errors"
	"testing"
	"unsafe"

	"github.com/virgilffi/virgil/bytebox"
	"github.com/virgilffi/virgil/codec"
	"github.com/virgilffi/virgil/exceptions"
)

// FuzzReply feeds arbitrary bytes to the host as a guest's reply, through the path cross takes
// after the crossing: checkReply on the box, then liftReply. The reply is tried in the scratch
// buffer (as a guest that wrote there, with the unwritten marker left where the reply does not
// cover it) and in memory of its own (as a guest allocation). Nothing may panic; every failure
// is an *exceptions.Exception; a reply the guest did not write is a ProtocolError; a reply
// exceeding a limit of section 11 that fails to decode is a LimitExceeded.
func FuzzReply(f *testing.F) {
	for _, seed := range [][]byte{
		{0x81, 0xa2, 'o', 'k', 0x03},
		{0x81, 0xa2, 'o', 'k', 0xa5, 'h', 'e'},
		{0x81, 0xa2, 'o', 'k', 0x01, 0x00},
		{0x82, 0xa2, 'o', 'k', 0x01, 0xa5, 'e', 'r', 'r', 'o', 'r', 0xc0},
		{0x81, 0xa2, 'o', 'k', 0xa2, 0xc3, 0x28},
		{0xc1, 0xc1, 0xc1},
		append(append([]byte{0x81, 0xa2, 'o', 'k'}, bytes.Repeat([]byte{0x91}, 513)...), 0x01),
		append([]byte{0x81, 0xa5, 'e', 'r', 'r', 'o', 'r', 0x82, 0xa4, 'n', 'a', 'm', 'e', 0xa1, 'X', 0xa9},
			append([]byte("traceback"), 0xdd, 0, 0, 0x10, 0x01)...),
		{},
	} {
		f.Add(seed, uint8(16))
	}
	for _, seed := range borrowedReplySeeds() {
		f.Add(seed, uint8(32))
	}
	f.Fuzz(func(t *testing.T, data []byte, capacity uint8) {
		in := []byte{0x90}
		scratch := make([]byte, int(capacity)+1)
		dec := codec.NewDecoder(nil)
		var lends lending // as in a call: borrowed reply values may view only in (nothing is lent)
		lends.replies(dec, in)
		try := func(where string, box bytebox.Box, maxReply uint64) {
			free, err := checkReply("f", box, scratch, in, maxReply)
			if err == nil {
				var v any
				err = liftReply(dec, "f", box.Bytes(), &v)
			}
			if box.Ptr == unsafe.Pointer(&scratch[0]) && free {
				t.Fatalf("%s: the scratch buffer would be freed", where)
			}
			if err != nil && exceptionName(err) == "" {
				t.Fatalf("%s: %x gives an error that is no exception: %v", where, data, err)
			}
		}
		// In the scratch buffer, when it fits.
		scratch[0] = unwritten
		if len(data) <= len(scratch) {
			copy(scratch, data)
			try("scratch", bytebox.Box{Ptr: unsafe.Pointer(&scratch[0]), Len: uint64(len(data))}, 1<<30)
			if len(data) == len(scratch) && data[0] == unwritten {
				_, err := checkReply("f", bytebox.Box{Ptr: unsafe.Pointer(&scratch[0]), Len: uint64(len(data))}, scratch, in, 1<<30)
				if exceptionName(err) != exceptions.ProtocolError {
					t.Fatalf("an unwritten-looking scratch reply gives %v", err)
				}
			}
		}
		// In memory of its own, under a maximum that some replies exceed.
		own := bytes.Clone(data)
		try("guest", bytebox.Borrow(own), uint64(capacity)*4)
	})
}

// exceptionName is the name of err's *exceptions.Exception, or "".
func exceptionName(err error) string {
	var x *exceptions.Exception
	if errors.As(err, &x) {
		return x.Name
	}
	return ""
}
