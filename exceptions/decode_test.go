package exceptions

import (
	"bytes"
	"runtime"
	"strings"
	"testing"

	"github.com/vmihailenco/msgpack/v5"
)

// build writes MessagePack with a few helpers, for hand-made records.
type build struct {
	buf bytes.Buffer
	enc *msgpack.Encoder
}

func newBuild() *build {
	b := &build{}
	b.enc = msgpack.NewEncoder(&b.buf)
	return b
}

func (b *build) m(n int) *build      { _ = b.enc.EncodeMapLen(n); return b }
func (b *build) a(n int) *build      { _ = b.enc.EncodeArrayLen(n); return b }
func (b *build) s(v string) *build   { _ = b.enc.EncodeString(v); return b }
func (b *build) i(v int64) *build    { _ = b.enc.EncodeInt(v); return b }
func (b *build) u(v uint64) *build   { _ = b.enc.EncodeUint64(v); return b }
func (b *build) nil() *build         { _ = b.enc.EncodeNil(); return b }
func (b *build) raw(v []byte) *build { b.buf.Write(v); return b }
func (b *build) bytes() []byte       { return b.buf.Bytes() }

// chainOf returns a record whose cause chain has depth levels.
func chainOf(depth int) []byte {
	b := newBuild()
	for range depth {
		b.m(2).s("name").s("Level").s("cause")
	}
	return b.nil().bytes()
}

func TestUnmarshalMalformed(t *testing.T) {
	nested := bytes.Repeat([]byte{0x91}, 10<<20) // 10 MB of [[[[...
	for _, tc := range []struct {
		name  string
		input []byte
		want  string
	}{
		{"empty", nil, "empty input"},
		{"not a map", []byte{0x93, 1, 2, 3}, "expected map, got array"},
		{"nil", []byte{0xc0}, "expected map, got nil"},
		{"invalid code", []byte{0xc1}, "expected map, got invalid code 0xc1"},
		{"name missing", newBuild().m(1).s("message").s("x").bytes(), `key "name" is missing`},
		{"name nil", newBuild().m(1).s("name").nil().bytes(), `key "name": expected str, got nil`},
		{"name int", newBuild().m(1).s("name").i(7).bytes(), `key "name": expected str, got int`},
		{"name bin", newBuild().m(1).s("name").raw([]byte{0xc4, 1, 'x'}).bytes(), `key "name": expected str, got bin`},
		{"message float", newBuild().m(2).s("name").s("E").s("message").raw([]byte{0xcb, 0, 0, 0, 0, 0, 0, 0, 0}).bytes(),
			`key "message": expected str, got float`},
		{"traceback str", newBuild().m(2).s("name").s("E").s("traceback").s("x").bytes(),
			`key "traceback": expected array, got str`},
		{"frame not a map", newBuild().m(2).s("name").s("E").s("traceback").a(1).i(1).bytes(),
			`traceback[0]: expected map, got int`},
		{"line str", newBuild().m(2).s("name").s("E").s("traceback").a(1).m(1).s("line").s("12").bytes(),
			`exception record: traceback[0]: key "line": expected int, got str`},
		{"line out of range", newBuild().m(2).s("name").s("E").s("traceback").a(1).m(1).s("line").u(1 << 63).bytes(),
			`key "line": integer 9223372036854775808 out of range`},
		{"column bool", newBuild().m(2).s("name").s("E").s("traceback").a(1).m(1).s("column").raw([]byte{0xc3}).bytes(),
			`key "column": expected int, got bool`},
		{"cause int", newBuild().m(2).s("name").s("E").s("cause").i(5).bytes(),
			`key "cause": expected map or nil, got int`},
		{"cause name missing", newBuild().m(2).s("name").s("E").s("cause").m(0).bytes(),
			`exception record: cause 1: key "name" is missing`},
		{"deep cause wrong type", newBuild().m(2).s("name").s("E").s("cause").m(2).s("name").s("F").
			s("traceback").a(1).m(1).s("file").i(3).bytes(),
			`exception record: cause 1: traceback[0]: key "file": expected str, got int`},
		{"notes map", newBuild().m(2).s("name").s("E").s("notes").m(0).bytes(),
			`key "notes": expected array, got map`},
		{"note int", newBuild().m(2).s("name").s("E").s("notes").a(2).s("ok").i(1).bytes(),
			`key "notes": item 1: expected str, got int`},
		{"traceback too long", newBuild().m(2).s("name").s("E").s("traceback").raw([]byte{0xdc, 0x10, 0x01}).bytes(),
			"traceback of 4097 frames, more than 4096"},
		{"cause chain of 300", chainOf(300), "cause chain deeper than 256 levels"},
		{"cause chain of 257", chainOf(257), "cause chain deeper than 256 levels"},
		{"10 MB of nested arrays in an unknown key", newBuild().m(2).s("name").s("E").s("junk").raw(nested).bytes(),
			"nesting deeper than 512"},
		{"nested arrays as a key", newBuild().m(1).raw(nested).bytes(), "nesting deeper than 512"},
		{"nested maps in a frame", newBuild().m(2).s("name").s("E").s("traceback").a(1).m(1).s("x").
			raw(bytes.Repeat([]byte{0x81, 0xc0}, 600)).bytes(), "nesting deeper than 512"},
		{"huge declared string", newBuild().m(1).s("name").raw([]byte{0xdb, 0xff, 0xff, 0xff, 0xff, 'x'}).bytes(),
			"truncated input"},
		{"huge declared map", []byte{0xdf, 0xff, 0xff, 0xff, 0xff}, "truncated input"},
		{"huge declared unknown array", newBuild().m(2).s("name").s("E").s("x").raw([]byte{0xdd, 0xff, 0xff, 0xff, 0xff}).bytes(),
			"truncated input"},
		{"trailing bytes", append(chainOf(1), 0xc0, 0xc0), "2 trailing bytes after the record"},
		{"second record", append(chainOf(1), chainOf(1)...), "trailing bytes"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e, err := Unmarshal(tc.input)
			if err == nil {
				t.Fatalf("no error; decoded %v", exported(e))
			}
			if e != nil {
				t.Errorf("an error and an exception")
			}
			if !strings.Contains(err.Error(), tc.want) || !strings.HasPrefix(err.Error(), "exception record: ") {
				t.Errorf("error %q, want it to contain %q", err, tc.want)
			}
		})
	}
}

func TestUnmarshalLimitsAccepted(t *testing.T) {
	e, err := Unmarshal(chainOf(MaxCauseDepth))
	if err != nil {
		t.Fatalf("a chain of %d levels: %v", MaxCauseDepth, err)
	}
	if n := len(levels(e)); n != MaxCauseDepth {
		t.Errorf("%d levels", n)
	}
	b := newBuild().m(2).s("name").s("E").s("traceback").a(MaxTracebackFrames)
	for range MaxTracebackFrames {
		b.m(0)
	}
	if e, err := Unmarshal(b.bytes()); err != nil || len(e.Traceback) != MaxTracebackFrames {
		t.Fatalf("a traceback of %d frames: %v", MaxTracebackFrames, err)
	}
	// Unknown values nested up to the limit are skipped: the record is at
	// depth 1, so MaxNesting-1 arrays inside it reach depth MaxNesting.
	ok := newBuild().m(2).s("name").s("E").s("junk").raw(bytes.Repeat([]byte{0x91}, MaxNesting-1)).nil().bytes()
	if _, err := Unmarshal(ok); err != nil {
		t.Errorf("nesting of %d: %v", MaxNesting, err)
	}
	tooDeep := newBuild().m(2).s("name").s("E").s("junk").raw(bytes.Repeat([]byte{0x91}, MaxNesting)).nil().bytes()
	if _, err := Unmarshal(tooDeep); err == nil {
		t.Errorf("nesting of %d accepted", MaxNesting+1)
	}
}

func TestUnmarshalLenient(t *testing.T) {
	// Missing and nil optional keys are empty; unknown keys, also
	// non-string ones and unknown frame keys, are ignored; keys come in any
	// order.
	input := newBuild().m(7).
		s("traceback").a(1).m(3).i(1).a(0).s("line").i(-3).s("extra").m(1).s("k").a(1).s("v").
		s("cause").nil().
		s("notes").nil().
		i(42).s("answer").
		s("message").nil().
		s("name").s("E").
		s("language").s("c").bytes()
	e, err := Unmarshal(input)
	if err != nil {
		t.Fatal(err)
	}
	want := &Exception{Name: "E", Language: "c", Traceback: []Frame{{Line: -3, Language: "c"}}}
	if !equalRecords(e, want) {
		t.Errorf("got %#v", exported(e))
	}
	canonical := newBuild().m(5).s("name").s("E").s("message").s("").s("language").s("c").
		s("traceback").a(1).m(4).s("function").s("").s("file").s("").s("line").i(-3).s("column").i(0).
		s("cause").nil().bytes()
	if got, _ := Marshal(e); !bytes.Equal(got, canonical) {
		t.Errorf("Marshal\n got %x\nwant %x", got, canonical)
	}
}

func TestUnmarshalTruncatedVectors(t *testing.T) {
	for _, v := range recordVectors(t) {
		for n := range len(v.input) {
			if _, err := Unmarshal(v.input[:n]); err == nil {
				t.Errorf("%s: %d of %d bytes accepted", v.name, n, len(v.input))
			}
		}
	}
}

func TestDecodeMsgpackReplaces(t *testing.T) {
	e := &Exception{Name: "Old", Notes: []string{"old"}, Cause: &Exception{Name: "OldCause"}}
	dec := msgpack.NewDecoder(bytes.NewReader(chainOf(1)))
	if err := e.DecodeMsgpack(dec); err != nil {
		t.Fatal(err)
	}
	if e.Name != "Level" || e.Notes != nil || e.Cause != nil {
		t.Errorf("got %#v", exported(e))
	}
}

// envelope is how other packages embed a record: msgpack calls the
// record's EncodeMsgpack and DecodeMsgpack.
type envelope struct {
	Error *Exception `msgpack:"error"`
}

func TestMsgpackInterfaces(t *testing.T) {
	in := envelope{Error: &Exception{Name: "E", Message: "m", Language: "go", Notes: []string{"n"}}}
	b, err := msgpack.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	want := append([]byte("\x81\xa5error"), mustMarshal(t, in.Error)...)
	if !bytes.Equal(b, want) {
		t.Errorf("msgpack.Marshal\n got %x\nwant %x", b, want)
	}
	var out envelope
	if err := msgpack.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	if !equalRecords(out.Error, in.Error) {
		t.Errorf("got %#v", exported(out.Error))
	}
	if b, err := msgpack.Marshal(envelope{}); err != nil || !bytes.Equal(b, []byte("\x81\xa5error\xc0")) {
		t.Errorf("nil record: %x %v", b, err)
	}
}

func mustMarshal(t *testing.T, e *Exception) []byte {
	t.Helper()
	b, err := Marshal(e)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestMarshalLimits(t *testing.T) {
	if _, err := Marshal(nil); err == nil {
		t.Error("Marshal(nil) succeeded")
	}
	cyclic := &Exception{Name: "Loop"}
	cyclic.Cause = cyclic
	if _, err := Marshal(cyclic); err == nil || !strings.Contains(err.Error(), "deeper than 256") {
		t.Errorf("cyclic chain: %v", err)
	}
	long := &Exception{Name: "Long", Traceback: make([]Frame, MaxTracebackFrames+1)}
	if _, err := Marshal(long); err == nil || !strings.Contains(err.Error(), "more than 4096") {
		t.Errorf("long traceback: %v", err)
	}
	if s := cyclic.Error(); !strings.HasSuffix(s, "(cause chain truncated)") {
		t.Errorf("Error() of a cyclic chain: %q", s)
	}
}

func TestUnmarshalSkipsEveryType(t *testing.T) {
	b := newBuild().m(10).s("name").s("E")
	b.s("fixext").raw([]byte{0xd6, 0xff, 1, 2, 3, 4})                              // timestamp 32
	b.s("ext8").raw([]byte{0xc7, 3, 0x40, 1, 2, 3})                                // a Virgil ext
	b.s("ext16").raw([]byte{0xc8, 0, 1, 0x41, 9})                                  // one byte
	b.s("ext32").raw(append([]byte{0xc9, 0, 0, 0, 2, 0x42}, 7, 8))                 // two bytes
	b.s("bin").raw([]byte{0xc4, 2, 0xde, 0xad})                                    // bin8
	b.s("float").raw([]byte{0xcb, 0x40, 0x09, 0x21, 0xfb, 0x54, 0x44, 0x2d, 0x18}) // pi
	b.s("str16").raw(append([]byte{0xda, 0, 3}, "abc"...))
	b.s("map").m(2).i(1).a(2).s("x").raw([]byte{0xc3}).s("k").m(0)
	b.s("message").raw(append([]byte{0xdb, 0, 0, 0, 2}, "ok"...)) // str32, non-canonical
	e, err := Unmarshal(b.bytes())
	if err != nil {
		t.Fatal(err)
	}
	if e.Name != "E" || e.Message != "ok" {
		t.Errorf("got %#v", exported(e))
	}
}

// TestUnmarshalBoundedMemory guards against the decoder keeping a buffer as
// large as a truncated value's declared length, which grew without bound
// when a pooled msgpack decoder was fed such records repeatedly.
func TestUnmarshalBoundedMemory(t *testing.T) {
	inputs := [][]byte{
		newBuild().m(1).s("name").raw([]byte{0xdb, 0xc6, 0xc6, 0xc6, 0xc6, 'x'}).bytes(),
		newBuild().m(2).s("name").s("E").s("junk").raw([]byte{0xc6, 0xc6, 0xc6, 0xc6, 0xc6, 'x'}).bytes(),
		newBuild().m(2).s("name").s("E").s("junk").raw([]byte{0xc9, 0xc6, 0xc6, 0xc6, 0xc6, 1, 'x'}).bytes(),
		newBuild().m(1).raw([]byte{0xdb, 0xc6, 0xc6, 0xc6, 0xc6, 'x'}).bytes(), // as a key
	}
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	for range 100 {
		for _, in := range inputs {
			if _, err := Unmarshal(in); err == nil || !strings.Contains(err.Error(), "truncated input") {
				t.Fatalf("error %v", err)
			}
		}
	}
	runtime.ReadMemStats(&after)
	if allocated := after.TotalAlloc - before.TotalAlloc; allocated > 64<<20 {
		t.Errorf("400 truncated records allocated %d MB", allocated>>20)
	}
}
