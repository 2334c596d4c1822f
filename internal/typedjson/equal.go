package typedjson

import (
	"bytes"
	"fmt"
	"math"
	"reflect"
	"time"
)

// Equal reports whether got, a value decoded natively (for example into an any), equals want, a
// value from Parse: integers compare by value whatever their Go width, floats bit for bit except
// that NaN equals NaN, float32 only equals float32, maps compare without regard to key order.
// When they differ, the error says where.
func Equal(want, got any) error { return equalAt("", want, got) }

func equalAt(path string, want, got any) error {
	fail := func() error { return fmt.Errorf("at %q: want %#v, got %#v", path, want, got) }
	switch w := want.(type) {
	case nil:
		if got != nil {
			return fail()
		}
	case bool, string:
		if want != got {
			return fail()
		}
	case int64, uint64:
		if !sameInt(w, got) {
			return fail()
		}
	case float64:
		g, ok := got.(float64)
		if !ok || !sameFloat(w, g) {
			return fail()
		}
	case float32:
		g, ok := got.(float32)
		if !ok || !sameFloat(float64(w), float64(g)) {
			return fail()
		}
	case []byte:
		g, ok := got.([]byte)
		if !ok || !bytes.Equal(w, g) {
			return fail()
		}
	case time.Time:
		g, ok := got.(time.Time)
		if !ok || !w.Equal(g) {
			return fail()
		}
	case []any:
		g, ok := got.([]any)
		if !ok || len(g) != len(w) {
			return fail()
		}
		for i := range w {
			if err := equalAt(fmt.Sprintf("%s[%d]", path, i), w[i], g[i]); err != nil {
				return err
			}
		}
	case Map:
		return equalMap(path, w, got)
	default:
		return fmt.Errorf("at %q: cannot compare %T", path, want)
	}
	return nil
}

func equalMap(path string, want Map, got any) error {
	g := reflect.ValueOf(got)
	if g.Kind() != reflect.Map || g.Len() != len(want) {
		return fmt.Errorf("at %q: want a map of %d entries, got %#v", path, len(want), got)
	}
	for _, p := range want {
		found := false
		for _, k := range g.MapKeys() {
			if equalAt(path, p.Key, k.Interface()) == nil {
				if err := equalAt(fmt.Sprintf("%s.%v", path, p.Key), p.Value, g.MapIndex(k).Interface()); err != nil {
					return err
				}
				found = true
				break
			}
		}
		if !found {
			return fmt.Errorf("at %q: key %#v missing from %#v", path, p.Key, got)
		}
	}
	return nil
}

func sameInt(want, got any) bool {
	g := reflect.ValueOf(got)
	var gi *big
	switch g.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		gi = &big{neg: g.Int() < 0, mag: absInt(g.Int())}
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		gi = &big{mag: g.Uint()}
	default:
		return false
	}
	switch w := want.(type) {
	case int64:
		return gi.neg == (w < 0) && gi.mag == absInt(w)
	case uint64:
		return !gi.neg && gi.mag == w
	}
	return false
}

type big struct {
	neg bool
	mag uint64
}

func absInt(n int64) uint64 {
	if n < 0 {
		return uint64(-(n + 1)) + 1
	}
	return uint64(n)
}

func sameFloat(a, b float64) bool {
	if math.IsNaN(a) && math.IsNaN(b) {
		return true
	}
	return math.Float64bits(a) == math.Float64bits(b)
}
