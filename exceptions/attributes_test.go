package exceptions

import (
	"github.com/virgilffi/virgil/scan"

	"bytes"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"os"
	"os/exec"
	"reflect"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/vmihailenco/msgpack/v5"
)

// recordWithAttributes returns the canonical bytes of a one-level record
// whose "attributes" value is raw (already encoded), written by hand so that
// the test does not depend on the encoder under test.
func recordWithAttributes(raw []byte) []byte {
	var b bytes.Buffer
	enc := msgpack.NewEncoder(&b)
	_ = enc.EncodeMapLen(6)
	for _, kv := range [][2]string{{"name", "X"}, {"message", "m"}, {"language", "python"}} {
		_ = enc.EncodeString(kv[0])
		_ = enc.EncodeString(kv[1])
	}
	_ = enc.EncodeString("traceback")
	_ = enc.EncodeArrayLen(0)
	_ = enc.EncodeString("cause")
	_ = enc.EncodeNil()
	_ = enc.EncodeString("attributes")
	b.Write(raw)
	return b.Bytes()
}

// encodeRaw writes v with msgpack's compact encoding, for building inputs.
func encodeRaw(t *testing.T, v any) []byte {
	t.Helper()
	var b bytes.Buffer
	enc := msgpack.NewEncoder(&b)
	enc.UseCompactInts(true)
	enc.SetSortMapKeys(true)
	if err := enc.Encode(v); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// TestVectorAttributes checks the decoded attributes of the vectors (the
// byte-exact round trip is TestVectorsRoundTrip's).
func TestVectorAttributes(t *testing.T) {
	byName := map[string]*Exception{}
	for _, v := range recordVectors(t) {
		e, err := Unmarshal(v.input)
		if err != nil {
			t.Fatalf("%s: %v", v.name, err)
		}
		byName[v.name] = e
	}
	want := map[string]Attributes{
		"exception with errno and filename": {"errno": int64(2), "filename": "/etc/app.toml"},
		"exception with user attributes": {"code": int64(7), "detail": map[string]any{"used": 1.5},
			"limits": []any{int64(1), int64(2)}, "reason": "disk"},
		"exception with args and notes":          {"args": []any{"x"}},
		"exception with attributes out of order": {"errno": int64(111), "filename": "sock"},
		"error with attributes":                  {"errno": int64(2), "filename": "/etc/app.toml"},
	}
	for name, attrs := range want {
		e, ok := byName[name]
		if !ok {
			t.Errorf("vector %q is missing", name)
			continue
		}
		if !reflect.DeepEqual(e.Attributes, attrs) {
			t.Errorf("%s: attributes %#v, want %#v", name, e.Attributes, attrs)
		}
	}
	wrapper := byName["exception wrapper over errno"]
	if wrapper == nil || wrapper.Attributes != nil || wrapper.Cause == nil || wrapper.Cause.Filename() != "/etc/app.toml" {
		t.Fatalf("exception wrapper over errno: %#v", wrapper)
	}
	if !errors.Is(wrapper, os.ErrNotExist) || !errors.Is(wrapper, syscall.ENOENT) {
		t.Error("exception wrapper over errno: errors.Is(fs.ErrNotExist / ENOENT) is false")
	}
	if got := wrapper.Error(); got != "load config: open /etc/app.toml: no such file or directory" {
		t.Errorf("exception wrapper over errno: Error() = %q", got)
	}
	refused := byName["exception with attributes out of order"]
	if !errors.Is(refused, syscall.ECONNREFUSED) {
		t.Error("OSError errno 111: errors.Is(ECONNREFUSED) is false")
	}
	quota := byName["exception with user attributes"]
	if v, ok := quota.Attr("Reason"); !ok || v != "disk" {
		t.Errorf("Attr(Reason) = %v %v", v, ok)
	}
}

// TestAttributesEncoding checks the canonical writing of attributes: keys
// sorted by bytes, smallest encodings, nested maps sorted, and that the
// record decodes back to the same attributes.
func TestAttributesEncoding(t *testing.T) {
	e := &Exception{Name: "X", Message: "m", Language: "python", Attributes: Attributes{
		"b":     int64(-1),
		"a":     uint64(math.MaxUint64),
		"B":     "upper first",
		"é":     true,
		"big":   uint64(math.MaxInt64) + 1,
		"small": int64(200),
		"f":     2.0,
		"nil":   nil,
		"list":  []any{int64(1), "x"},
		"map":   map[string]any{"z": int64(1), "a": int64(2)},
		"when":  time.Unix(1, 0).UTC(),
	}}
	b, err := Marshal(e)
	if err != nil {
		t.Fatal(err)
	}
	// The attributes map follows the "attributes" key at the end.
	i := bytes.Index(b, []byte("\xaaattributes"))
	if i < 0 {
		t.Fatalf("no attributes key in %x", b)
	}
	got := hex.EncodeToString(b[i+11:])
	want := "8b" + // 11 entries, keys ascending by bytes
		"a142" + "ab7570706572206669727374" + // "B"
		"a161" + "cfffffffffffffffff" + // "a": uint64 max
		"a162" + "ff" + // "b": -1
		"a3626967" + "cf8000000000000000" + // "big"
		"a166" + "cb4000000000000000" + // "f": 2.0
		"a46c697374" + "9201a178" + // "list"
		"a36d6170" + "82a16102a17a01" + // "map" sorted
		"a36e696c" + "c0" + // "nil"
		"a5736d616c6c" + "ccc8" + // "small": uint8
		"a47768656e" + "d6ff00000001" + // "when": timestamp 32
		"a2c3a9" + "c3" // "é"
	if got != want {
		t.Errorf("attributes\n got %s\nwant %s", got, want)
	}
	back, err := Unmarshal(b)
	if err != nil {
		t.Fatal(err)
	}
	if back.Attributes["small"] != int64(200) || back.Attributes["a"] != uint64(math.MaxUint64) ||
		back.Attributes["big"] != uint64(math.MaxInt64)+1 || back.Attributes["b"] != int64(-1) {
		t.Errorf("integers decoded as %#v", back.Attributes)
	}
	if tm, ok := back.Attributes["when"].(time.Time); !ok || !tm.Equal(time.Unix(1, 0)) {
		t.Errorf("when = %#v", back.Attributes["when"])
	}
	again, err := Marshal(back)
	if err != nil || !bytes.Equal(again, b) {
		t.Errorf("re-encoding differs: %x\n%x (%v)", again, b, err)
	}
	// Empty attributes are not written.
	for _, attrs := range []Attributes{nil, {}} {
		b, err := Marshal(&Exception{Name: "X", Attributes: attrs})
		if err != nil || bytes.Contains(b, []byte("attributes")) {
			t.Errorf("empty attributes %#v written: %x %v", attrs, b, err)
		}
	}
}

// TestAttributesBin: a bin value decodes as []byte (cabi/ABI.md 5: bytes
// accepts only bin; Go's natural value is []byte) and is written back as bin.
func TestAttributesBin(t *testing.T) {
	for _, raw := range [][]byte{{0xc4, 0x00}, {0xc4, 0x01, 'a'}} {
		in := recordWithAttributes(append([]byte("\x81\xa1v"), raw...))
		e, err := Unmarshal(in)
		if err != nil {
			t.Fatal(err)
		}
		if _, ok := e.Attributes["v"].([]byte); !ok {
			t.Errorf("bin %x decoded as %#v", raw, e.Attributes["v"])
		}
		if out, err := Marshal(e); err != nil || !bytes.Equal(out, in) {
			t.Errorf("bin %x re-encoded as %x (%v)", raw, out, err)
		}
	}
	b, err := Marshal(&Exception{Name: "X", Attributes: Attributes{"v": []byte{}}})
	if err != nil || !bytes.HasSuffix(b, []byte("\xa1v\xc4\x00")) {
		t.Errorf("empty []byte written as %x (%v)", b, err)
	}
}

// TestAttributesGoValuesCanonical: a Go caller may put any integer type in
// Attributes; the record must still be canonical (smallest encoding), as
// section 5 demands of every value.
func TestAttributesGoValuesCanonical(t *testing.T) {
	for v, want := range map[any]string{
		int32(5): "05", int8(-3): "fd", int16(300): "cd012c", uint32(7): "07", uint16(1): "01", uint(9): "09",
	} {
		b, err := Marshal(&Exception{Name: "X", Attributes: Attributes{"v": v}})
		if err != nil {
			t.Fatal(err)
		}
		if got := hex.EncodeToString(b[bytes.LastIndex(b, []byte("\xa1v"))+2:]); got != want {
			t.Errorf("%T(%v) written as %s, want %s", v, v, got, want)
		}
	}
	b, err := Marshal(&Exception{Name: "X", Attributes: Attributes{"m": map[string]string{"b": "1", "a": "2"}}})
	if err != nil {
		t.Fatal(err)
	}
	if got := hex.EncodeToString(b[bytes.LastIndex(b, []byte("\xa1m"))+2:]); got != "82a161a132a162a131" {
		t.Errorf("map[string]string written as %s, want keys sorted", got)
	}
}

// TestAttributesNonStringKeyMapDeterministic: a map with non-string keys
// (decoded as map[any]any) must encode to the same bytes every time, or the
// record is not canonical.
func TestAttributesNonStringKeyMapDeterministic(t *testing.T) {
	raw := encodeRaw(t, map[string]any{"m": map[int]string{1: "a", 2: "b", 3: "c", 4: "d", 5: "e"}})
	e, err := Unmarshal(recordWithAttributes(raw))
	if err != nil {
		t.Fatal(err)
	}
	m, ok := e.Attributes["m"].(map[any]any)
	if !ok || len(m) != 5 || m[int64(3)] != "c" {
		t.Fatalf("non-string keys decoded as %#v", e.Attributes["m"])
	}
	first, _ := Marshal(e)
	for range 30 {
		if b, _ := Marshal(e); !bytes.Equal(b, first) {
			t.Fatalf("two encodings of one record:\n%x\n%x", first, b)
		}
	}
}

// TestAttributesDecoding checks what a reader does with unusual attribute
// values: a non-map is ignored, non-string keys are skipped, limits hold.
func TestAttributesDecoding(t *testing.T) {
	// Not a map: ignored, the record is read.
	for _, v := range []any{"x", int64(1), []any{"a"}, nil} {
		e, err := Unmarshal(recordWithAttributes(encodeRaw(t, v)))
		if err != nil || e.Attributes != nil || e.Name != "X" {
			t.Errorf("attributes %#v: %#v %v", v, e, err)
		}
	}
	// A non-string key is skipped with its value.
	var b bytes.Buffer
	enc := msgpack.NewEncoder(&b)
	_ = enc.EncodeMapLen(3)
	_ = enc.EncodeInt(1)
	_ = enc.EncodeArrayLen(1)
	_ = enc.EncodeString("skipped")
	_ = enc.EncodeString("errno")
	_ = enc.EncodeInt(2)
	_ = enc.EncodeArrayLen(0)
	_ = enc.EncodeNil()
	e, err := Unmarshal(recordWithAttributes(b.Bytes()))
	if err != nil || !reflect.DeepEqual(e.Attributes, Attributes{"errno": int64(2)}) {
		t.Errorf("non-string keys: %#v %v", e, err)
	}
	// Only non-string keys: no attributes at all.
	e, err = Unmarshal(recordWithAttributes(encodeRaw(t, map[int]int{1: 2})))
	if err != nil || e.Attributes != nil {
		t.Errorf("only non-string keys: %#v %v", e, err)
	}
	// 256 attributes are fine, 257 are refused, both ways.
	for _, n := range []int{MaxAttributes, MaxAttributes + 1} {
		m := map[string]any{}
		for i := range n {
			m[fmt.Sprintf("k%03d", i)] = int64(i)
		}
		e, err := Unmarshal(recordWithAttributes(encodeRaw(t, m)))
		if n <= MaxAttributes && (err != nil || len(e.Attributes) != n) {
			t.Errorf("%d attributes refused: %v", n, err)
		}
		if n > MaxAttributes && (err == nil || !strings.Contains(err.Error(), "257 attributes")) {
			t.Errorf("%d attributes accepted: %v", n, err)
		}
		_, err = Marshal(&Exception{Name: "X", Attributes: Attributes(m)})
		if n <= MaxAttributes && err != nil {
			t.Errorf("Marshal of %d attributes: %v", n, err)
		}
		if n > MaxAttributes && (err == nil || !strings.Contains(err.Error(), "257 attributes")) {
			t.Errorf("Marshal of %d attributes: %v", n, err)
		}
	}
	// A map keyed by an array cannot be a Go map key: refused, clearly.
	var kb bytes.Buffer
	enc = msgpack.NewEncoder(&kb)
	_ = enc.EncodeMapLen(1)
	_ = enc.EncodeString("m")
	_ = enc.EncodeMapLen(1)
	_ = enc.EncodeArrayLen(0)
	_ = enc.EncodeInt(1)
	if _, err := Unmarshal(recordWithAttributes(kb.Bytes())); err == nil || !strings.Contains(err.Error(), `attribute "m"`) {
		t.Errorf("array map key: %v", err)
	}
}

// nestedArrays returns n arrays nested in each other, encoded.
func nestedArrays(n int) []byte {
	b := bytes.Repeat([]byte{0x91}, n-1)
	return append(b, 0x90)
}

// TestAttributesNesting: the record is depth 1, its attributes map depth 2,
// so an attribute value may nest 510 arrays and not 511 (cabi/ABI.md 11).
func TestAttributesNesting(t *testing.T) {
	wrap := func(value []byte) []byte {
		return recordWithAttributes(append([]byte("\x81\xa1v"), value...))
	}
	if _, err := Unmarshal(wrap(nestedArrays(MaxNesting - 2))); err != nil {
		t.Errorf("%d nested arrays refused: %v", MaxNesting-2, err)
	}
	if _, err := Unmarshal(wrap(nestedArrays(MaxNesting - 1))); err == nil {
		t.Errorf("%d nested arrays accepted", MaxNesting-1)
	}
	// A map value nests the same way.
	deepMap := append(bytes.Repeat([]byte("\x81\xa1k"), MaxNesting-1), 0x80)
	if _, err := Unmarshal(wrap(deepMap)); err == nil {
		t.Errorf("%d nested maps accepted", MaxNesting-1)
	}
}

// TestAttributesWriterStaysWithinNesting: a writer MUST stay within the
// limits (cabi/ABI.md 6): whatever Marshal writes, Unmarshal must read.
func TestAttributesWriterStaysWithinNesting(t *testing.T) {
	var deep any = []any{}
	for range MaxNesting + 5 {
		deep = []any{deep}
	}
	e := &Exception{Name: "X", Attributes: Attributes{"deep": deep}}
	e = &Exception{Name: "Outer", Cause: e}
	b, err := Marshal(e)
	if err != nil {
		return // refusing is fine too
	}
	if _, err := Unmarshal(b); err != nil {
		t.Errorf("Marshal wrote a record Unmarshal refuses: %v", err)
	}
}

// TestAttributesUnknownExtension: a reader ignores what it cannot use; an
// attribute holding an extension type it does not know must not make the
// whole record (and with it the failure) unreadable.
func TestAttributesUnknownExtension(t *testing.T) {
	raw := []byte("\x82\xa1x\xd4\x05\x01\xa5errno\x02") // {"x": fixext1 type 5, "errno": 2}
	e, err := Unmarshal(recordWithAttributes(raw))
	if err != nil {
		t.Fatalf("record refused: %v", err)
	}
	if n, ok := e.Errno(); !ok || n != 2 {
		t.Errorf("errno lost: %#v", e.Attributes)
	}
}

func TestAttr(t *testing.T) {
	e := &Exception{Name: "X", Attributes: Attributes{
		"errno":     int64(2),
		"MaxValue":  int64(10),
		"max_value": int64(11),
		"FileName":  "/f",
		"user-id":   "u1",
	}}
	cases := []struct {
		key  string
		want any
		ok   bool
	}{
		{"errno", int64(2), true},
		{"Errno", int64(2), true},
		{"ERR_NO", int64(2), true},
		{"MaxValue", int64(10), true},  // exact wins over folded
		{"max_value", int64(11), true}, // exact wins over folded
		{"maxValue", nil, false},       // two keys fold to it: ambiguous
		{"maxvalue", nil, false},
		{"filename", "/f", true},
		{"userId", "u1", true},
		{"user_id", "u1", true},
		{"missing", nil, false},
	}
	for _, c := range cases {
		v, ok := e.Attr(c.key)
		if ok != c.ok || !reflect.DeepEqual(v, c.want) && c.ok {
			t.Errorf("Attr(%q) = %v %v, want %v %v", c.key, v, ok, c.want, c.ok)
		}
	}
	var nilE *Exception
	if _, ok := nilE.Attr("errno"); ok {
		t.Error("Attr on nil")
	}
	if scan.Fold("Max_Value-X") != "maxvaluex" || scan.Fold("É_a") != "Éa" {
		t.Errorf("Fold: %q %q", scan.Fold("Max_Value-X"), scan.Fold("É_a"))
	}
	// Errno takes int64 and uint64 from a decoder.
	for _, v := range []any{int64(2), uint64(2)} {
		if n, ok := (&Exception{Attributes: Attributes{"errno": v}}).Errno(); !ok || n != 2 {
			t.Errorf("Errno of %T = %d %v", v, n, ok)
		}
	}
	for _, v := range []any{"2", 2.0, uint64(math.MaxUint64), nil} {
		if _, ok := (&Exception{Attributes: Attributes{"errno": v}}).Errno(); ok {
			t.Errorf("Errno of %T %v is ok", v, v)
		}
	}
}

// TestAttrFilenameFolded: keys are matched like struct keys (exactly, else
// folded), so Filename finds "FileName" as Attr does, and a Go caller's int
// errno counts.
func TestAttrFilenameFolded(t *testing.T) {
	if got := (&Exception{Attributes: Attributes{"FileName": "/f"}}).Filename(); got != "/f" {
		t.Errorf("Filename() with key FileName = %q", got)
	}
	if n, ok := (&Exception{Attributes: Attributes{"errno": 2}}).Errno(); !ok || n != 2 {
		t.Errorf("Errno of an int = %d %v", n, ok)
	}
}

// TestUserFieldAttributes: a user's error struct's exported fields become
// attributes by wire name; unexported, error, func and chan fields and
// values that fail to encode are left out.
func TestUserFieldAttributes(t *testing.T) {
	q := &QuotaError{Limit: 3, Used: 1.5, Reason: "disk", Hidden: "h", secret: "s",
		Err: errors.New("cause"), Hook: func() {}, Events: make(chan int)}
	e := From(q)
	want := Attributes{"Limit": int64(3), "used": 1.5, "reason": "disk"}
	if !reflect.DeepEqual(e.Attributes, want) {
		t.Errorf("attributes %#v, want %#v", e.Attributes, want)
	}
	// A field whose value cannot be encoded is left out, the others kept.
	type withAny struct {
		Code  int
		Extra any
		Data  map[string]any
	}
	e = From(&anyError{withAny{Code: 4, Extra: func() {}, Data: map[string]any{"c": make(chan int)}}})
	if _, ok := e.Attributes["Inner"]; ok {
		t.Errorf("unencodable field kept: %#v", e.Attributes)
	}
	e = From(&mixedError{Code: 4, Extra: func() {}, Nested: map[string]int{"b": 2, "a": 1}, When: time.Unix(5, 0)})
	wantMixed := Attributes{"Code": int64(4), "Nested": map[string]any{"a": int64(1), "b": int64(2)}, "When": time.Unix(5, 0)}
	if len(e.Attributes) != 3 || e.Attributes["Code"] != int64(4) ||
		!reflect.DeepEqual(e.Attributes["Nested"], wantMixed["Nested"]) {
		t.Errorf("mixed: %#v", e.Attributes)
	}
	if tm, ok := e.Attributes["When"].(time.Time); !ok || !tm.Equal(time.Unix(5, 0)) {
		t.Errorf("mixed: When = %#v", e.Attributes["When"])
	}
	// Round trip: the attributes cross.
	back := roundTrip(t, From(fmt.Errorf("charge: %w", q)))
	if back.Name != "exceptions.QuotaError" || back.Attributes != nil || back.Cause == nil ||
		!reflect.DeepEqual(back.Cause.Attributes, want) {
		t.Errorf("round trip: %#v / %#v", back, back.Cause)
	}
	if v, ok := back.Cause.Attr("limit"); !ok || v != int64(3) {
		t.Errorf("Attr(limit) = %v %v", v, ok)
	}
	// Sentinels and errnos carry no fields of their own.
	if a := From(errQuota).Attributes; a != nil {
		t.Errorf("sentinel attributes %#v", a)
	}
}

type anyError struct{ Inner any }

func (*anyError) Error() string { return "any" }

type mixedError struct {
	Code   int
	Extra  any
	Nested map[string]int
	When   time.Time
}

func (*mixedError) Error() string { return "mixed" }

// TestUserFieldCycle: a user's error with a cyclic exported field must not
// crash the process (From runs on every error a guest function returns).
// The conversion runs in a child process, since a stack overflow is fatal.
func TestUserFieldCycle(t *testing.T) {
	if os.Getenv("VIRGIL_CYCLE_CHILD") == "1" {
		n := &treeNode{Name: "a"}
		n.Parent = n
		e := From(&treeError{At: n})
		fmt.Println("converted", e.Name)
		return
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestUserFieldCycle$")
	cmd.Env = append(os.Environ(), "VIRGIL_CYCLE_CHILD=1")
	out, err := cmd.CombinedOutput()
	if err != nil || !bytes.Contains(out, []byte("converted exceptions.treeError")) {
		t.Errorf("From of a cyclic error crashed: %v\n%.400s", err, out)
	}
}

type treeNode struct {
	Name   string
	Parent *treeNode
}

type treeError struct{ At *treeNode }

func (*treeError) Error() string { return "tree" }

// TestErrorText checks Error() against the text rules of cabi/ABI.md 6.
func TestErrorText(t *testing.T) {
	chain := func(names, messages []string) *Exception {
		var top *Exception
		for i := len(names) - 1; i >= 0; i-- {
			top = &Exception{Name: names[i], Message: messages[i], Cause: top}
		}
		return top
	}
	cases := []struct {
		messages []string
		want     string
	}{
		{[]string{"load config", "open /etc/app.toml: no such file or directory"}, "load config: open /etc/app.toml: no such file or directory"},
		{[]string{"", "inner"}, "inner"},
		{[]string{"outer", ""}, "outer"},
		{[]string{"a", "", "c"}, "a: c"},
		{[]string{"", "", ""}, "L0"},
		{[]string{""}, "L0"},
	}
	for _, c := range cases {
		names := make([]string, len(c.messages))
		for i := range names {
			names[i] = fmt.Sprintf("L%d", i)
		}
		if got := chain(names, c.messages).Error(); got != c.want {
			t.Errorf("messages %q: Error() = %q, want %q", c.messages, got, c.want)
		}
	}
	// A Go chain reads the same after crossing.
	err := fmt.Errorf("load config: %w", &os.PathError{Op: "open", Path: "/etc/app.toml", Err: syscall.ENOENT})
	if got := roundTrip(t, From(err)).Error(); got != err.Error() {
		t.Errorf("crossed Error() = %q, want %q", got, err.Error())
	}
	// errors.Join: the joined errors are notes; the text is the first's.
	if got := From(errors.Join(errors.New("a"), errors.New("b"))).Error(); got != "a" {
		t.Errorf("joined Error() = %q", got)
	}
}

// TestConcurrentAttributes reads and encodes one exception's attributes
// from many goroutines while others register names and convert errors
// (run with -race).
func TestConcurrentAttributes(t *testing.T) {
	shared := From(fmt.Errorf("charge: %w", &QuotaError{Limit: 1, Reason: "disk"}))
	decoded := roundTrip(t, shared)
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 200 {
				switch g % 4 {
				case 0:
					Register(fmt.Errorf("sentinel %d %d", g, i), fmt.Sprintf("S%d", i))
					RegisterType(&treeError{}, "Tree")
				case 1:
					if _, err := Marshal(shared); err != nil {
						t.Error(err)
						return
					}
					_ = From(&os.PathError{Op: "open", Path: "p", Err: syscall.ENOENT})
				case 2:
					if v, ok := decoded.Cause.Attr("reason"); !ok || v != "disk" {
						t.Errorf("Attr = %v %v", v, ok)
						return
					}
					_ = errors.Is(decoded, os.ErrNotExist)
				case 3:
					x := From(&mixedError{Code: i, Nested: map[string]int{"a": i}})
					if x.Attributes["Code"] != int64(i) {
						t.Errorf("Code = %v", x.Attributes["Code"])
						return
					}
					_ = FuncFrame(TestConcurrentAttributes)
				}
			}
		}()
	}
	wg.Wait()
}
