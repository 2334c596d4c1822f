package codec

import (
	"math"
	"reflect"
	"strconv"
	"sync"
)

// Lifting writes one value, already checked against the target's type by Accepts, into a Go
// value. It is this package's own: the struct rule (rule.go) matches keys msgpack/v5 would not,
// and values lifted into any take one shape everywhere (see liftAny). Types that decode
// themselves, and time.Time, are still handed to msgpack/v5.
//
// A lifted value is the value on the wire and nothing else: a struct, map or array is zeroed
// before its keys or elements are written, so a field the map leaves out is zero even when the
// target held something before. Only slices keep their memory when it is large enough.

var (
	anyType      = reflect.TypeFor[any]()
	anySliceType = reflect.TypeFor[[]any]()
	anyMapType   = reflect.TypeFor[map[string]any]()
	float64Slice = reflect.TypeFor[[]float64]()

	selfCache sync.Map // reflect.Type -> bool, selfDecoding for pointer targets
)

// isSelfDecoding is selfDecoding, cached, for types met per value rather than per container.
func isSelfDecoding(t reflect.Type) bool {
	if s, ok := selfCache.Load(t); ok {
		return s.(bool)
	}
	s := selfDecoding(t)
	selfCache.Store(t, s)
	return s
}

// lift writes the value at the start of b into v (settable) and returns its length. self is
// selfDecoding(v.Type()), known to the caller.
func (d *Decoder) lift(b []byte, v reflect.Value, self bool) (int, error) {
	t := v.Type()
	if self { // Closure and Ext decode themselves for msgpack/v5; here they are read directly
		switch t {
		case closureType:
			c, n, err := ReadClosure(b)
			if err == nil {
				v.Set(reflect.ValueOf(c))
			}
			return n, err
		case extType:
			x, n, err := readExt(b)
			if err == nil {
				v.Set(reflect.ValueOf(x))
			}
			return n, err
		}
		return d.liftMsgpack(b, v)
	}
	switch t.Kind() {
	case reflect.Interface:
		x, n, err := d.liftAny(b)
		if err != nil {
			return 0, err
		}
		if x == nil {
			v.SetZero()
		} else {
			v.Set(reflect.ValueOf(x))
		}
		return n, nil
	case reflect.Bool:
		x, n, err := readBool(b)
		v.SetBool(x)
		return n, err
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		x, n, err := readInt(b, math.MinInt64, math.MaxInt64)
		v.SetInt(x)
		return n, err
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		x, n, err := readUint(b, math.MaxUint64)
		v.SetUint(x)
		return n, err
	case reflect.Float32, reflect.Float64:
		x, n, err := readFloat(b)
		v.SetFloat(x)
		return n, err
	case reflect.String:
		if isExtHeader(b[0]) {
			s, n, err := d.borrowedString(b)
			if err == nil {
				v.SetString(s)
			}
			return n, err
		}
		head, n, err := strOrBin(b, "str")
		if err != nil {
			return 0, err
		}
		v.SetString(string(b[head : head+n]))
		return head + n, nil
	case reflect.Pointer:
		if b[0] == 0xc0 {
			v.SetZero()
			return 1, nil
		}
		if v.IsNil() {
			v.Set(reflect.New(t.Elem()))
		}
		return d.lift(b, v.Elem(), isSelfDecoding(t.Elem()))
	case reflect.Slice:
		return d.liftSlice(b, v)
	case reflect.Array:
		return d.liftArray(b, v)
	case reflect.Map:
		return d.liftMap(b, v)
	case reflect.Struct:
		if t == timeType {
			tm, n, err := readTime(b)
			if err == nil {
				v.Set(reflect.ValueOf(tm))
			}
			return n, err
		}
		return d.liftStruct(b, v)
	}
	return 0, liftErrorf("values cannot be lifted into Go type %s", t)
}

// liftMsgpack hands the value at the start of b to msgpack/v5.
func (d *Decoder) liftMsgpack(b []byte, v reflect.Value) (int, error) {
	n, err := Skip(b)
	if err != nil {
		return 0, err
	}
	d.r.Reset(b[:n])
	d.md.ResetReader(&d.r)
	d.md.SetMapDecoder(decodeAnyMap)
	return n, d.md.DecodeValue(v)
}

func (d *Decoder) liftSlice(b []byte, v reflect.Value) (int, error) {
	t := v.Type()
	if b[0] == 0xc0 {
		v.SetZero()
		return 1, nil
	}
	if t.Elem().Kind() == reflect.Uint8 {
		if isExtHeader(b[0]) {
			x, n, err := d.borrowedBytesInto(nil, b, false)
			if err == nil {
				v.SetBytes(x)
			}
			return n, err
		}
		head, n, err := strOrBin(b, "bin")
		if err != nil {
			return 0, err
		}
		v.SetBytes(append([]byte(nil), b[head:head+n]...))
		return head + n, nil
	}
	if t == anySliceType {
		x, n, err := d.liftAnyArray(b)
		if err == nil {
			v.Set(reflect.ValueOf(x))
		}
		return n, err
	}
	n, off, err := arrayHeader(b)
	if err != nil {
		return 0, err
	}
	if v.Cap() >= n && !v.IsNil() {
		v.Set(v.Slice(0, n))
		v.Clear()
	} else {
		v.Set(reflect.MakeSlice(t, n, n))
	}
	if t == float64Slice {
		xs := v.Interface().([]float64)
		for i := range xs {
			x, m, err := readFloat(b[off:])
			if err != nil {
				return 0, prefixPath(err, "["+strconv.Itoa(i)+"]")
			}
			xs[i] = x
			off += m
		}
		return off, nil
	}
	self := selfDecoding(t.Elem())
	for i := range n {
		m, err := d.lift(b[off:], v.Index(i), self)
		if err != nil {
			return 0, prefixPath(err, "["+strconv.Itoa(i)+"]")
		}
		off += m
	}
	return off, nil
}

func (d *Decoder) liftArray(b []byte, v reflect.Value) (int, error) {
	t := v.Type()
	v.SetZero()
	if b[0] == 0xc0 {
		return 1, nil
	}
	if t.Elem().Kind() == reflect.Uint8 {
		if isExtHeader(b[0]) {
			x, n, err := d.borrowed(b, "bin")
			if err == nil {
				reflect.Copy(v, reflect.ValueOf(x))
			}
			return n, err
		}
		head, n, err := strOrBin(b, "bin")
		if err != nil {
			return 0, err
		}
		reflect.Copy(v, reflect.ValueOf(b[head:head+n]))
		return head + n, nil
	}
	n, off, err := arrayHeader(b)
	if err != nil {
		return 0, err
	}
	self := selfDecoding(t.Elem())
	for i := range n {
		m, err := d.lift(b[off:], v.Index(i), self)
		if err != nil {
			return 0, prefixPath(err, "["+strconv.Itoa(i)+"]")
		}
		off += m
	}
	return off, nil
}

func (d *Decoder) liftMap(b []byte, v reflect.Value) (int, error) {
	t := v.Type()
	if b[0] == 0xc0 {
		v.SetZero()
		return 1, nil
	}
	if t == anyMapType {
		x, n, err := d.liftAnyMap(b)
		if err != nil {
			return 0, err
		}
		if m, ok := x.(map[string]any); ok {
			v.Set(reflect.ValueOf(m))
			return n, nil
		}
		return 0, &TypeError{Want: "a map with str keys", Got: "other keys"}
	}
	n, off, err := mapHeader(b)
	if err != nil {
		return 0, err
	}
	m := reflect.MakeMapWithSize(t, n)
	kt, vt := t.Key(), t.Elem()
	kself, vself := selfDecoding(kt), selfDecoding(vt)
	key, val := reflect.New(kt).Elem(), reflect.New(vt).Elem()
	var nans nanKeys
	for i := range n {
		key.SetZero()
		k, err := d.lift(b[off:], key, kself)
		if err != nil {
			return 0, prefixPath(err, ".<key>")
		}
		label := b[off : off+k]
		off += k
		val.SetZero()
		x, err := d.lift(b[off:], val, vself)
		if err != nil {
			return 0, prefixPath(err, "."+keyLabel(label))
		}
		off += x
		m.SetMapIndex(key, val)
		if m.Len() != i+1 || nans.seen(key) {
			return 0, duplicateKey(label)
		}
	}
	v.Set(m)
	return off, nil
}

// liftStruct lifts a map (or the array of a struct tagged as_array) into struct v under the
// struct rule. Accepts has checked the rule: no required field is missing and no field has two
// folded keys.
func (d *Decoder) liftStruct(b []byte, v reflect.Value) (int, error) {
	w := wireFields(v.Type())
	v.SetZero()
	if b[0] == 0xc0 {
		return 1, nil
	}
	if w.asArray && Kind(b[0]) == "array" {
		n, off, err := arrayHeader(b)
		if err != nil {
			return 0, err
		}
		for i := range n {
			m, err := d.liftField(b[off:], v, w.fields[i])
			if err != nil {
				return 0, prefixPath(err, "["+strconv.Itoa(i)+"]")
			}
			off += m
		}
		return off, nil
	}
	n, start, err := mapHeader(b)
	if err != nil {
		return 0, err
	}
	var exact slots
	off, foldedKeys := start, false
	for range n {
		name, k, err := strBytes(b[off:])
		if err != nil {
			return 0, err
		}
		off += k
		var m int
		if f, known := w.keys[string(name)]; known {
			exact.add(f.slot)
			if m, err = d.liftField(b[off:], v, f); err != nil {
				return 0, prefixPath(err, "."+string(name))
			}
		} else {
			foldedKeys = foldedKeys || w.foldedSlot(name) >= 0
			m, err = Skip(b[off:])
		}
		if err != nil {
			return 0, err
		}
		off += m
	}
	if foldedKeys {
		// Second pass: the keys matching, by their folded names, fields no key matches exactly.
		at := start
		for range n {
			name, k, _ := strBytes(b[at:])
			at += k
			m, err := Skip(b[at:])
			if err != nil {
				return 0, err
			}
			if _, known := w.keys[string(name)]; !known {
				if slot := w.foldedSlot(name); slot >= 0 && !exact.has(slot) {
					if _, err := d.liftField(b[at:at+m], v, w.rule[slot].field); err != nil {
						return 0, prefixPath(err, "."+string(name))
					}
				}
			}
			at += m
		}
	}
	return off, nil
}

// liftField lifts the value at the start of b into field f of struct v, allocating the embedded
// pointers on its way.
func (d *Decoder) liftField(b []byte, v reflect.Value, f wireField) (int, error) {
	for i, x := range f.index {
		if i > 0 && v.Kind() == reflect.Pointer {
			if v.IsNil() {
				v.Set(reflect.New(v.Type().Elem()))
			}
			v = v.Elem()
		}
		v = v.Field(x)
	}
	return d.lift(b, v, f.selfDecoding)
}

// nanKeys finds the duplicate keys a Go map cannot: a NaN is never equal to itself, so a map
// grows with every NaN key, where cabi/ABI.md section 5 compares keys by their canonical
// encodings (one NaN of a given width and bits is one key). It costs nothing until a NaN key.
type nanKeys map[uint64]struct{}

// seen reports whether k, a map key just set, is a NaN met before, and remembers it.
func (n *nanKeys) seen(k reflect.Value) bool {
	if k.Kind() == reflect.Interface && !k.IsNil() {
		k = k.Elem()
	}
	var bits uint64
	switch {
	case k.Kind() == reflect.Float64 && math.IsNaN(k.Float()):
		bits = math.Float64bits(k.Float())
	case k.Kind() == reflect.Float32 && math.IsNaN(k.Float()):
		bits = uint64(math.Float32bits(float32(k.Float()))) | 1<<32 // apart from every float64 NaN
	default:
		return false
	}
	if *n == nil {
		*n = nanKeys{}
	}
	if _, ok := (*n)[bits]; ok {
		return true
	}
	(*n)[bits] = struct{}{}
	return false
}

// duplicateKey refuses the map key key (its encoding) met a second time (cabi/ABI.md section 5).
func duplicateKey(key []byte) error {
	return liftErrorf("duplicate map key %s", keyText(key))
}

// keyText renders a map key for a message: a str quoted, an int as its number, else its kind.
func keyText(key []byte) string {
	if s, _, err := strBytes(key); err == nil {
		return strconv.Quote(string(s))
	}
	if i, _, err := readInt(key, math.MinInt64, math.MaxInt64); err == nil {
		return strconv.FormatInt(i, 10)
	}
	return "of kind " + KindOf(key)
}
