package uncurry_test

import (
	"bytes"
	"fmt"
	"testing"
	"time"

	"github.com/virgilffi/virgil/codec"
	"github.com/virgilffi/virgil/uncurry"
)

// AppendArgs writes the bytes LowerArgs writes and fails as it fails.
func TestAppendArgsMatchesLowerArgs(t *testing.T) {
	deep := []any{}
	for range 600 {
		deep = []any{deep}
	}
	for _, args := range [][]any{
		{},
		{1, 2},
		{int64(-1 << 40), int32(-5), uint64(1 << 63), uint(7), 2.5, float32(1.5), true, nil},
		{"", "héllo", string(make([]byte, 300)), []byte(nil), []byte{1, 2}, make([]byte, 70000)},
		{time.Unix(1, 5), codec.Closure{}, map[string]any{"b": 1, "a": []any{1, "x"}}, struct{ A int }{3}, int8(-3)},
		{1, deep},
	} {
		var want bytes.Buffer
		werr := uncurry.LowerArgs(codec.NewEncoder(&want), "f", args)
		got, err := uncurry.AppendArgs([]byte{0xff}, "f", args)
		if fmt.Sprint(err) != fmt.Sprint(werr) {
			t.Fatalf("%v: AppendArgs fails with %v, LowerArgs with %v", args, err, werr)
		}
		if werr == nil && !bytes.Equal(got[1:], want.Bytes()) {
			t.Fatalf("%v: AppendArgs writes %x, LowerArgs %x", args, got[1:], want.Bytes())
		}
		if got[0] != 0xff {
			t.Fatal("AppendArgs must append")
		}
	}
}
