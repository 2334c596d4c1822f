package exceptions

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
)

// vector is one entry of cabi/testdata/vectors.json.
type vector struct {
	Name         string          `json:"name"`
	Kind         string          `json:"kind"`
	Hex          string          `json:"hex"`
	CanonicalHex string          `json:"canonical_hex"`
	Value        json.RawMessage `json:"value"`
}

// typed is a value in the vectors' typed JSON notation: one key naming its
// MessagePack family.
type typed map[string]json.RawMessage

// recordVector is an exception record taken from a vector: its bytes, the
// canonical bytes an encoder must produce, and the record described in
// typed JSON.
type recordVector struct {
	name      string
	input     []byte
	canonical []byte
	value     typed
}

func loadVectors(t testing.TB) []vector {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("..", "cabi", "testdata", "vectors.json"))
	if err != nil {
		t.Fatalf("read vectors: %v", err)
	}
	var file struct {
		Vectors []vector `json:"vectors"`
	}
	if err := json.Unmarshal(raw, &file); err != nil {
		t.Fatalf("parse vectors: %v", err)
	}
	return file.Vectors
}

// recordVectors returns every exception record in the vectors: the
// "exception" vectors, and the record inside every {"error": record}
// envelope (the bytes after the map header 0x81 and the str "error").
func recordVectors(t testing.TB) []recordVector {
	t.Helper()
	var out []recordVector
	for _, v := range loadVectors(t) {
		input := mustHex(t, v.Hex)
		canonical := input
		if v.CanonicalHex != "" {
			canonical = mustHex(t, v.CanonicalHex)
		}
		var value typed
		if err := json.Unmarshal(v.Value, &value); err != nil {
			t.Fatalf("%s: value: %v", v.Name, err)
		}
		switch v.Kind {
		case "exception":
			out = append(out, recordVector{v.Name, input, canonical, value})
		case "envelope":
			pairs := mapPairs(t, value)
			if len(pairs) != 1 || str(t, pairs[0][0]) != "error" {
				continue
			}
			prefix := []byte("\x81\xa5error")
			if !bytes.HasPrefix(input, prefix) || !bytes.HasPrefix(canonical, prefix) {
				t.Fatalf("%s: envelope does not start with 81 a5 'error'", v.Name)
			}
			out = append(out, recordVector{
				v.Name, input[len(prefix):], canonical[len(prefix):], pairs[0][1],
			})
		}
	}
	if len(out) == 0 {
		t.Fatal("no exception records in the vectors")
	}
	return out
}

func mustHex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatalf("hex %q: %v", s, err)
	}
	return b
}

func mapPairs(t testing.TB, v typed) [][2]typed {
	t.Helper()
	var pairs [][2]typed
	if err := json.Unmarshal(v["map"], &pairs); err != nil {
		t.Fatalf("not a typed map: %v", err)
	}
	return pairs
}

func str(t testing.TB, v typed) string {
	t.Helper()
	raw, ok := v["str"]
	if !ok {
		t.Fatalf("not a typed str: %v", v)
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		t.Fatal(err)
	}
	return s
}

func integer(t testing.TB, v typed) int {
	t.Helper()
	var n int
	if err := json.Unmarshal(v["int"], &n); err != nil {
		t.Fatalf("not a typed int: %v", v)
	}
	return n
}

func array(t testing.TB, v typed) []typed {
	t.Helper()
	var items []typed
	if err := json.Unmarshal(v["array"], &items); err != nil {
		t.Fatalf("not a typed array: %v", v)
	}
	return items
}

// expected builds the Exception a typed-JSON record describes, ignoring
// unknown keys as a reader must.
func expected(t testing.TB, v typed) *Exception {
	t.Helper()
	e := &Exception{}
	for _, kv := range mapPairs(t, v) {
		switch str(t, kv[0]) {
		case "name":
			e.Name = str(t, kv[1])
		case "message":
			e.Message = str(t, kv[1])
		case "language":
			e.Language = str(t, kv[1])
		case "traceback":
			for _, fv := range array(t, kv[1]) {
				var f Frame
				for _, fkv := range mapPairs(t, fv) {
					switch str(t, fkv[0]) {
					case "function":
						f.Function = str(t, fkv[1])
					case "file":
						f.File = str(t, fkv[1])
					case "line":
						f.Line = integer(t, fkv[1])
					case "column":
						f.Column = integer(t, fkv[1])
					}
				}
				e.Traceback = append(e.Traceback, f)
			}
		case "cause":
			if _, isNil := kv[1]["nil"]; !isNil {
				e.Cause = expected(t, kv[1])
			}
		case "notes":
			for _, n := range array(t, kv[1]) {
				e.Notes = append(e.Notes, str(t, n))
			}
		}
	}
	for i := range e.Traceback {
		e.Traceback[i].Language = e.Language
	}
	return e
}

func TestVectorsRoundTrip(t *testing.T) {
	for _, v := range recordVectors(t) {
		t.Run(v.name, func(t *testing.T) {
			e, err := Unmarshal(v.input)
			if err != nil {
				t.Fatalf("Unmarshal: %v", err)
			}
			if want := expected(t, v.value); !equalRecords(e, want) {
				t.Errorf("decoded\n%#v\nwant\n%#v", exported(e), exported(want))
			}
			got, err := Marshal(e)
			if err != nil {
				t.Fatalf("Marshal: %v", err)
			}
			if !bytes.Equal(got, v.canonical) {
				t.Errorf("Marshal\n got %x\nwant %x", got, v.canonical)
			}
		})
	}
}

func TestVectorFields(t *testing.T) {
	byName := map[string]*Exception{}
	for _, v := range recordVectors(t) {
		e, err := Unmarshal(v.input)
		if err != nil {
			t.Fatalf("%s: %v", v.name, err)
		}
		byName[v.name] = e
	}

	minimal := byName["exception minimal"]
	if minimal.Name != Panic || minimal.Message != "boom" || minimal.Language != "go" ||
		minimal.Traceback != nil || minimal.Cause != nil || minimal.Notes != nil {
		t.Errorf("exception minimal: %#v", minimal)
	}

	chain := byName["exception chain 3"]
	for i, x := 3, chain; i >= 1; i, x = i-1, x.Cause {
		if x == nil {
			t.Fatalf("chain 3: level %d missing", i)
		}
		if want := "ChainLevel" + string(rune('0'+i)); x.Name != want {
			t.Errorf("chain 3: name %q, want %q", x.Name, want)
		}
		if len(x.Traceback) != 2 || x.Traceback[0].Function != "main.FailChain" ||
			x.Traceback[1].Function != "main.level"+string(rune('0'+i)) ||
			x.Traceback[1].File != "/src/conformance/chain.go" || x.Traceback[1].Line != 20+i {
			t.Errorf("chain 3: level %d traceback %+v", i, x.Traceback)
		}
		if i == 1 && x.Cause != nil {
			t.Errorf("chain 3: level 1 has a cause")
		}
	}

	notes := byName["exception with notes"]
	if notes.Name != "*fs.PathError" || notes.Message != "open /nope" ||
		len(notes.Notes) != 2 || notes.Notes[1] != "path came from $CONFIG" ||
		notes.Traceback[0] != (Frame{"os.Open", "/usr/lib/go/src/os/file.go", 345, 0, "go"}) {
		t.Errorf("exception with notes: %#v", notes)
	}

	across := byName["exception across languages"]
	langs := []string{}
	for x := across; x != nil; x = x.Cause {
		langs = append(langs, x.Language+":"+x.Traceback[0].Language)
	}
	if got := len(langs); got != 3 || langs[0] != "python:python" || langs[1] != "go:go" || langs[2] != "rust:rust" {
		t.Errorf("across languages: languages %v", langs)
	}
	if f := across.Cause.Cause.Traceback[0]; f != (Frame{"lib::connect", "src/lib.rs", 77, 9, "rust"}) {
		t.Errorf("across languages: rust frame %+v", f)
	}

	unknown := byName["exception with unknown key (ignored)"]
	if unknown.Name != "KeyError" || unknown.Message != "'x'" || unknown.Language != "python" {
		t.Errorf("unknown key: %#v", unknown)
	}

	envelope := byName["error simple"]
	if envelope.Name != "ZeroDivisionError" || envelope.Traceback[0].Column != 5 {
		t.Errorf("error simple: %#v", envelope)
	}
}
