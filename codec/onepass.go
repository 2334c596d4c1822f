package codec

import (
	"math"
	"reflect"
	"sync"
	"unsafe"
)

// One pass over a reply. DecodeReplyOf first tries to check and lift the value of a canonical
// success envelope in a single pass, reading every byte once: the scalars, strings, byte slices
// and slices of these (to a few levels), written through plans made once per type. A plan
// accepts exactly what the general path (SplitEnvelope, then Accepts and lift) accepts and lifts
// it to the same value; anything a plan does not accept, and every other type, goes through the
// general path, which also words every error. So the one pass changes what a call costs, never
// what it returns.

// passPlan lifts the value at the start of b into the Go value at p and returns its length, or
// false for a value it does not accept (wrong family, out of range, malformed, truncated).
type passPlan func(b []byte, p unsafe.Pointer) (int, bool)

// maxPlanDepth bounds how deeply plans nest slices; deeper types take the general path.
const maxPlanDepth = 16

var passPlans sync.Map // reflect.Type -> passPlan (nil when the type has none)

// planOf returns the cached plan for values of type t, or nil.
func planOf(t reflect.Type) passPlan {
	if p, ok := passPlans.Load(t); ok {
		return p.(passPlan)
	}
	p := makePlan(t, 0, map[reflect.Type]bool{})
	passPlans.Store(t, p)
	return p
}

// onePass lifts value, the whole value of a canonical success envelope, into result (a non-nil
// pointer) in one pass, and reports whether it did. When it did not, result's pointer target is
// as it was, except that a slice's memory reused for the value may have been written to.
func (d *Decoder) onePass(value []byte, result any) bool {
	switch p := result.(type) {
	case *int:
		return setWhole(p, value, readSigned[int])
	case *int64:
		return setWhole(p, value, readSigned[int64])
	case *int32:
		return setWhole(p, value, readSigned[int32])
	case *uint64:
		return setWhole(p, value, readUnsigned[uint64])
	case *float64:
		return setWhole(p, value, readFloat)
	case *float32:
		return setWhole(p, value, readFloat32)
	case *string:
		return setWhole(p, value, readString)
	case *bool:
		return setWhole(p, value, readBool)
	case *[]byte:
		if len(value) == 0 {
			return false
		}
		if value[0] != 0xc0 { // check the length first: the copy may go into *p's memory
			if m, err := strOrBinLen(value, "bin"); err != nil || m != len(value) {
				return false
			}
		}
		return setWhole(p, value, func(b []byte) ([]byte, int, error) { return readBytesInto(*p, b) })
	}
	t := reflect.TypeOf(result)
	if t.Kind() != reflect.Pointer {
		return false
	}
	plan := planOf(t.Elem())
	ptr := reflect.ValueOf(result).UnsafePointer()
	if plan == nil || ptr == nil {
		return false
	}
	n, ok := plan(value, ptr)
	return ok && n == len(value)
}

// setWhole reads value, which must be exactly one value, with read and sets *p to it.
func setWhole[T any](p *T, value []byte, read func([]byte) (T, int, error)) bool {
	x, n, err := read(value)
	if err != nil || n != len(value) {
		return false
	}
	*p = x
	return true
}

// readSigned reads an integer that fits the signed integer type T.
func readSigned[T ~int | ~int8 | ~int16 | ~int32 | ~int64](b []byte) (T, int, error) {
	bits := unsafe.Sizeof(T(0)) * 8
	x, n, err := readInt(b, -1<<(bits-1), 1<<(bits-1)-1)
	return T(x), n, err
}

// readUnsigned reads an integer that fits the unsigned integer type T.
func readUnsigned[T ~uint | ~uint8 | ~uint16 | ~uint32 | ~uint64 | ~uintptr](b []byte) (T, int, error) {
	bits := unsafe.Sizeof(T(0)) * 8
	x, n, err := readUint(b, math.MaxUint64>>(64-bits))
	return T(x), n, err
}

// readFloat32 reads a number as a float32, as lifting into a float32 converts it.
func readFloat32(b []byte) (float32, int, error) {
	x, n, err := readFloat(b)
	return float32(x), n, err
}

// scalarPlan is the plan of a scalar type read by read.
func scalarPlan[T any](read func([]byte) (T, int, error)) passPlan {
	return func(b []byte, p unsafe.Pointer) (int, bool) {
		x, n, err := read(b)
		if err != nil {
			return 0, false
		}
		*(*T)(p) = x
		return n, true
	}
}

// makePlan makes the plan for t, nested depth levels deep inside the types in open (whose plans
// are being made), or returns nil when t has none. A recursive type has none.
func makePlan(t reflect.Type, depth int, open map[reflect.Type]bool) passPlan {
	if depth > maxPlanDepth || open[t] || t == closureType || t == extType || t == timeType || isSelfDecoding(t) {
		return nil
	}
	open[t] = true
	defer delete(open, t)
	switch t.Kind() {
	case reflect.Bool:
		return scalarPlan(readBool)
	case reflect.Int:
		return scalarPlan(readSigned[int])
	case reflect.Int8:
		return scalarPlan(readSigned[int8])
	case reflect.Int16:
		return scalarPlan(readSigned[int16])
	case reflect.Int32:
		return scalarPlan(readSigned[int32])
	case reflect.Int64:
		return scalarPlan(readSigned[int64])
	case reflect.Uint:
		return scalarPlan(readUnsigned[uint])
	case reflect.Uint8:
		return scalarPlan(readUnsigned[uint8])
	case reflect.Uint16:
		return scalarPlan(readUnsigned[uint16])
	case reflect.Uint32:
		return scalarPlan(readUnsigned[uint32])
	case reflect.Uint64:
		return scalarPlan(readUnsigned[uint64])
	case reflect.Uintptr:
		return scalarPlan(readUnsigned[uintptr])
	case reflect.Float32:
		return scalarPlan(readFloat32)
	case reflect.Float64:
		return scalarPlan(readFloat)
	case reflect.String:
		return scalarPlan(readString)
	case reflect.Slice:
		if t.Elem().Kind() == reflect.Uint8 {
			return bytesPlan(t)
		}
		if t == anySliceType {
			return nil
		}
		elem := makePlan(t.Elem(), depth+1, open)
		if elem == nil {
			return nil
		}
		return slicePlan(t, elem)
	case reflect.Pointer:
		elem := makePlan(t.Elem(), depth+1, open)
		if elem == nil {
			return nil
		}
		return pointerPlan(t, elem)
	case reflect.Struct:
		return structPlan(t, depth, open)
	}
	return nil
}

// pointerPlan is the plan of pointer type t to values with the plan elem: nil, or the value,
// lifted into what the pointer points at, or into a new value when it is nil, as lift does.
func pointerPlan(t reflect.Type, elem passPlan) passPlan {
	return func(b []byte, p unsafe.Pointer) (int, bool) {
		if len(b) > 0 && b[0] == 0xc0 {
			*(*unsafe.Pointer)(p) = nil
			return 1, true
		}
		target := *(*unsafe.Pointer)(p)
		if target == nil {
			target = reflect.New(t.Elem()).UnsafePointer()
		}
		n, ok := elem(b, target)
		if ok {
			*(*unsafe.Pointer)(p) = target
		}
		return n, ok
	}
}

// fieldPlan is how a struct plan lifts the value of one key: into the field at offset, whose
// slot in the struct rule is slot.
type fieldPlan struct {
	offset uintptr
	slot   int
	plan   passPlan
}

// structPlan is the plan of struct type t under the struct rule, for maps whose every key
// matches a field exactly (wireStruct.keys), once, with every required field matched; any other
// map (an unknown or folded key, a key twice, a missing field) is left to the general path, as
// are structs written as arrays, fields reached through pointers or unexported embedded structs
// (which reflection refuses to set), and fields without a plan.
func structPlan(t reflect.Type, depth int, open map[reflect.Type]bool) passPlan {
	w := wireFields(t)
	if w.endless || w.asArray {
		return nil
	}
	fields := make(map[string]fieldPlan, len(w.keys))
	for key, f := range w.keys {
		offset, ok := fieldOffset(t, f.index)
		if !ok || f.selfDecoding {
			return nil
		}
		plan := makePlan(f.typ, depth+1, open)
		if plan == nil {
			return nil
		}
		fields[key] = fieldPlan{offset: offset, slot: f.slot, plan: plan}
	}
	return func(b []byte, p unsafe.Pointer) (int, bool) {
		v := reflect.NewAt(t, p).Elem()
		if len(b) > 0 && b[0] == 0xc0 {
			v.SetZero()
			return 1, true
		}
		n, off, err := mapHeader(b)
		if err != nil {
			return 0, false
		}
		v.SetZero()
		var seen slots
		for range n {
			name, k, err := strBytes(b[off:])
			if err != nil {
				return 0, false
			}
			f, known := fields[string(name)]
			if !known || seen.has(f.slot) {
				return 0, false
			}
			seen.add(f.slot)
			m, ok := f.plan(b[off+k:], unsafe.Add(p, f.offset))
			if !ok {
				return 0, false
			}
			off += k + m
		}
		if _, missing := w.missing(&seen); missing {
			return 0, false
		}
		return off, true
	}
}

// fieldOffset returns the offset in struct t of the field at index (a path through embedded
// structs), or false when the path goes through a pointer or an unexported field.
func fieldOffset(t reflect.Type, index []int) (uintptr, bool) {
	var offset uintptr
	for _, i := range index {
		if t.Kind() != reflect.Struct {
			return 0, false
		}
		f := t.Field(i)
		if !f.IsExported() {
			return 0, false
		}
		offset += f.Offset
		t = f.Type
	}
	return offset, true
}

// bytesPlan is the plan of a byte slice type t other than []byte itself: nil or a bin, copied
// into new memory as lift copies it.
func bytesPlan(t reflect.Type) passPlan {
	return func(b []byte, p unsafe.Pointer) (int, bool) {
		v := reflect.NewAt(t, p).Elem()
		if len(b) > 0 && b[0] == 0xc0 {
			v.SetZero()
			return 1, true
		}
		head, n, err := strOrBin(b, "bin")
		if err != nil {
			return 0, false
		}
		v.SetBytes(append([]byte(nil), b[head:head+n]...))
		return head + n, true
	}
}

// slicePlan is the plan of slice type t whose elements have the plan elem: nil, or an array
// whose every element elem accepts. The slice's memory is reused when it is large enough, as
// lift reuses it; the slice itself is set only once every element is in.
func slicePlan(t reflect.Type, elem passPlan) passPlan {
	size := t.Elem().Size()
	isFloat64 := t.Elem().Kind() == reflect.Float64
	return func(b []byte, p unsafe.Pointer) (int, bool) {
		v := reflect.NewAt(t, p).Elem()
		if len(b) > 0 && b[0] == 0xc0 {
			v.SetZero()
			return 1, true
		}
		n, off, err := arrayHeader(b)
		if err != nil || n > len(b)-off { // every element takes a byte at least
			return 0, false
		}
		var s reflect.Value
		if v.Cap() >= n && !v.IsNil() {
			s = v.Slice(0, n)
			s.Clear()
		} else {
			s = reflect.MakeSlice(t, n, n)
		}
		if n == 0 {
			v.Set(s)
			return off, true
		}
		base := s.UnsafePointer()
		if isFloat64 {
			xs := unsafe.Slice((*float64)(base), n)
			for i := range xs {
				x, m, err := readFloat(b[off:])
				if err != nil {
					return 0, false
				}
				xs[i] = x
				off += m
			}
		} else {
			for i := range n {
				m, ok := elem(b[off:], unsafe.Add(base, uintptr(i)*size))
				if !ok {
					return 0, false
				}
				off += m
			}
		}
		v.Set(s)
		return off, true
	}
}
