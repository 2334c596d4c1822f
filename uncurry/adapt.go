package uncurry

import (
	"fmt"
	"reflect"
)

var errorType = reflect.TypeFor[error]()

// Adapt adapts any Go function by reflection: any number of parameters (variadic ones are taken
// as a final slice argument) and results (), (R), (error) or (R, error). It returns an error for
// a value that is not such a function. The generic constructors (Func2 and so on) are faster for
// up to three parameters.
func Adapt(name string, fn any) (*Function, error) {
	v := reflect.ValueOf(fn)
	if v.Kind() != reflect.Func || v.IsNil() {
		return nil, fmt.Errorf("uncurry: %s: want a function, got %T", name, fn)
	}
	t := v.Type()
	result, hasErr, err := resultShape(t)
	if err != nil {
		return nil, fmt.Errorf("uncurry: %s: %w", name, err)
	}
	params := make([]reflect.Type, t.NumIn())
	for i := range params {
		params[i] = t.In(i)
	}
	f := describe(name, params, result)
	f.Handler = func(w ReplyWriter, args []byte) {
		var c call
		defer c.end()
		defer c.recoverPanic()
		c.w = w
		if !c.begin(name, w, args, len(params)) {
			return
		}
		in := make([]reflect.Value, len(params))
		for i, pt := range params {
			in[i] = reflect.New(pt).Elem()
			if !c.arg(i+1, in[i].Addr().Interface()) {
				return
			}
		}
		if !c.args() {
			return
		}
		var out []reflect.Value
		if t.IsVariadic() {
			out = v.CallSlice(in)
		} else {
			out = v.Call(in)
		}
		c.reply(splitResults(out, result != nil, hasErr))
	}
	return f, nil
}

// resultShape checks a function's results: (), (R), (error) or (R, error).
func resultShape(t reflect.Type) (result reflect.Type, hasErr bool, err error) {
	switch n := t.NumOut(); {
	case n == 0:
		return nil, false, nil
	case n == 1 && t.Out(0) == errorType:
		return nil, true, nil
	case n == 1:
		return t.Out(0), false, nil
	case n == 2 && t.Out(1) == errorType:
		return t.Out(0), true, nil
	}
	return nil, false, fmt.Errorf("results must be (), (R), (error) or (R, error), not %s", t)
}

// splitResults turns reflect.Call's results into a result value and an error.
func splitResults(out []reflect.Value, hasResult, hasErr bool) (any, error) {
	var result any
	if hasResult {
		result = out[0].Interface()
	}
	if hasErr {
		if e := out[len(out)-1]; !e.IsNil() {
			return nil, e.Interface().(error)
		}
	}
	return result, nil
}
