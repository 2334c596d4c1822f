package codec

import (
	"math"
	"reflect"
	"strconv"

	"github.com/virgilffi/virgil/scan"
)

// Lifting into any: the one shape a value takes wherever its target is any (a result of type
// any, an element of []any, a value of map[string]any).

// liftAny lifts the value at the start of b into its natural Go value, the same wherever it
// sits (a result of type any, an element of []any, a value of map[string]any): nil, bool, int64
// for every integer (uint64 above math.MaxInt64), float64 (float32 for a float 32), string,
// []byte, []any, map[string]any when every key is a str (else map[any]any), time.Time, Closure
// and, for every other extension, Ext. b has been checked by Skip (str are UTF-8, timestamps
// valid, map keys scalars); duplicate map keys are refused here.
func (d *Decoder) liftAny(b []byte) (any, int, error) {
	c := b[0]
	switch Kind(c) {
	case "nil":
		return nil, 1, nil
	case "bool":
		return c == 0xc3, 1, nil
	case "int":
		if c == 0xcf {
			u, n, err := readUint(b, math.MaxUint64)
			if u > math.MaxInt64 {
				return u, n, err
			}
			return int64(u), n, err
		}
		return readInt(b, math.MinInt64, math.MaxInt64)
	case "float":
		if c == 0xca {
			f, n, err := readFloat(b)
			return float32(f), n, err
		}
		return readFloat(b)
	case "str":
		return readCheckedString(b)
	case "bin":
		x, n, err := readBytesInto(nil, b)
		if x == nil {
			x = []byte{}
		}
		return x, n, err
	case "array":
		return d.liftAnyArray(b)
	case "map":
		return d.liftAnyMap(b)
	}
	typ, _ := scan.ExtType(b)
	if v, n, ok, err := d.liftAnyBorrowed(b, typ); ok {
		return v, n, err
	}
	switch typ {
	case -1:
		tm, n, err := readTime(b)
		if err != nil {
			return nil, 0, err
		}
		return tm, n, nil
	case ClosureExt:
		cl, n, err := ReadClosure(b)
		if err != nil {
			return nil, 0, err
		}
		return cl, n, nil
	}
	x, n, err := readExt(b)
	if err != nil {
		return nil, 0, err
	}
	return x, n, nil
}

func (d *Decoder) liftAnyArray(b []byte) ([]any, int, error) {
	n, off, err := arrayHeader(b)
	if err != nil {
		return nil, 0, err
	}
	xs := make([]any, n)
	for i := range xs {
		x, m, err := d.liftAny(b[off:])
		if err != nil {
			return nil, 0, prefixPath(err, "["+strconv.Itoa(i)+"]")
		}
		xs[i] = x
		off += m
	}
	return xs, off, nil
}

// liftAnyMap lifts a map into map[string]any when every key is a str, else into map[any]any,
// refusing keys Go cannot hash (bin; Skip has refused arrays and maps) and duplicate keys (two
// keys equal as Go values: the map does not grow).
func (d *Decoder) liftAnyMap(b []byte) (any, int, error) {
	n, off, err := mapHeader(b)
	if err != nil {
		return nil, 0, err
	}
	strs := make(map[string]any, n)
	var anys map[any]any
	var nans nanKeys
	for i := range n {
		var k any
		var m int
		if Kind(b[off]) == "str" && anys == nil {
			var s string
			s, m, err = readCheckedString(b[off:])
			k = s
		} else {
			k, m, err = d.liftAny(b[off:])
		}
		if err != nil {
			return nil, 0, prefixPath(err, ".<key>")
		}
		label := b[off : off+m]
		off += m
		v, m, err := d.liftAny(b[off:])
		if err != nil {
			return nil, 0, prefixPath(err, "."+keyLabel(label))
		}
		off += m
		if s, ok := k.(string); ok && anys == nil {
			strs[s] = v
			if len(strs) != i+1 {
				return nil, 0, duplicateKey(label)
			}
			continue
		}
		if k != nil && !reflect.TypeOf(k).Comparable() {
			return nil, 0, prefixPath(&TypeError{Want: "a hashable key", Got: KindOf(label)}, ".<key>")
		}
		if anys == nil {
			anys = make(map[any]any, n)
			for s, v := range strs {
				anys[s] = v
			}
		}
		anys[k] = v
		if len(anys) != i+1 || nans.seen(reflect.ValueOf(k)) {
			return nil, 0, duplicateKey(label)
		}
	}
	if anys != nil {
		return anys, off, nil
	}
	return strs, off, nil
}
