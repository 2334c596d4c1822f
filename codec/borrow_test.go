package codec_test

import (
	"bytes"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/virgilffi/virgil/codec"
	"github.com/virgilffi/virgil/exceptions"
	"github.com/virgilffi/virgil/internal/borrowed"
)

// fakeMemory is a Lender over made-up addresses: each region is a Go buffer standing at a fake
// address, so no test here reads memory by a pointer. Reads outside every region are refused.
type fakeMemory struct {
	regions map[uint64][]byte
	views   int
}

func (m *fakeMemory) View(ptr, n uint64) ([]byte, error) {
	m.views++
	for at, b := range m.regions {
		if ptr >= at && ptr-at <= uint64(len(b)) && n <= uint64(len(b))-(ptr-at) {
			return b[ptr-at : ptr-at+n], nil
		}
	}
	return nil, fmt.Errorf("not lent")
}

// never is a Lender that must not be asked: the value is refused, or empty, before.
type never struct{ t *testing.T }

func (n never) View(ptr, l uint64) ([]byte, error) {
	n.t.Errorf("View(%#x, %d) called: the value should have been refused before", ptr, l)
	return nil, errors.New("never")
}

// fixedLending lends every value of at least min bytes at the address ptr.
type fixedLending struct {
	ptr uint64
	min int
}

func (f fixedLending) LendBytes(b []byte) (uint64, bool)  { return f.ptr, len(b) >= f.min }
func (f fixedLending) LendString(s string) (uint64, bool) { return f.ptr, len(s) >= f.min }

func TestBorrowedEncoding(t *testing.T) {
	doc, err := borrowed.Load()
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range doc.Encoding {
		t.Run(c.Name, func(t *testing.T) {
			want := borrowed.Bytes(c.Hex)
			if c.Args {
				testBorrowedArgs(t, want)
				return
			}
			// Encoding: a value of that length, lent at the given address.
			var buf bytes.Buffer
			enc := codec.NewEncoder(&buf)
			enc.SetLending(fixedLending{ptr: c.Ptr})
			var v any = make([]byte, c.Len)
			if c.ReadsAs == "str" {
				v = string(make([]byte, c.Len))
			}
			if err := enc.Encode(v); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(buf.Bytes(), want) {
				t.Fatalf("encoded %x, want %x", buf.Bytes(), want)
			}
			if got := codec.AppendBorrowed(nil, c.Ext, c.Ptr, c.Len); !bytes.Equal(got, want) {
				t.Fatalf("AppendBorrowed gives %x, want %x", got, want)
			}
			// Decoding the words back touches no memory.
			ext, ptr, n, size, err := codec.ReadBorrowed(want)
			if err != nil || ext != c.Ext || ptr != c.Ptr || n != c.Len || size != len(want) {
				t.Fatalf("ReadBorrowed = %d, %#x, %d, %d, %v", ext, ptr, n, size, err)
			}
			// Lifted through a Lender, it reads as the bytes or string it stands for.
			mem := &fakeMemory{regions: map[uint64][]byte{c.Ptr: bytes.Repeat([]byte{'a'}, int(c.Len))}}
			d := codec.NewDecoder(want)
			d.SetLender(mem, false)
			var got any
			if err := d.Decode(&got); err != nil {
				t.Fatal(err)
			}
			switch c.ReadsAs {
			case "str":
				if s, ok := got.(string); !ok || s != string(mem.regions[c.Ptr]) {
					t.Fatalf("lifted %T %.20v, want the string", got, got)
				}
			default:
				if b, ok := got.([]byte); !ok || !bytes.Equal(b, mem.regions[c.Ptr]) {
					t.Fatalf("lifted %T, want the bytes", got)
				}
			}
			if c.Len == 0 && mem.views != 0 {
				t.Fatalf("an empty borrowed value was read")
			}
		})
	}
}

// testBorrowedArgs reads an argument array holding a borrowed value and an int.
func testBorrowedArgs(t *testing.T, b []byte) {
	d := codec.NewDecoder(b)
	if n, err := d.ArrayHeader(); err != nil || n != 2 {
		t.Fatalf("ArrayHeader = %d, %v", n, err)
	}
	ext, ptr, n, size, err := codec.ReadBorrowed(d.Remaining())
	if err != nil || ext != codec.BorrowedBytesExt || ptr != 0x1000 || n != 70000 {
		t.Fatalf("ReadBorrowed = %d, %#x, %d, %v", ext, ptr, n, err)
	}
	var x int
	if err := codec.NewDecoder(d.Remaining()[size:]).Decode(&x); err != nil || x != 1 {
		t.Fatalf("second argument = %d, %v", x, err)
	}
}

// Every broken borrowed argument of borrowed.json is refused by the codec, with the error name
// a guest replies, before the Lender is asked.
func TestBorrowedArgumentsRefused(t *testing.T) {
	doc, err := borrowed.Load()
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range doc.Arguments {
		t.Run(c.Name, func(t *testing.T) {
			d := codec.NewDecoder(borrowed.Bytes(c.Hex))
			d.SetLender(never{t}, true)
			if _, err := d.ArrayHeader(); err != nil {
				t.Fatal(err)
			}
			var target any = new([]byte)
			if c.Function == "greet" {
				target = new(string)
			}
			err := d.Decode(target)
			if err == nil {
				t.Fatalf("accepted")
			}
			if got := codec.ErrorName(err, exceptions.ArgumentError); got != c.Expect {
				t.Fatalf("%v: named %s, want %s", err, got, c.Expect)
			}
		})
	}
}

func TestBorrowedLentArguments(t *testing.T) {
	doc, err := borrowed.Load()
	if err != nil {
		t.Fatal(err)
	}
	const at = 0x7000_0000
	for _, c := range doc.Lent {
		t.Run(c.Name, func(t *testing.T) {
			data := borrowed.Bytes(c.BytesHex)
			args := codec.AppendBorrowed([]byte{0x91}, c.Ext, at, uint64(len(data)))
			d := codec.NewDecoder(args)
			d.SetLender(&fakeMemory{regions: map[uint64][]byte{at: data}}, true)
			if _, err := d.ArrayHeader(); err != nil {
				t.Fatal(err)
			}
			var err error
			if c.Function == "greet" {
				var s string
				if err = d.Decode(&s); err == nil && s != string(data) {
					t.Fatalf("read %q", s)
				}
			} else {
				var b []byte
				if err = d.Decode(&b); err == nil && !bytes.Equal(b, data) {
					t.Fatalf("read %x", b)
				}
			}
			got := "ok"
			if err != nil {
				got = codec.ErrorName(err, exceptions.ArgumentError)
			}
			if got != c.Expect {
				t.Fatalf("got %s (%v), want %s", got, err, c.Expect)
			}
		})
	}
}

// A borrowed value reads as the inline one wherever a bytes or str is accepted: typed targets,
// any, and inside lists, maps and structs; a top-level []byte may alias the view.
func TestBorrowedInsideValues(t *testing.T) {
	mem := &fakeMemory{regions: map[uint64][]byte{0x1000: []byte("hello, world")}}
	bw := codec.AppendBorrowed(nil, codec.BorrowedBytesExt, 0x1000, 5)
	sw := codec.AppendBorrowed(nil, codec.BorrowedStrExt, 0x1007, 5)
	decode := func(b []byte, v any, alias bool) {
		t.Helper()
		d := codec.NewDecoder(b)
		d.SetLender(mem, alias)
		if err := d.Decode(v); err != nil {
			t.Fatalf("%x: %v", b, err)
		}
	}
	var list []string
	decode(append(append([]byte{0x92}, sw...), sw...), &list, false)
	if len(list) != 2 || list[0] != "world" || list[1] != "world" {
		t.Fatalf("list = %q", list)
	}
	var m map[string][]byte
	decode(append([]byte{0x81, 0xa1, 'k'}, bw...), &m, false)
	if string(m["k"]) != "hello" {
		t.Fatalf("map = %q", m)
	}
	var s struct {
		Name string `msgpack:"name"`
		Data []byte `msgpack:"data"`
		Fix  [5]byte
	}
	rec := append([]byte{0x83, 0xa4, 'n', 'a', 'm', 'e'}, sw...)
	rec = append(append(rec, 0xa4, 'd', 'a', 't', 'a'), bw...)
	rec = append(append(rec, 0xa3, 'F', 'i', 'x'), bw...)
	decode(rec, &s, false)
	if s.Name != "world" || string(s.Data) != "hello" || string(s.Fix[:]) != "hello" {
		t.Fatalf("struct = %+v", s)
	}
	var anys []any
	decode(append(append([]byte{0x92}, bw...), sw...), &anys, false)
	if string(anys[0].([]byte)) != "hello" || anys[1].(string) != "world" {
		t.Fatalf("any = %#v", anys)
	}
	// Aliasing: a top-level []byte is the view itself; without alias, a copy.
	var view, cp []byte
	decode(bw, &view, true)
	decode(bw, &cp, false)
	region := mem.regions[0x1000]
	if &view[0] != &region[0] || &cp[0] == &region[0] {
		t.Fatalf("alias: view %p copy %p region %p", &view[0], &cp[0], &region[0])
	}
	// A Lender that refuses the range: ErrBorrow, named virgil.ProtocolError.
	var b []byte
	d := codec.NewDecoder(codec.AppendBorrowed(nil, codec.BorrowedBytesExt, 0x9000, 5))
	d.SetLender(mem, false)
	err := d.Decode(&b)
	if !errors.Is(err, codec.ErrBorrow) || codec.ErrorName(err, exceptions.ResultError) != exceptions.ProtocolError {
		t.Fatalf("outside: %v", err)
	}
}

// Without a Lender, ext 65 and 66 are the raw extensions they always were (section 16, check 6).
func TestBorrowedWithoutLender(t *testing.T) {
	b := codec.AppendBorrowed(nil, codec.BorrowedBytesExt, 0x1000, 5)
	var x any
	if err := codec.NewDecoder(b).Decode(&x); err != nil {
		t.Fatal(err)
	}
	if e, ok := x.(codec.Ext); !ok || e.Type != codec.BorrowedBytesExt || len(e.Data) != 16 {
		t.Fatalf("lifted %#v, want the raw Ext", x)
	}
	var data []byte
	var te *codec.TypeError
	if err := codec.NewDecoder(b).Decode(&data); !errors.As(err, &te) {
		t.Fatalf("into []byte: %v, want a TypeError", err)
	}
	var s struct{ B []byte }
	if err := codec.NewDecoder(append([]byte{0x81, 0xa1, 'B'}, b...)).Decode(&s); !errors.As(err, &te) {
		t.Fatalf("into a struct: %v, want a TypeError", err)
	}
	var buf bytes.Buffer
	if err := codec.NewEncoder(&buf).Encode(x); err != nil || !bytes.Equal(buf.Bytes(), b) {
		t.Fatalf("echo of the raw Ext: %x, %v", buf.Bytes(), err)
	}
}

// An Encoder lends only what its Lending lends, and nothing without one.
func TestBorrowedEncoderThreshold(t *testing.T) {
	var buf bytes.Buffer
	enc := codec.NewEncoder(&buf)
	enc.SetLending(fixedLending{ptr: 0x1000, min: 4})
	if err := enc.Encode([]any{[]byte("abc"), []byte("abcd"), "xyz", "wxyz"}); err != nil {
		t.Fatal(err)
	}
	want := "94c403616263" + hex.EncodeToString(codec.AppendBorrowed(nil, 65, 0x1000, 4)) +
		"a378797a" + hex.EncodeToString(codec.AppendBorrowed(nil, 66, 0x1000, 4))
	if got := hex.EncodeToString(buf.Bytes()); got != want {
		t.Fatalf("encoded %s, want %s", got, want)
	}
	enc.SetLending(nil)
	buf.Reset()
	if err := enc.Encode([]byte("abcd")); err != nil || hex.EncodeToString(buf.Bytes()) != "c40461626364" {
		t.Fatalf("without lending: %x, %v", buf.Bytes(), err)
	}
}

// seedBorrowed seeds f with every encoding and argument array of borrowed.json and borrowed
// values inside containers.
func seedBorrowed(f *testing.F) {
	doc, err := borrowed.Load()
	if err != nil {
		f.Fatal(err)
	}
	for _, c := range doc.Encoding {
		f.Add(borrowed.Bytes(c.Hex))
	}
	for _, c := range doc.Arguments {
		f.Add(borrowed.Bytes(c.Hex))
	}
	f.Add(codec.AppendBorrowed([]byte{0x81, 0xa1, 'k'}, codec.BorrowedStrExt, fuzzRegion, 3))
	f.Add(codec.AppendBorrowed([]byte{0x91}, codec.BorrowedBytesExt, fuzzRegion+2, 4))
}

// fuzzRegion is the made-up address of FuzzDecodeBorrowed's lent memory.
const fuzzRegion = 0x10000

// FuzzDecodeBorrowed decodes any input through a Lender over one made-up region: nothing panics,
// a refusal has a name (ProtocolError, LimitExceeded or the malformed one), and what is accepted
// reads only the region (the fake Lender refuses the rest).
func FuzzDecodeBorrowed(f *testing.F) {
	seedBorrowed(f)
	seedVectors(f)
	f.Fuzz(func(t *testing.T, in []byte) {
		mem := &fakeMemory{regions: map[uint64][]byte{fuzzRegion: []byte("héllo, wörld")}}
		targets := append(fuzzTargets(), new(any), new([]byte), new(string), new([]any), new(map[string]any))
		for _, target := range targets {
			d := codec.NewDecoder(in)
			d.SetLender(mem, true)
			err := d.Decode(target)
			if err == nil {
				continue
			}
			if strings.Contains(err.Error(), "panicked") {
				t.Fatalf("decoding %x into %T: %v", in, target, err)
			}
			switch name := codec.ErrorName(err, "malformed"); name {
			case exceptions.ProtocolError, exceptions.LimitExceeded, "malformed":
			default:
				t.Fatalf("%x into %T: named %s", in, target, name)
			}
		}
	})
}
