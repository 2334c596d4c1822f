package host

import (
	"bytes"
	"errors"
	"testing"
	"unsafe"

	"github.com/virgilffi/virgil/bytebox"
	"github.com/virgilffi/virgil/codec"
	"github.com/virgilffi/virgil/exceptions"
	"github.com/virgilffi/virgil/internal/borrowed"
	"github.com/virgilffi/virgil/uncurry"
)

// Every `replies` case of borrowed.json, as a fake reply to a call that lent one argument: the
// host reads a borrowed reply value only when it lies inside the memory lent to the call.
func TestBorrowedReplies(t *testing.T) {
	doc, err := borrowed.Load()
	if err != nil {
		t.Fatal(err)
	}
	in := []byte{0x91, 0xc0} // elsewhere
	for _, c := range doc.Replies {
		t.Run(c.Name, func(t *testing.T) {
			arg := make([]byte, c.Lent)
			for i := range arg {
				arg[i] = byte(i)
			}
			st := newCallState(0)
			st.lends.threshold = 1
			if _, ok := st.lends.LendBytes(arg); !ok {
				t.Fatal("not lent")
			}
			defer st.lends.end(st.dec)
			ptr := uint64(int64(bytebox.SpanOf(arg).Addr) + c.Offset)
			if c.Ptr != nil {
				ptr = *c.Ptr
			}
			reply := codec.AppendBorrowed([]byte{0x81, 0xa2, 'o', 'k'}, codec.BorrowedBytesExt, ptr, c.Len)
			st.lends.replies(st.dec, in)
			var got []byte
			err := liftReply(st.dec, "f", reply, &got)
			if c.Expect == "ok" {
				if err != nil {
					t.Fatal(err)
				}
				if want := arg[c.Offset : c.Offset+int64(c.Len)]; !bytes.Equal(got, want) {
					t.Fatalf("read %x, want %x", got, want)
				}
				if len(got) > 0 && &got[0] == &arg[c.Offset] {
					t.Fatal("the result aliases the lent memory; it must be a copy")
				}
				return
			}
			var x *exceptions.Exception
			if !errors.As(err, &x) || x.Name != c.Expect {
				t.Fatalf("got %v, want %s", err, c.Expect)
			}
		})
	}
}

// A reply may view the argument array itself; once the call has ended nothing is lent.
func TestBorrowedReplyViewsIn(t *testing.T) {
	st := newCallState(0)
	in := []byte{0x91, 0x01, 0x02}
	st.lends.replies(st.dec, in)
	reply := codec.AppendBorrowed([]byte{0x81, 0xa2, 'o', 'k'}, codec.BorrowedBytesExt, bytebox.SpanOf(in).Addr+1, 2)
	var got []byte
	if err := liftReply(st.dec, "f", reply, &got); err != nil || !bytes.Equal(got, []byte{1, 2}) {
		t.Fatalf("got %x, %v", got, err)
	}
	st.lends.end(st.dec)
	st.lends.replies(st.dec, []byte{0x90})
	var x *exceptions.Exception
	if err := liftReply(st.dec, "f", reply, &got); !errors.As(err, &x) || x.Name != exceptions.ProtocolError {
		t.Fatalf("after the call: %v", err)
	}
}

// The encoder lends []byte and string arguments of at least the threshold, only for a library
// whose manifest declares borrow, and pins them until the call ends.
func TestLendArgs(t *testing.T) {
	big, small := bytes.Repeat([]byte{'x'}, 100), []byte("abc")
	for _, tc := range []struct {
		borrowAt int
		lent     int
	}{{0, 0}, {50, 2}, {101, 0}} {
		st := newCallState(0)
		l := &Library{borrowAt: tc.borrowAt}
		args, err := codec.AppendLending(nil, []any{big, small, string(big)}, st.lends.lendsFor(l))
		if err != nil {
			t.Fatal(err)
		}
		if got := len(st.lends.lent); got != tc.lent {
			t.Fatalf("threshold %d: %d values lent, want %d", tc.borrowAt, got, tc.lent)
		}
		if n := bytes.Count(args, []byte{0xd8, codec.BorrowedBytesExt}); (n == 1) != (tc.lent > 0) {
			t.Fatalf("threshold %d: args %x", tc.borrowAt, args)
		}
		st.lends.end(st.dec)
		if len(st.lends.lent) != 0 {
			t.Fatal("end left values lent")
		}
	}
}

// borrowedReplySeeds are replies holding borrowed values (ext 65 and 66), broken and not, for
// FuzzReply; no address in them is lent, so each is refused unread.
func borrowedReplySeeds() [][]byte {
	ok := []byte{0x81, 0xa2, 'o', 'k'}
	var seeds [][]byte
	for _, w := range [][2]uint64{{0, 0}, {0, 8}, {0x1000, 5}, {0x1000, 1 << 32}, {1<<64 - 16, 32}} {
		seeds = append(seeds,
			codec.AppendBorrowed(bytes.Clone(ok), codec.BorrowedBytesExt, w[0], w[1]),
			codec.AppendBorrowed(bytes.Clone(ok), codec.BorrowedStrExt, w[0], w[1]),
			append(codec.AppendBorrowed(append(bytes.Clone(ok), 0x92), codec.BorrowedBytesExt, w[0], w[1]), 0x01))
	}
	return append(seeds, append(bytes.Clone(ok), 0xd7, codec.BorrowedBytesExt, 0, 0, 0, 0, 0, 0, 0, 0))
}

// Typed bindings and Call lend the same values: a []byte or string parameter of at least the
// threshold, to a library that declares borrow; nothing when lending is off.
func TestTypedAndCallLend(t *testing.T) {
	big := bytes.Repeat([]byte{'x'}, 20)
	for _, borrowAt := range []int{0, 10} {
		st := newCallState(0)
		l := &Library{borrowAt: borrowAt}
		lends := st.lends.lendsFor(l)
		typedBytes, err := appenderFor[[]byte]()(&st.lends, nil, big)
		if err != nil {
			t.Fatal(err)
		}
		typedStr, err := appenderFor[string]()(&st.lends, nil, string(big))
		if err != nil {
			t.Fatal(err)
		}
		small, err := appenderFor[[]byte]()(&st.lends, nil, big[:5])
		if err != nil {
			t.Fatal(err)
		}
		called, err := uncurry.AppendArgsLending(nil, "f", []any{big, 1}, lends)
		if err != nil {
			t.Fatal(err)
		}
		lent := borrowAt > 0
		if got := len(typedBytes) == 18 && typedBytes[1] == codec.BorrowedBytesExt; got != lent {
			t.Errorf("threshold %d: typed []byte %x", borrowAt, typedBytes)
		}
		if got := len(typedStr) == 18 && typedStr[1] == codec.BorrowedStrExt; got != lent {
			t.Errorf("threshold %d: typed string %x", borrowAt, typedStr)
		}
		if small[0] != 0xc4 {
			t.Errorf("threshold %d: 5 bytes were lent: %x", borrowAt, small)
		}
		if got := bytes.Contains(called, []byte{0xd8, codec.BorrowedBytesExt}); got != lent {
			t.Errorf("threshold %d: Call's arguments %x", borrowAt, called)
		}
		if want := map[bool]int{true: 3, false: 0}[lent]; len(st.lends.lent) != want {
			t.Errorf("threshold %d: %d values lent, want %d", borrowAt, len(st.lends.lent), want)
		}
		st.lends.end(st.dec)
	}
}

// A reply box pointing into a value lent to the call is the caller's memory (check 4 of ABI
// section 2): owns says so for every byte of it and for nothing else.
func TestLentMemoryIsTheCallers(t *testing.T) {
	st := newCallState(0)
	st.lends.threshold = 1
	arg := make([]byte, 8)
	if _, ok := st.lends.LendBytes(arg); !ok {
		t.Fatal("not lent")
	}
	defer st.lends.end(st.dec)
	for i, want := range map[int]bool{0: true, 7: true, 8: false} {
		if got := st.lends.ownsAddr(bytebox.SpanOf(arg).Addr + uint64(i)); got != want {
			t.Errorf("byte %d: owns %v, want %v", i, got, want)
		}
	}
	if st.lends.owns(unsafe.Pointer(&st.scratch)) {
		t.Error("owns memory that was not lent")
	}
}
