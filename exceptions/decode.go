package exceptions

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"

	"github.com/vmihailenco/msgpack/v5"
	"github.com/vmihailenco/msgpack/v5/msgpcode"
)

// DecodeMsgpack reads one exception record into e, replacing its contents.
// It implements msgpack.CustomDecoder.
//
// It follows cabi/ABI.md, sections 6 and 11: unknown keys are ignored at
// every level (also keys that are not strings); a missing (or nil) message,
// language, traceback, cause or notes is taken as empty; name is required.
// A value of the wrong type is an error naming the key and both types
// (`exception record: cause 1: traceback[0]: key "line": expected int, got
// str`), and so are a cause chain deeper than [MaxCauseDepth] levels, a
// traceback longer than [MaxTracebackFrames] frames and unknown values nested
// deeper than [MaxNesting] (counted from this record). Causes are decoded
// with an explicit stack and unknown values skipped iteratively, so no input
// can exhaust the goroutine's stack. Every frame's Language is set to its
// record's language.
func (e *Exception) DecodeMsgpack(dec *msgpack.Decoder) error {
	*e = Exception{}
	r := reader{dec: dec}
	n, err := r.mapHeader("", "")
	if err != nil {
		return err
	}
	// open holds the records being read, outermost first; each is at
	// nesting depth (index + 1).
	type record struct {
		e     *Exception
		left  int
		named bool
	}
	open := []record{{e: e, left: n}}
	for len(open) > 0 {
		level := len(open) - 1
		top := &open[level]
		where := levelPrefix(level)
		if top.left == 0 {
			if !top.named {
				return fail(where, `key "name" is missing`)
			}
			for i := range top.e.Traceback {
				top.e.Traceback[i].Language = top.e.Language
			}
			open = open[:level]
			continue
		}
		top.left--
		valueDepth := level + 2
		key, ok, err := r.key(where, valueDepth)
		if err != nil {
			return err
		}
		if !ok {
			if err := r.skip(where, valueDepth); err != nil {
				return err
			}
			continue
		}
		switch key {
		case "name":
			top.e.Name, err = r.str(where, key, false)
			top.named = err == nil
		case "message":
			top.e.Message, err = r.str(where, key, true)
		case "language":
			top.e.Language, err = r.str(where, key, true)
		case "traceback":
			top.e.Traceback, err = r.traceback(where, valueDepth)
		case "notes":
			top.e.Notes, err = r.notes(where)
		case "cause":
			var c byte
			if c, err = r.peek(where); err != nil {
				return err
			}
			if c == msgpcode.Nil {
				top.e.Cause = nil
				err = r.skip(where, valueDepth)
				break
			}
			if !isMap(c) {
				return fail(where, `key "cause": expected map or nil, got %s`, kindOf(c))
			}
			if len(open) == MaxCauseDepth {
				return fail(where, "cause chain deeper than %d levels", MaxCauseDepth)
			}
			if n, err = r.mapHeader(where, key); err != nil {
				return err
			}
			child := &Exception{}
			top.e.Cause = child
			open = append(open, record{e: child, left: n})
		default:
			err = r.skip(where, valueDepth)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// Unmarshal decodes b, which must hold exactly one exception record and
// nothing after it (see [Exception.DecodeMsgpack]).
func Unmarshal(b []byte) (*Exception, error) {
	if len(b) == 0 {
		return nil, errors.New("exception record: empty input")
	}
	br := bytes.NewReader(b)
	dec := msgpack.GetDecoder()
	defer msgpack.PutDecoder(dec)
	dec.Reset(br)
	e := new(Exception)
	if err := e.DecodeMsgpack(dec); err != nil {
		return nil, err
	}
	if br.Len() > 0 {
		return nil, fmt.Errorf("exception record: %d trailing bytes after the record", br.Len())
	}
	return e, nil
}

// levelPrefix locates a record in error messages: "" for the outermost,
// "cause 1: " for its cause, and so on.
func levelPrefix(level int) string {
	if level == 0 {
		return ""
	}
	return fmt.Sprintf("cause %d: ", level)
}

// fail returns a decoding error located by where.
func fail(where, format string, args ...any) error {
	return fmt.Errorf("exception record: %s%s", where, fmt.Sprintf(format, args...))
}

// reader reads the parts of a record, turning every failure into an error
// that says where in the record it happened.
type reader struct {
	dec *msgpack.Decoder
}

// wrap locates a failure of the underlying decoder.
func (r reader) wrap(where string, err error) error {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return fmt.Errorf("exception record: %struncated input: %w", where, io.ErrUnexpectedEOF)
	}
	return fmt.Errorf("exception record: %s%w", where, err)
}

// peek returns the code of the next value without consuming it.
func (r reader) peek(where string) (byte, error) {
	c, err := r.dec.PeekCode()
	if err != nil {
		return 0, r.wrap(where, err)
	}
	return c, nil
}

// skip skips the next value, which sits at nesting depth depth.
func (r reader) skip(where string, depth int) error {
	if err := skipValue(r.dec, depth); err != nil {
		return r.wrap(where, err)
	}
	return nil
}

// mapHeader reads the header of a record or frame map; key names the entry
// holding it, for the error message ("" for the record itself).
func (r reader) mapHeader(where, key string) (int, error) {
	c, err := r.peek(where)
	if err != nil {
		return 0, err
	}
	if !isMap(c) {
		if key == "" {
			return 0, fail(where, "expected map, got %s", kindOf(c))
		}
		return 0, fail(where, "key %q: expected map, got %s", key, kindOf(c))
	}
	n, err := r.dec.DecodeMapLen()
	if err != nil {
		return 0, r.wrap(where, err)
	}
	return n, nil
}

// key reads a map key. A key that is not a string names nothing a reader
// knows: it is skipped and ok is false, and the caller skips its value.
func (r reader) key(where string, depth int) (key string, ok bool, err error) {
	c, err := r.peek(where)
	if err != nil {
		return "", false, err
	}
	if !msgpcode.IsString(c) {
		return "", false, r.skip(where, depth)
	}
	key, err = readStr(r.dec)
	if err != nil {
		return "", false, r.wrap(where, err)
	}
	return key, true, nil
}

// str reads the string value of key; nil is "" when nilOK.
func (r reader) str(where, key string, nilOK bool) (string, error) {
	c, err := r.peek(where)
	if err != nil {
		return "", err
	}
	switch {
	case msgpcode.IsString(c):
		s, err := readStr(r.dec)
		if err != nil {
			return "", r.wrap(where, err)
		}
		return s, nil
	case c == msgpcode.Nil && nilOK:
		return "", r.skip(where, 0)
	}
	return "", fail(where, "key %q: expected str, got %s", key, kindOf(c))
}

// int reads the integer value of key; nil is 0.
func (r reader) int(where, key string) (int, error) {
	c, err := r.peek(where)
	if err != nil {
		return 0, err
	}
	switch {
	case c == msgpcode.Nil:
		return 0, r.skip(where, 0)
	case c == msgpcode.Uint64:
		u, err := r.dec.DecodeUint64()
		if err != nil {
			return 0, r.wrap(where, err)
		}
		if u > math.MaxInt {
			return 0, fail(where, "key %q: integer %d out of range", key, u)
		}
		return int(u), nil
	case isInt(c):
		n, err := r.dec.DecodeInt64()
		if err != nil {
			return 0, r.wrap(where, err)
		}
		if n < math.MinInt || n > math.MaxInt {
			return 0, fail(where, "key %q: integer %d out of range", key, n)
		}
		return int(n), nil
	}
	return 0, fail(where, "key %q: expected int, got %s", key, kindOf(c))
}

// traceback reads the traceback array, which sits at nesting depth depth.
func (r reader) traceback(where string, depth int) ([]Frame, error) {
	c, err := r.peek(where)
	if err != nil {
		return nil, err
	}
	if c == msgpcode.Nil {
		return nil, r.skip(where, depth)
	}
	if !isArray(c) {
		return nil, fail(where, `key "traceback": expected array, got %s`, kindOf(c))
	}
	n, err := r.dec.DecodeArrayLen()
	if err != nil {
		return nil, r.wrap(where, err)
	}
	if n > MaxTracebackFrames {
		return nil, fail(where, "traceback of %d frames, more than %d", n, MaxTracebackFrames)
	}
	if n == 0 {
		return nil, nil
	}
	frames := make([]Frame, 0, min(n, 64))
	for i := range n {
		f, err := r.frame(where, i, depth+1)
		if err != nil {
			return nil, err
		}
		frames = append(frames, f)
	}
	return frames, nil
}

// frame reads traceback[i], a map at nesting depth depth.
func (r reader) frame(where string, i, depth int) (Frame, error) {
	at := fmt.Sprintf("%straceback[%d]: ", where, i)
	var f Frame
	n, err := r.mapHeader(at, "")
	if err != nil {
		return f, err
	}
	for range n {
		key, ok, err := r.key(at, depth+1)
		if err != nil {
			return f, err
		}
		if !ok {
			if err := r.skip(at, depth+1); err != nil {
				return f, err
			}
			continue
		}
		switch key {
		case "function":
			f.Function, err = r.str(at, key, true)
		case "file":
			f.File, err = r.str(at, key, true)
		case "line":
			f.Line, err = r.int(at, key)
		case "column":
			f.Column, err = r.int(at, key)
		default:
			err = r.skip(at, depth+1)
		}
		if err != nil {
			return f, err
		}
	}
	return f, nil
}

// notes reads the notes array.
func (r reader) notes(where string) ([]string, error) {
	c, err := r.peek(where)
	if err != nil {
		return nil, err
	}
	if c == msgpcode.Nil {
		return nil, r.skip(where, 0)
	}
	if !isArray(c) {
		return nil, fail(where, `key "notes": expected array, got %s`, kindOf(c))
	}
	n, err := r.dec.DecodeArrayLen()
	if err != nil {
		return nil, r.wrap(where, err)
	}
	if n == 0 {
		return nil, nil
	}
	notes := make([]string, 0, min(n, 16))
	for i := range n {
		c, err := r.peek(where)
		if err != nil {
			return nil, err
		}
		if !msgpcode.IsString(c) {
			return nil, fail(where, `key "notes": item %d: expected str, got %s`, i, kindOf(c))
		}
		s, err := readStr(r.dec)
		if err != nil {
			return nil, r.wrap(where, err)
		}
		notes = append(notes, s)
	}
	return notes, nil
}
