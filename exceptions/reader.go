package exceptions

import (
	"errors"
	"fmt"
	"io"
	"math"

	"github.com/vmihailenco/msgpack/v5"
	"github.com/vmihailenco/msgpack/v5/msgpcode"

	"github.com/virgilffi/virgil/scan"
)

// loc says where in a record a value is, for error messages; it is only
// formatted when there is an error.
type loc struct {
	level int // 0 for the outermost record, 1 for its cause, ...
	frame int // the traceback index, or -1 outside the traceback's frames
}

// String is "" for the outermost record itself, else "cause 1: ",
// "traceback[3]: ", "cause 1: traceback[3]: " and so on.
func (at loc) String() string {
	s := ""
	if at.level > 0 {
		s = fmt.Sprintf("cause %d: ", at.level)
	}
	if at.frame >= 0 {
		s += fmt.Sprintf("traceback[%d]: ", at.frame)
	}
	return s
}

// fail returns a decoding error located by at.
func fail(at loc, format string, args ...any) error {
	return fmt.Errorf("exception record: %s%s", at, fmt.Sprintf(format, args...))
}

// failLimit returns a decoding error located by at about a limit of cabi/ABI.md section 11: it is
// scan.ErrLimit for errors.Is, so that the reader of a reply names it virgil.LimitExceeded.
func failLimit(at loc, format string, args ...any) error {
	return fmt.Errorf("exception record: %s%s: %w", at, fmt.Sprintf(format, args...), scan.ErrLimit)
}

// reader reads the parts of a record, turning every failure into an error
// that says where in the record it happened.
type reader struct {
	dec *msgpack.Decoder
}

// wrap locates a failure of the underlying decoder.
func (r reader) wrap(where loc, err error) error {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return fmt.Errorf("exception record: %struncated input: %w", where, io.ErrUnexpectedEOF)
	}
	return fmt.Errorf("exception record: %s%w", where, err)
}

// peek returns the code of the next value without consuming it.
func (r reader) peek(where loc) (byte, error) {
	c, err := r.dec.PeekCode()
	if err != nil {
		return 0, r.wrap(where, err)
	}
	return c, nil
}

// skip skips the next value, which sits at nesting depth depth.
func (r reader) skip(where loc, depth int) error {
	if err := skipValue(r.dec, depth); err != nil {
		return r.wrap(where, err)
	}
	return nil
}

// mapHeader reads the header of a record or frame map; key names the entry
// holding it, for the error message ("" for the record itself).
func (r reader) mapHeader(where loc, key string) (int, error) {
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
func (r reader) key(where loc, depth int) (key string, ok bool, err error) {
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
func (r reader) str(where loc, key string, nilOK bool) (string, error) {
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
func (r reader) int(where loc, key string) (int, error) {
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
func (r reader) traceback(where loc, depth int) ([]Frame, error) {
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
		return nil, failLimit(where, "traceback of %d frames, more than %d", n, MaxTracebackFrames)
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
func (r reader) frame(where loc, i, depth int) (Frame, error) {
	at := loc{level: where.level, frame: i}
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
func (r reader) notes(where loc) ([]string, error) {
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
