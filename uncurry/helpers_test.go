package uncurry_test

import (
	"bytes"
	"fmt"
	"reflect"
	"sync"
	"testing"

	"github.com/virgilffi/virgil/codec"
	"github.com/virgilffi/virgil/exceptions"
	"github.com/virgilffi/virgil/uncurry"
)

// replyBuffer is an in-memory uncurry.ReplyWriter.
type replyBuffer struct{ bytes.Buffer }

// Discard drops what has been written so far.
func (b *replyBuffer) Discard() { b.Truncate(0) }

// encodeArgs lowers args as an argument array.
func encodeArgs(tb testing.TB, args ...any) []byte {
	tb.Helper()
	var buf bytes.Buffer
	if err := codec.NewEncoder(&buf).EncodeArgs(args...); err != nil {
		tb.Fatalf("encoding arguments %v: %v", args, err)
	}
	return buf.Bytes()
}

// encodeValue lowers one value.
func encodeValue(tb testing.TB, v any) []byte {
	tb.Helper()
	var buf bytes.Buffer
	if err := codec.NewEncoder(&buf).Encode(v); err != nil {
		tb.Fatalf("encoding %v: %v", v, err)
	}
	return buf.Bytes()
}

// handle runs f's Handler on args and returns the reply, after checking that it is exactly one
// valid envelope.
func handle(tb testing.TB, f *uncurry.Function, args []byte) []byte {
	tb.Helper()
	var w replyBuffer
	f.Handler(&w, args)
	if _, _, err := codec.SplitEnvelope(w.Bytes()); err != nil {
		tb.Fatalf("%s(%x): the reply %x is not one envelope: %v", f.Name, args, w.Bytes(), err)
	}
	return w.Bytes()
}

// okValue returns the bytes of the value of a success reply, failing on an error reply.
func okValue(tb testing.TB, reply []byte) []byte {
	tb.Helper()
	ok, value, err := codec.SplitEnvelope(reply)
	if err != nil {
		tb.Fatalf("reply %x: %v", reply, err)
	}
	if !ok {
		tb.Fatalf("want a success reply, got %v", codec.DecodeReply(reply, nil))
	}
	return value
}

// replyError returns the exception of an error reply, failing on a success reply.
func replyError(tb testing.TB, reply []byte) *exceptions.Exception {
	tb.Helper()
	err := codec.DecodeReply(reply, nil)
	if err == nil {
		tb.Fatalf("want an error reply, got success %x", reply)
	}
	x, ok := err.(*exceptions.Exception)
	if !ok {
		tb.Fatalf("DecodeReply returned %T, want *exceptions.Exception", err)
	}
	return x
}

// replyBuffers pools the replies of inProcess callers, so that allocation counts measure the
// call and not the test's transport.
var replyBuffers = sync.Pool{New: func() any { return new(replyBuffer) }}

// inProcess is a ByteCaller that runs h in this process: the arguments go to the handler, its
// reply is lifted into result.
func inProcess(h uncurry.Handler) uncurry.ByteCaller {
	return func(args []byte, result any) error {
		w := replyBuffers.Get().(*replyBuffer)
		defer func() {
			w.Reset()
			replyBuffers.Put(w)
		}()
		h(w, args)
		if _, _, err := codec.SplitEnvelope(w.Bytes()); err != nil {
			panic(fmt.Sprintf("the handler replied %x, not one envelope: %v", w.Bytes(), err))
		}
		return codec.DecodeReply(w.Bytes(), result)
	}
}

// caller is a Caller over f's Handler, in this process.
func caller(f *uncurry.Function) uncurry.Caller { return uncurry.Over(f.Name, inProcess(f.Handler)) }

// asException asserts that err is an *exceptions.Exception.
func asException(tb testing.TB, err error) *exceptions.Exception {
	tb.Helper()
	x, ok := err.(*exceptions.Exception)
	if !ok {
		tb.Fatalf("error %v is a %T, want *exceptions.Exception", err, err)
	}
	return x
}

// namedError is an error with an exception name of its own.
type namedError struct {
	name, msg string
	cause     error
}

func (e *namedError) Error() string {
	if e.cause == nil {
		return e.msg
	}
	return e.msg + ": " + e.cause.Error()
}

func (e *namedError) Unwrap() error         { return e.cause }
func (e *namedError) ExceptionName() string { return e.name }

// chainOf lists the names and messages of x and its causes, outermost first.
func chainOf(x *exceptions.Exception) [][2]string {
	var out [][2]string
	for ; x != nil; x = x.Cause {
		out = append(out, [2]string{x.Name, x.Message})
	}
	return out
}

// sameValue reports whether two encoded values are the same value: the same bytes, or, since
// the encoder does not sort the keys of every map type, equal once decoded.
func sameValue(a, b []byte) bool {
	if bytes.Equal(a, b) {
		return true
	}
	var x, y any
	if codec.NewDecoder(a).Decode(&x) != nil || codec.NewDecoder(b).Decode(&y) != nil {
		return false
	}
	return reflect.DeepEqual(x, y)
}
