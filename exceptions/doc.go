// Package exceptions is the structured-exception layer of Virgil.
//
// A failure crosses a Virgil language boundary as one language-neutral
// exception record (cabi/ABI.md, section 6): a name, this level's own message,
// the language that raised it, a traceback (oldest call first), the cause it
// wraps, and optional notes. This package turns Go failures into that record
// and back, and nothing else: it knows nothing of byte boxes, cgo or purego.
// It uses MessagePack only to read and write the record itself.
//
// # From Go to the record
//
// [From] converts any Go error, one level per error in its chain:
//
//   - the Name is the error's ExceptionName() method when it has one, else
//     the name given to its value with [Register] or to its type with
//     [RegisterType], else its Go type ("*fs.PathError");
//   - the Message is that level's own text: fmt.Errorf("read config: %w", err)
//     has the message "read config";
//   - the cause is the wrapped error (Unwrap, or Cause for
//     github.com/pkg/errors); for errors.Join the first error is the cause
//     and the others become notes;
//   - the Traceback is the level's github.com/pkg/errors stack when it has
//     one, else (outermost level only) the frames of From's caller.
//
// Wrappers that add nothing but a stack (pkg/errors WithStack, and the stack
// half of Wrap) contribute no level of their own: their stack becomes the
// traceback of the level below them. The message half of errors.Wrap keeps
// its Go type name, "*errors.withMessage"; pkg/errors.New is
// "*errors.fundamental". No name is invented: a name is always something
// a Go programmer can find with %T.
//
// [New] and [Newf] make an exception with any name directly, and
// [FromPanic] turns a recovered panic into a [Panic] exception whose
// traceback ends at the panicking function.
//
// # From the record to Go
//
// [Exception] implements error, Unwrap (its cause), Is and As, so the
// standard errors package works across languages: an exception named after a
// registered sentinel satisfies errors.Is with that sentinel even after it
// travelled through Python and back; io.EOF, io.ErrUnexpectedEOF,
// context.Canceled, context.DeadlineExceeded, os.ErrNotExist, os.ErrExist and
// os.ErrPermission are registered from the start. An Exception made by From
// in this process also remembers the original Go error, so errors.Is and
// errors.As see through it.
//
// Printed with %+v, an Exception reads like a Python traceback that spans
// every language it passed through, innermost cause first, each frame tagged
// with its language.
//
// # The wire
//
// [Exception.EncodeMsgpack] writes the canonical record (smallest encodings,
// canonical key order), so every kit produces the same bytes.
// [Exception.DecodeMsgpack] is strict where it must be and lenient where the
// ABI says so: it ignores unknown keys, takes missing keys (except name) as
// empty, and rejects, with an error naming the key and the types, a record of
// the wrong shape, a cause chain deeper than [MaxCauseDepth], a traceback
// longer than [MaxTracebackFrames] or nesting deeper than [MaxNesting]. It
// never recurses on its input, so hostile bytes cannot exhaust the stack.
// [Marshal] and [Unmarshal] are the whole-buffer forms.
package exceptions
