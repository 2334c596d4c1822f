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
	p := makePlan(t, 0)
	passPlans.Store(t, p)
	return p
}

// onePass lifts value, the whole value of a canonical success envelope, into result (a non-nil
// pointer) in one pass, and reports whether it did. When it did not, result's pointer target is
// as it was, except that a slice's memory reused for the value may have been written to.
func (d *Decoder) onePass(value []byte, result any) bool {
	switch p := result.(type) {
	case *int:
		x, n, err := readInt(value, math.MinInt, math.MaxInt)
		if err != nil || n != len(value) {
			return false
		}
		*p = int(x)
	case *int64:
		x, n, err := readInt(value, math.MinInt64, math.MaxInt64)
		if err != nil || n != len(value) {
			return false
		}
		*p = x
	case *float64:
		x, n, err := readFloat(value)
		if err != nil || n != len(value) {
			return false
		}
		*p = x
	case *string:
		x, n, err := readString(value)
		if err != nil || n != len(value) {
			return false
		}
		*p = x
	case *bool:
		x, n, err := readBool(value)
		if err != nil || n != len(value) {
			return false
		}
		*p = x
	case *[]byte:
		if len(value) == 0 {
			return false
		}
		if value[0] != 0xc0 { // check the length first: the copy may go into *p's memory
			if m, err := strOrBinLen(value, "bin"); err != nil || m != len(value) {
				return false
			}
		}
		x, n, err := readBytesInto(*p, value)
		if err != nil || n != len(value) {
			return false
		}
		*p = x
	default:
		t := reflect.TypeOf(result)
		if t.Kind() != reflect.Pointer {
			return false
		}
		plan := planOf(t.Elem())
		if plan == nil {
			return false
		}
		ptr := reflect.ValueOf(result).UnsafePointer()
		if ptr == nil {
			return false
		}
		n, ok := plan(value, ptr)
		return ok && n == len(value)
	}
	return true
}

// makePlan makes the plan for t, at depth slices deep, or returns nil when t has none.
func makePlan(t reflect.Type, depth int) passPlan {
	if depth > maxPlanDepth || t == closureType || t == extType || t == timeType || isSelfDecoding(t) {
		return nil
	}
	switch t.Kind() {
	case reflect.Bool:
		return func(b []byte, p unsafe.Pointer) (int, bool) {
			x, n, err := readBool(b)
			if err != nil {
				return 0, false
			}
			*(*bool)(p) = x
			return n, true
		}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return intPlan(t.Kind(), t.Bits())
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return uintPlan(t.Size(), t.Bits())
	case reflect.Float32:
		return func(b []byte, p unsafe.Pointer) (int, bool) {
			x, n, err := readFloat(b)
			if err != nil {
				return 0, false
			}
			*(*float32)(p) = float32(x)
			return n, true
		}
	case reflect.Float64:
		return func(b []byte, p unsafe.Pointer) (int, bool) {
			x, n, err := readFloat(b)
			if err != nil {
				return 0, false
			}
			*(*float64)(p) = x
			return n, true
		}
	case reflect.String:
		return func(b []byte, p unsafe.Pointer) (int, bool) {
			x, n, err := readString(b)
			if err != nil {
				return 0, false
			}
			*(*string)(p) = x
			return n, true
		}
	case reflect.Slice:
		if t.Elem().Kind() == reflect.Uint8 {
			return bytesPlan(t)
		}
		if t == anySliceType {
			return nil
		}
		elem := makePlan(t.Elem(), depth+1)
		if elem == nil {
			return nil
		}
		return slicePlan(t, elem)
	}
	return nil
}

// intPlan is the plan of a signed integer kind of the given size in bits.
func intPlan(kind reflect.Kind, bits int) passPlan {
	lo, hi := int64(-1)<<(bits-1), int64(1)<<(bits-1)-1
	return func(b []byte, p unsafe.Pointer) (int, bool) {
		x, n, err := readInt(b, lo, hi)
		if err != nil {
			return 0, false
		}
		switch bits {
		case 8:
			*(*int8)(p) = int8(x)
		case 16:
			*(*int16)(p) = int16(x)
		case 32:
			*(*int32)(p) = int32(x)
		default:
			*(*int64)(p) = x
		}
		return n, true
	}
}

// uintPlan is the plan of an unsigned integer kind of size bytes and bits bits.
func uintPlan(size uintptr, bits int) passPlan {
	hi := uint64(math.MaxUint64) >> (64 - bits)
	return func(b []byte, p unsafe.Pointer) (int, bool) {
		x, n, err := readUint(b, hi)
		if err != nil {
			return 0, false
		}
		switch size {
		case 1:
			*(*uint8)(p) = uint8(x)
		case 2:
			*(*uint16)(p) = uint16(x)
		case 4:
			*(*uint32)(p) = uint32(x)
		default:
			*(*uint64)(p) = x
		}
		return n, true
	}
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
