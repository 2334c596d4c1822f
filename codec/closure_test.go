package codec_test

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/virgilffi/virgil/codec"
	"github.com/virgilffi/virgil/internal/typedjson"
)

type closureWords struct {
	Call, Env, Realloc, Retain, Release string
}

func (w closureWords) closure(t *testing.T) codec.Closure {
	t.Helper()
	word := func(s string) uintptr {
		u, err := strconv.ParseUint(strings.TrimPrefix(s, "0x"), 16, 64)
		if err != nil {
			t.Fatal(err)
		}
		return uintptr(u)
	}
	return codec.Closure{Call: word(w.Call), Env: word(w.Env), Realloc: word(w.Realloc), Retain: word(w.Retain), Release: word(w.Release)}
}

type closureVectors struct {
	Vectors []struct {
		Name    string       `json:"name"`
		Hex     string       `json:"hex"`
		Closure closureWords `json:"closure"`
	} `json:"vectors"`
	Args []struct {
		Name string            `json:"name"`
		Hex  string            `json:"hex"`
		Args []json.RawMessage `json:"args"`
	} `json:"args"`
	Invalid []struct {
		Name string `json:"name"`
		Hex  string `json:"hex"`
	} `json:"invalid"`
}

func loadClosureVectors(t *testing.T) closureVectors {
	raw, err := os.ReadFile(filepath.Join(typedjson.RepoRoot(), "cabi", "testdata", "closures.json"))
	if err != nil {
		t.Fatal(err)
	}
	var doc closureVectors
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.Vectors) == 0 || len(doc.Invalid) == 0 {
		t.Fatal("closures.json has no vectors")
	}
	return doc
}

func mustHex(t *testing.T, s string) []byte {
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// Every closure vector decodes to its five words and encodes back to exactly its bytes, by every
// path: the fast paths, msgpack/v5 (a closure inside a struct) and the raw append/read functions.
func TestClosureVectors(t *testing.T) {
	doc := loadClosureVectors(t)
	for _, v := range doc.Vectors {
		t.Run(v.Name, func(t *testing.T) {
			b := mustHex(t, v.Hex)
			want := v.Closure.closure(t)
			if got := codec.AppendClosure(nil, want); !bytes.Equal(got, b) {
				t.Errorf("AppendClosure:\n got %x\nwant %x", got, b)
			}
			var buf bytes.Buffer
			if err := codec.NewEncoder(&buf).Encode(want); err != nil || !bytes.Equal(buf.Bytes(), b) {
				t.Errorf("Encode: %x, %v", buf.Bytes(), err)
			}
			got, n, err := codec.ReadClosure(b)
			if err != nil || n != len(b) || got != want {
				t.Errorf("ReadClosure = %+v, %d, %v; want %+v", got, n, err, want)
			}
			var dec codec.Closure
			if err := codec.NewDecoder(b).Decode(&dec); err != nil || dec != want {
				t.Errorf("Decode = %+v, %v", dec, err)
			}
			if n, err := codec.Skip(b); err != nil || n != len(b) {
				t.Errorf("Skip = %d, %v", n, err)
			}
			// Through msgpack/v5: a closure as a struct field.
			type holder struct {
				F codec.Closure `msgpack:"f"`
			}
			buf.Reset()
			if err := codec.NewEncoder(&buf).Encode(holder{want}); err != nil {
				t.Fatal(err)
			}
			wantHolder := append([]byte{0x81, 0xa1, 'f'}, b...)
			if !bytes.Equal(buf.Bytes(), wantHolder) {
				t.Errorf("in a struct:\n got %x\nwant %x", buf.Bytes(), wantHolder)
			}
			var h holder
			if err := codec.NewDecoder(wantHolder).Decode(&h); err != nil || h.F != want {
				t.Errorf("decode in a struct = %+v, %v", h.F, err)
			}
		})
	}
	for _, a := range doc.Args {
		t.Run(a.Name, func(t *testing.T) {
			var words closureWords
			var wrapper struct {
				Closure closureWords `json:"closure"`
			}
			if err := json.Unmarshal(a.Args[0], &wrapper); err != nil {
				t.Fatal(err)
			}
			words = wrapper.Closure
			second, err := typedjson.Parse(a.Args[1])
			if err != nil {
				t.Fatal(err)
			}
			var buf bytes.Buffer
			if err := codec.NewEncoder(&buf).EncodeArgs(words.closure(t), second); err != nil {
				t.Fatal(err)
			}
			if want := mustHex(t, a.Hex); !bytes.Equal(buf.Bytes(), want) {
				t.Errorf("args:\n got %x\nwant %x", buf.Bytes(), want)
			}
		})
	}
}

// Bytes that are not a closure are refused with an error, also when lifting into a struct field.
func TestClosureInvalid(t *testing.T) {
	for _, v := range loadClosureVectors(t).Invalid {
		t.Run(v.Name, func(t *testing.T) {
			b := mustHex(t, v.Hex)
			if c, _, err := codec.ReadClosure(b); err == nil {
				t.Errorf("ReadClosure accepted %x as %+v", b, c)
			}
			var c codec.Closure
			if err := codec.NewDecoder(b).Decode(&c); err == nil {
				t.Errorf("Decode accepted %x", b)
			}
			if err := codec.Accepts(b, reflect.TypeFor[codec.Closure]()); err == nil && len(b) > 0 && b[0] != 0xc7 {
				t.Errorf("Accepts accepted %x", b)
			}
		})
	}
	var c codec.Closure
	err := codec.NewDecoder([]byte{0x01}).Decode(&c)
	if err == nil || err.Error() != "expected fn, got int" {
		t.Errorf("an int as a closure: %v", err)
	}
}

type namedFn struct{}

func (namedFn) VirgilTypeName() string { return "fn(int) -> int" }

func TestClosureTypeNames(t *testing.T) {
	for _, c := range []struct {
		t    reflect.Type
		want string
	}{
		{reflect.TypeFor[func(int) (int, error)](), "fn(int) -> int"},
		{reflect.TypeFor[func(int, int) int](), "fn(int, int) -> int"},
		{reflect.TypeFor[func(string)](), "fn(str) -> nil"},
		{reflect.TypeFor[namedFn](), "fn(int) -> int"},
		{reflect.TypeFor[[]namedFn](), "[fn(int) -> int]"},
		{reflect.TypeFor[codec.Closure](), "any"},
	} {
		if got := codec.TypeName(c.t); got != c.want {
			t.Errorf("TypeName(%s) = %q, want %q", c.t, got, c.want)
		}
	}
}
