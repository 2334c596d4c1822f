package uncurry

import "reflect"

// The generic fast paths adapt functions of up to three parameters without reflect.Call. Each
// shape has its own constructor so that Go infers the type parameters from the function alone:
//
//	FuncN:  func(...) R            FuncNE: func(...) (R, error)
//	ProcN:  func(...)              ProcNE: func(...) error
//
// All of them end in the (R, error) cores below.

func typesOf(ts ...reflect.Type) []reflect.Type { return ts }

func core0[R any](name string, f func() (R, error), user any) *Function {
	fn := describe(name, nil, reflect.TypeFor[R]())
	fn.Handler = handler0(name, f, user)
	return fn
}

func handler0[R any](name string, f func() (R, error), user any) Handler {
	return func(w ReplyWriter, args []byte) { serve0("", name, f, user, w, args) }
}

// serve0 to serve3 are the bodies of the handlers: they run one call of f (the adapted form of
// user) over args and write its reply to w. Called directly, with an f that does not escape,
// they serve a function without adapting it first (see Callback). The parameters are lifted
// with argOf, into variables that stay on the stack for the common types.
func serve0[R any](prefix, name string, f func() (R, error), user any, w ReplyWriter, args []byte) {
	c := call{user: user, prefix: prefix}
	defer c.end()
	defer c.recoverPanic()
	c.w = w
	if c.begin(name, w, args, 0) && c.args() {
		r, err := f()
		replyOf(&c, r, err)
	}
}

func core1[A, R any](name string, f func(A) (R, error), user any) *Function {
	fn := describe(name, typesOf(reflect.TypeFor[A]()), reflect.TypeFor[R]())
	fn.Handler = handler1(name, f, user)
	return fn
}

func handler1[A, R any](name string, f func(A) (R, error), user any) Handler {
	return func(w ReplyWriter, args []byte) { serve1("", name, f, user, w, args) }
}

func serve1[A, R any](prefix, name string, f func(A) (R, error), user any, w ReplyWriter, args []byte) {
	c := call{user: user, prefix: prefix}
	defer c.end()
	defer c.recoverPanic()
	c.w = w
	var a A
	if c.begin(name, w, args, 1) && argOf(&c, 1, &a) && c.args() {
		r, err := f(a)
		replyOf(&c, r, err)
	}
}

func core2[A, B, R any](name string, f func(A, B) (R, error), user any) *Function {
	fn := describe(name, typesOf(reflect.TypeFor[A](), reflect.TypeFor[B]()), reflect.TypeFor[R]())
	fn.Handler = handler2(name, f, user)
	return fn
}

func handler2[A, B, R any](name string, f func(A, B) (R, error), user any) Handler {
	return func(w ReplyWriter, args []byte) { serve2("", name, f, user, w, args) }
}

func serve2[A, B, R any](prefix, name string, f func(A, B) (R, error), user any, w ReplyWriter, args []byte) {
	c := call{user: user, prefix: prefix}
	defer c.end()
	defer c.recoverPanic()
	c.w = w
	var a A
	var b B
	if c.begin(name, w, args, 2) && argOf(&c, 1, &a) && argOf(&c, 2, &b) && c.args() {
		r, err := f(a, b)
		replyOf(&c, r, err)
	}
}

func core3[A, B, C, R any](name string, f func(A, B, C) (R, error), user any) *Function {
	fn := describe(name, typesOf(reflect.TypeFor[A](), reflect.TypeFor[B](), reflect.TypeFor[C]()), reflect.TypeFor[R]())
	fn.Handler = handler3(name, f, user)
	return fn
}

func handler3[A, B, C, R any](name string, f func(A, B, C) (R, error), user any) Handler {
	return func(w ReplyWriter, args []byte) { serve3("", name, f, user, w, args) }
}

func serve3[A, B, C, R any](prefix, name string, f func(A, B, C) (R, error), user any, w ReplyWriter, args []byte) {
	c := call{user: user, prefix: prefix}
	defer c.end()
	defer c.recoverPanic()
	c.w = w
	var a A
	var b B
	var x C
	if c.begin(name, w, args, 3) && argOf(&c, 1, &a) && argOf(&c, 2, &b) && argOf(&c, 3, &x) && c.args() {
		r, err := f(a, b, x)
		replyOf(&c, r, err)
	}
}

// Func0 adapts a function of no parameters returning R.
func Func0[R any](name string, f func() R) *Function {
	return core0(name, func() (R, error) { return f(), nil }, f)
}

// Func0E adapts a function of no parameters returning (R, error).
func Func0E[R any](name string, f func() (R, error)) *Function { return core0(name, f, f) }

// Proc0 adapts a function of no parameters and no results.
func Proc0(name string, f func()) *Function {
	return core0(name, func() (Nothing, error) { f(); return Nothing{}, nil }, f)
}

// Proc0E adapts a function of no parameters returning only an error.
func Proc0E(name string, f func() error) *Function {
	return core0(name, func() (Nothing, error) { return Nothing{}, f() }, f)
}

// Func1 adapts a function of one parameter returning R.
func Func1[A, R any](name string, f func(A) R) *Function {
	return core1(name, func(a A) (R, error) { return f(a), nil }, f)
}

// Func1E adapts a function of one parameter returning (R, error).
func Func1E[A, R any](name string, f func(A) (R, error)) *Function { return core1(name, f, f) }

// Proc1 adapts a function of one parameter and no results.
func Proc1[A any](name string, f func(A)) *Function {
	return core1(name, func(a A) (Nothing, error) { f(a); return Nothing{}, nil }, f)
}

// Proc1E adapts a function of one parameter returning only an error.
func Proc1E[A any](name string, f func(A) error) *Function {
	return core1(name, func(a A) (Nothing, error) { return Nothing{}, f(a) }, f)
}

// Func2 adapts a function of two parameters returning R.
func Func2[A, B, R any](name string, f func(A, B) R) *Function {
	return core2(name, func(a A, b B) (R, error) { return f(a, b), nil }, f)
}

// Func2E adapts a function of two parameters returning (R, error).
func Func2E[A, B, R any](name string, f func(A, B) (R, error)) *Function { return core2(name, f, f) }

// Proc2 adapts a function of two parameters and no results.
func Proc2[A, B any](name string, f func(A, B)) *Function {
	return core2(name, func(a A, b B) (Nothing, error) { f(a, b); return Nothing{}, nil }, f)
}

// Proc2E adapts a function of two parameters returning only an error.
func Proc2E[A, B any](name string, f func(A, B) error) *Function {
	return core2(name, func(a A, b B) (Nothing, error) { return Nothing{}, f(a, b) }, f)
}

// Func3 adapts a function of three parameters returning R.
func Func3[A, B, C, R any](name string, f func(A, B, C) R) *Function {
	return core3(name, func(a A, b B, c C) (R, error) { return f(a, b, c), nil }, f)
}

// Func3E adapts a function of three parameters returning (R, error).
func Func3E[A, B, C, R any](name string, f func(A, B, C) (R, error)) *Function {
	return core3(name, f, f)
}

// Proc3 adapts a function of three parameters and no results.
func Proc3[A, B, C any](name string, f func(A, B, C)) *Function {
	return core3(name, func(a A, b B, c C) (Nothing, error) { f(a, b, c); return Nothing{}, nil }, f)
}

// Proc3E adapts a function of three parameters returning only an error.
func Proc3E[A, B, C any](name string, f func(A, B, C) error) *Function {
	return core3(name, func(a A, b B, c C) (Nothing, error) { return Nothing{}, f(a, b, c) }, f)
}
