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
	shape, err := inspect(name, fn)
	if err != nil {
		return nil, err
	}
	f := describe(name, shape.params, shape.result)
	f.Handler = shape.handler(name)
	return f, nil
}

// reflectHandler is the Handler of Adapt: it lifts the parameters by reflection and calls v.
func reflectHandler(name string, v reflect.Value, params []reflect.Type, hasResult, hasErr bool) Handler {
	variadic := v.Type().IsVariadic()
	user := v.Interface()
	return func(w ReplyWriter, args []byte) {
		c := call{user: user}
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
		if variadic {
			out = v.CallSlice(in)
		} else {
			out = v.Call(in)
		}
		c.reply(splitResults(out, hasResult, hasErr))
	}
}

// HandlerOf adapts fn like Adapt but returns only its Handler, without the manifest entry: the
// cheaper path for functions adapted on every call, such as the closures a host passes to a
// guest. Common shapes (func(int) int, func(int, int) (int, error), func(any) any, ...) take the
// generic fast paths; a Handler or a *Function is used as it is.
func HandlerOf(name string, fn any) (Handler, error) {
	if v := reflect.ValueOf(fn); v.Kind() != reflect.Func || v.IsNil() {
		if f, ok := fn.(*Function); ok && f != nil && f.Handler != nil {
			return f.Handler, nil
		}
		return nil, fmt.Errorf("uncurry: %s: want a function, got %T", name, fn)
	}
	switch f := fn.(type) {
	case Handler:
		return f, nil
	case func(ReplyWriter, []byte):
		return f, nil
	}
	if fastShape(fn) {
		cb := Callback{fn: fn}
		return func(w ReplyWriter, args []byte) { cb.serve(w, args, "", name) }, nil
	}
	shape, err := inspect(name, fn)
	if err != nil {
		return nil, err
	}
	return shape.handler(name), nil
}

// funcShape is what reflection tells about a function to adapt.
type funcShape struct {
	v      reflect.Value
	params []reflect.Type
	result reflect.Type // nil without a result
	hasErr bool
}

// inspect checks that fn is a function of an adaptable shape and describes it.
func inspect(name string, fn any) (funcShape, error) {
	v := reflect.ValueOf(fn)
	if v.Kind() != reflect.Func || v.IsNil() {
		return funcShape{}, fmt.Errorf("uncurry: %s: want a function, got %T", name, fn)
	}
	t := v.Type()
	result, hasErr, err := resultShape(t)
	if err != nil {
		return funcShape{}, fmt.Errorf("uncurry: %s: %w", name, err)
	}
	params := make([]reflect.Type, t.NumIn())
	for i := range params {
		params[i] = t.In(i)
	}
	return funcShape{v: v, params: params, result: result, hasErr: hasErr}, nil
}

// handler returns the reflection Handler for the function.
func (s funcShape) handler(name string) Handler {
	return reflectHandler(name, s.v, s.params, s.result != nil, s.hasErr)
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
