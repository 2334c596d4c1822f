package uncurry

import (
	"reflect"
	"sync"

	"github.com/virgilffi/virgil/codec"
	"github.com/virgilffi/virgil/exceptions"
)

// call is the state of one handled call: the decoder over the arguments and the reply writer.
type call struct {
	// user is the user's function being called; an error it returns
	// without a stack of its own gets its frame (computed only then).
	user any
	// prefix and name name the function in error messages: prefix + name, joined only then
	// (prefix is "callback of " for a host's closure, else empty).
	prefix, name string
	w            ReplyWriter
	dec          *codec.Decoder
	enc          *codec.Encoder
	shared       bool // dec and enc are the replyState's, not the pools'
}

var encoders = sync.Pool{New: func() any { return codec.NewEncoder(nil) }}

// begin starts handling a call of a function with want parameters: it reads the argument array
// header and checks the count. On failure it has already written the error reply and returns false.
func (c *call) begin(name string, w ReplyWriter, args []byte, want int) bool {
	c.name, c.w = name, w
	if s, ok := w.(*replyState); ok { // served by WriteReply: its state has them ready
		c.enc, c.dec, c.shared = s.enc, s.dec, true
		c.dec.Reset(args)
		s.borrowing()
	} else {
		c.enc = encoders.Get().(*codec.Encoder)
		c.enc.Reset(w)
		c.dec = codec.GetDecoder(args)
	}
	n, err := c.dec.ArrayHeader()
	if err != nil {
		c.fail(exceptions.Newf(codec.ErrorName(err, exceptions.ArgumentError), "%s: malformed arguments: %v", c.label(), err))
		return false
	}
	if n != want {
		c.fail(exceptions.Newf(exceptions.ArgumentError, "%s: expected %d argument%s, got %d", c.label(), want, plural(want), n))
		return false
	}
	return true
}

// label names the function in error messages.
func (c *call) label() string { return c.prefix + c.name }

// argOf lifts argument number i (from 1) into *p as arg does. The common types (those
// codec.Decoder.DecodeScalar reads) are decoded in place, so p, typically a handler's local
// variable, stays on the stack; the others are decoded into a spare value of T, which costs the
// one allocation decoding through an interface costs anyway.
func argOf[T any](c *call, i int, p *T) bool {
	done, err := c.dec.DecodeScalar(p)
	if !done {
		if handled, ok := liftTypedArg(c, i, p); handled {
			return ok
		}
		if t := reflect.TypeFor[T](); t.Kind() == reflect.Func {
			fn, ok := c.liftFuncArg(i, t)
			if ok {
				*p = fn.(T)
			}
			return ok
		}
		spare := new(T)
		done = c.arg(i, spare)
		*p = *spare
		return done
	}
	if err != nil {
		c.argError(i, err)
		return false
	}
	return true
}

// argError replies the failure to lift argument number i.
func (c *call) argError(i int, err error) {
	c.fail(exceptions.Newf(codec.ErrorName(err, exceptions.ArgumentError), "%s: argument %d%s", c.label(), i, describeArgError(err)))
}

// arg lifts argument number i (from 1) into v. A value that is malformed or does not fit is
// virgil.ArgumentError; one that exceeds a limit (nested deeper than codec.MaxDepth) is
// virgil.LimitExceeded (cabi/ABI.md section 11).
func (c *call) arg(i int, v any) bool {
	if t := reflect.TypeOf(v); t.Kind() == reflect.Pointer && t.Elem().Kind() == reflect.Func {
		fn, ok := c.liftFuncArg(i, t.Elem())
		if ok {
			reflect.ValueOf(v).Elem().Set(reflect.ValueOf(fn))
		}
		return ok
	}
	if err := c.dec.Decode(v); err != nil {
		c.argError(i, err)
		return false
	}
	return true
}

// args ends argument lifting: nothing may follow the array's elements.
func (c *call) args() bool {
	if err := c.dec.End(); err != nil {
		c.fail(exceptions.Newf(exceptions.ArgumentError, "%s: malformed arguments: %v", c.label(), err))
		return false
	}
	return true
}

// reply writes the envelope for the function's outcome.
func (c *call) reply(result any, err error) {
	if err != nil {
		c.fail(trimGlue(exceptions.FromReturned(err, exceptions.FuncFrame(c.user))))
		return
	}
	if err := c.enc.EncodeOK(result); err != nil {
		c.lowerFailed(err)
	}
}

// lowerFailed replaces a success envelope that could not be written by the error reply.
func (c *call) lowerFailed(err error) {
	c.w.Discard()
	c.fail(exceptions.Newf(codec.ErrorName(err, exceptions.ResultError), "%s: the result could not be lowered: %v", c.label(), err))
}

// replyOf writes the envelope for the function's outcome as reply does. Served by WriteReply, a
// success of a common scalar type is written straight to the reply writer (the bytes the
// Encoder writes), without boxing the result in an interface.
func replyOf[R any](c *call, r R, err error) {
	s, ok := c.w.(*replyState)
	if err != nil || !ok {
		c.reply(r, err)
		return
	}
	var buf [16]byte
	b := append(buf[:0], 0x81, 0xa2, 'o', 'k') // {"ok": ...}
	switch v := any(r).(type) {
	case int:
		b = codec.AppendInt(b, int64(v))
	case int64:
		b = codec.AppendInt(b, v)
	case float64:
		b = codec.AppendFloat64(b, v)
	case bool:
		b = codec.AppendBool(b, v)
	default:
		c.reply(r, nil)
		return
	}
	if _, err := s.Writer.Write(b); err != nil {
		c.lowerFailed(err)
	}
}

// fail writes an error envelope. When even that cannot be written (the writer's memory ran out),
// the writer is left failed and the transport reports that instead.
func (c *call) fail(x *exceptions.Exception) {
	c.w.Discard()
	// A chain or traceback beyond the ABI's limits is cut (with notes), never turned into an
	// empty reply that would read as an allocation failure.
	if err := c.enc.EncodeError(x.WithinLimits()); err != nil {
		c.w.Discard()
		// What is left (an attribute that cannot be encoded, say) gets a plain record.
		fallback := exceptions.Newf(exceptions.InternalError, "%s: the exception %q could not be encoded: %v", c.label(), x.Name, err)
		fallback.Traceback = nil
		if err := c.enc.EncodeError(fallback); err != nil {
			c.w.Discard()
		}
	}
}

// recoverPanic turns a panic of the adapted function (or of this package) into a virgil.Panic
// reply. It must be deferred directly.
func (c *call) recoverPanic() {
	if v := recover(); v != nil {
		var x *exceptions.Exception
		if p, ok := v.(closurePanic); ok { // a callback without an error result failed
			x = trimGlue(exceptions.FromReturned(p.err, exceptions.FuncFrame(c.user)))
		} else {
			x = trimGlue(exceptions.FromPanic(v))
		}
		if c.enc == nil {
			c.enc = encoders.Get().(*codec.Encoder)
			c.enc.Reset(c.w)
		}
		c.fail(x)
	}
}

// end releases the call's pooled state.
func (c *call) end() {
	if c.shared {
		c.dec.Reset(nil)
		return
	}
	if c.dec != nil {
		codec.PutDecoder(c.dec)
	}
	if c.enc != nil {
		c.enc.Reset(nil)
		encoders.Put(c.enc)
	}
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

// describeArgError renders a lifting error after "argument N": a path such as "[1]" attaches
// directly, anything else follows a colon.
func describeArgError(err error) string {
	msg := err.Error()
	if len(msg) > 0 && (msg[0] == '[' || msg[0] == '.') {
		return msg
	}
	return ": " + msg
}
