package codec

import (
	"fmt"
	"reflect"
	"strconv"
	"sync"
)

var liftableCache sync.Map // reflect.Type -> error (nil when liftable)

// Liftable reports whether values can be lifted into Go type t at all, from its type alone: it
// returns the error Accepts would give for any value reaching a part of t that nothing can be
// lifted into (a channel, a func other than Closure, a complex number, an interface with methods,
// a struct msgpack/v5 would inline forever), located like a TypeError (".c", "[0]"). The answer
// is cached per type.
func Liftable(t reflect.Type) error {
	if err, ok := liftableCache.Load(t); ok {
		if err == nil {
			return nil
		}
		return err.(error)
	}
	err := liftable(t, map[reflect.Type]bool{})
	liftableCache.Store(t, err)
	return err
}

func liftable(t reflect.Type, open map[reflect.Type]bool) error {
	if open[t] || t == closureType || t == timeType || isSelfDecoding(t) {
		return nil
	}
	open[t] = true
	defer delete(open, t)
	switch t.Kind() {
	case reflect.Bool, reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr,
		reflect.Float32, reflect.Float64, reflect.String:
		return nil
	case reflect.Interface:
		if t.NumMethod() > 0 {
			return liftErrorf("values cannot be lifted into the interface type %s (only any)", t)
		}
		return nil
	case reflect.Pointer:
		return liftable(t.Elem(), open)
	case reflect.Slice, reflect.Array:
		if err := liftable(t.Elem(), open); err != nil {
			return prefixPath(err, "[0]")
		}
		return nil
	case reflect.Map:
		if err := liftable(t.Key(), open); err != nil {
			return prefixPath(err, ".<key>")
		}
		if err := liftable(t.Elem(), open); err != nil {
			return prefixPath(err, ".<value>")
		}
		return nil
	case reflect.Struct:
		w := wireFields(t)
		if w.endless {
			return liftErrorf("values cannot be lifted into Go type %s: msgpack/v5 inlines its embedded structs forever", t)
		}
		for i, r := range w.rule {
			if err := liftable(r.field.typ, open); err != nil {
				if w.asArray {
					return prefixPath(err, "["+strconv.Itoa(i)+"]")
				}
				return prefixPath(err, "."+r.name)
			}
		}
		return nil
	}
	return liftErrorf("values cannot be lifted into Go type %s", t)
}

// CheckResult checks a result target before a call: nil (the result is ignored) or a non-nil
// pointer to a type values can be lifted into (see Liftable). The common scalar pointers cost
// no reflection.
func CheckResult(result any) error {
	switch p := result.(type) {
	case nil:
		return nil
	case *int, *int64, *int32, *uint64, *float64, *float32, *string, *[]byte, *bool, *any, *Closure:
		if reflect.ValueOf(p).IsNil() {
			return fmt.Errorf("nil pointer %T", result)
		}
		return nil
	}
	v := reflect.ValueOf(result)
	if v.Kind() != reflect.Pointer {
		return fmt.Errorf("want a pointer (or nil to ignore it), got %T", result)
	}
	if v.IsNil() {
		return fmt.Errorf("nil pointer %T", result)
	}
	return Liftable(v.Type().Elem())
}
