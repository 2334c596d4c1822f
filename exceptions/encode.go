package exceptions

import (
	"bytes"
	"errors"
	"fmt"

	"github.com/vmihailenco/msgpack/v5"
)

// EncodeMsgpack writes e as the canonical exception record (cabi/ABI.md,
// section 6): keys name, message, language, traceback, cause (nil when there
// is none) and, only when there are notes, notes; frame keys function, file,
// line, column; every string, integer, array and map in its smallest
// encoding. It implements msgpack.CustomEncoder, so a *Exception can be a
// field of any value msgpack encodes. A nil e is written as nil.
//
// It refuses (with an error, before writing anything) a chain deeper than
// [MaxCauseDepth] or a traceback longer than [MaxTracebackFrames], which no
// decoder would accept; a cyclic chain is one of those. It writes the chain
// without recursion.
func (e *Exception) EncodeMsgpack(enc *msgpack.Encoder) error {
	if e == nil {
		return enc.EncodeNil()
	}
	levels, truncated := e.chain()
	if truncated {
		return fmt.Errorf("exception record: cannot encode a cause chain deeper than %d levels", MaxCauseDepth)
	}
	for i, x := range levels {
		if len(x.Attributes) > MaxAttributes {
			return fmt.Errorf("exception record: level %d (%s): cannot encode %d attributes, more than %d",
				i, x.Name, len(x.Attributes), MaxAttributes)
		}
		if len(x.Traceback) > MaxTracebackFrames {
			return fmt.Errorf("exception record: level %d (%s): cannot encode a traceback of %d frames, more than %d",
				i, x.Name, len(x.Traceback), MaxTracebackFrames)
		}
	}
	w := recordWriter{enc: enc}
	for _, x := range levels {
		w.head(x)
	}
	w.check(enc.EncodeNil())
	// Notes follow the cause, so they are written innermost first, as the
	// nested maps close.
	for i := len(levels) - 1; i >= 0; i-- {
		w.notes(levels[i].Notes)
		w.attributes(levels[i].Attributes, i+1)
	}
	if w.err != nil {
		return fmt.Errorf("exception record: encode: %w", w.err)
	}
	return nil
}

// recordWriter writes a record, remembering the first error and writing
// nothing more after it.
type recordWriter struct {
	enc *msgpack.Encoder
	err error
}

func (w *recordWriter) check(err error) {
	if w.err == nil {
		w.err = err
	}
}

func (w *recordWriter) str(s string) {
	if w.err == nil {
		w.err = w.enc.EncodeString(s)
	}
}

func (w *recordWriter) int(n int) {
	if w.err == nil {
		w.err = w.enc.EncodeInt(int64(n))
	}
}

func (w *recordWriter) mapLen(n int) {
	if w.err == nil {
		w.err = w.enc.EncodeMapLen(n)
	}
}

func (w *recordWriter) arrayLen(n int) {
	if w.err == nil {
		w.err = w.enc.EncodeArrayLen(n)
	}
}

// head writes the map header and every entry of one level up to and
// including the key "cause"; its value (the next level, or nil) follows.
func (w *recordWriter) head(x *Exception) {
	n := 5
	if len(x.Notes) > 0 {
		n++
	}
	if len(x.Attributes) > 0 {
		n++
	}
	w.mapLen(n)
	w.str("name")
	w.str(x.Name)
	w.str("message")
	w.str(x.Message)
	w.str("language")
	w.str(x.Language)
	w.str("traceback")
	w.arrayLen(len(x.Traceback))
	for _, f := range x.Traceback {
		w.mapLen(4)
		w.str("function")
		w.str(f.Function)
		w.str("file")
		w.str(f.File)
		w.str("line")
		w.int(f.Line)
		w.str("column")
		w.int(f.Column)
	}
	w.str("cause")
}

// notes writes the "notes" entry when there are notes.
func (w *recordWriter) notes(notes []string) {
	if len(notes) == 0 {
		return
	}
	w.str("notes")
	w.arrayLen(len(notes))
	for _, n := range notes {
		w.str(n)
	}
}

// Marshal returns the canonical record of e (see [Exception.EncodeMsgpack]).
func Marshal(e *Exception) ([]byte, error) {
	if e == nil {
		return nil, errors.New("exceptions: Marshal of a nil *Exception")
	}
	var buf bytes.Buffer
	enc := msgpack.GetEncoder()
	defer msgpack.PutEncoder(enc)
	enc.Reset(&buf)
	if err := e.EncodeMsgpack(enc); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
