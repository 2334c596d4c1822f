// Package typedjson reads the typed JSON notation of cabi/testdata/README.md, in which the test
// vectors and conformance cases write their values, and compares decoded values with them.
package typedjson

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"time"

	"github.com/vmihailenco/msgpack/v5"
)

// Map is a map that keeps its key order, as the notation's {"map": [[k, v], ...]} does, so that
// it encodes to the same bytes. It encodes itself as a MessagePack map.
type Map []Pair

// Pair is one key and value of a Map.
type Pair struct{ Key, Value any }

// EncodeMsgpack writes m as a map, in order.
func (m Map) EncodeMsgpack(enc *msgpack.Encoder) error {
	if err := enc.EncodeMapLen(len(m)); err != nil {
		return err
	}
	for _, p := range m {
		if err := enc.Encode(p.Key); err != nil {
			return err
		}
		if err := enc.Encode(p.Value); err != nil {
			return err
		}
	}
	return nil
}

// Parse turns one typed JSON value into Go: nil, bool, int64 (uint64 above MaxInt64), float64,
// float32, string, []byte, []any, Map or time.Time (UTC).
func Parse(raw json.RawMessage) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var obj map[string]json.RawMessage
	if err := dec.Decode(&obj); err != nil {
		return nil, fmt.Errorf("typed value %s: %w", raw, err)
	}
	if len(obj) != 1 {
		return nil, fmt.Errorf("typed value %s: want exactly one key", raw)
	}
	for tag, body := range obj {
		return parseTagged(tag, body)
	}
	panic("unreachable")
}

func parseTagged(tag string, body json.RawMessage) (any, error) {
	switch tag {
	case "nil":
		return nil, nil
	case "bool":
		var b bool
		return b, json.Unmarshal(body, &b)
	case "int":
		return parseInt(string(bytes.Trim(body, `"`)))
	case "float":
		f, err := parseFloat(body)
		return f, err
	case "float32":
		f, err := parseFloat(body)
		return float32(f), err
	case "str":
		var s string
		return s, json.Unmarshal(body, &s)
	case "bin":
		var s string
		if err := json.Unmarshal(body, &s); err != nil {
			return nil, err
		}
		b, err := hex.DecodeString(s)
		if b == nil {
			b = []byte{}
		}
		return b, err
	case "array":
		var items []json.RawMessage
		if err := json.Unmarshal(body, &items); err != nil {
			return nil, err
		}
		out := make([]any, len(items))
		for i, item := range items {
			v, err := Parse(item)
			if err != nil {
				return nil, err
			}
			out[i] = v
		}
		return out, nil
	case "map":
		return parseMap(body)
	case "time":
		var t struct{ Sec, Nsec int64 }
		if err := json.Unmarshal(body, &t); err != nil {
			return nil, err
		}
		return time.Unix(t.Sec, t.Nsec).UTC(), nil
	}
	return nil, fmt.Errorf("unknown typed JSON tag %q", tag)
}

func parseInt(s string) (any, error) {
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		return n, nil
	}
	u, err := strconv.ParseUint(s, 10, 64)
	if err != nil {
		return nil, fmt.Errorf("int %s: %w", s, err)
	}
	return u, nil
}

// CanonicalNaN is the bit pattern of "nan" in the notation: the quiet NaN 0x7ff8000000000000.
const CanonicalNaN = 0x7ff8000000000000

func parseFloat(body json.RawMessage) (float64, error) {
	var s string
	if json.Unmarshal(body, &s) == nil {
		switch s {
		case "nan":
			return math.Float64frombits(CanonicalNaN), nil
		case "inf":
			return math.Inf(1), nil
		case "-inf":
			return math.Inf(-1), nil
		}
		return 0, fmt.Errorf("float %q", s)
	}
	return strconv.ParseFloat(string(body), 64)
}

func parseMap(body json.RawMessage) (Map, error) {
	var pairs [][2]json.RawMessage
	if err := json.Unmarshal(body, &pairs); err != nil {
		return nil, err
	}
	m := make(Map, len(pairs))
	for i, p := range pairs {
		k, err := Parse(p[0])
		if err != nil {
			return nil, err
		}
		v, err := Parse(p[1])
		if err != nil {
			return nil, err
		}
		m[i] = Pair{k, v}
	}
	return m, nil
}
