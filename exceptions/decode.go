package exceptions

import (
	"bytes"
	"errors"
	"fmt"

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
	n, err := r.mapHeader(loc{frame: -1}, "")
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
		where := loc{level: level, frame: -1}
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
		case "attributes":
			top.e.Attributes, err = r.attributes(where, valueDepth)
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
				return failLimit(where, "cause chain deeper than %d levels", MaxCauseDepth)
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
