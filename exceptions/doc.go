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
//   - the Name follows cabi/ABI.md sections 6 and 7.1: the error's
//     ExceptionName() method when it has one, else the name given to its
//     value with [Register] or to its type with [RegisterType], else the
//     standard name of a standard error (fs.ErrNotExist and ENOENT are
//     FileNotFoundError, context.DeadlineExceeded is TimeoutError, io.EOF is
//     EOFError, strconv's errors are ValueError and OverflowError, any
//     syscall.Errno is named by the errno table, ...), else the bare name of
//     its type ("QuotaError" for *main.QuotaError, "json.SyntaxError").
//     Transparent wrappers (fmt.Errorf with %w, errors.Join, pkg/errors'
//     Wrap and WithMessage) are named like the level below them, and a plain
//     errors.New or fmt.Errorf error with nothing named below it is
//     "Exception": a name is never a Go runtime type;
//   - the Message is that level's own text: fmt.Errorf("read config: %w", err)
//     has the message "read config";
//   - the Attributes are errno and filename for an operating-system failure
//     and a user's error struct's exported fields (by msgpack tag, else
//     name); *fs.PathError, *os.LinkError, *os.SyscallError and
//     *strconv.NumError over a leaf error are one level with it;
//   - the cause is the wrapped error (Unwrap, or Cause for
//     github.com/pkg/errors); for errors.Join the first error is the cause
//     and the others become notes;
//   - the Traceback is the level's github.com/pkg/errors stack when it has
//     one, else (outermost level only) the frames of From's caller, or with
//     [FromReturned] the frame of the function that returned the error.
//     Files are written relative to their module, as go build -trimpath does.
//
// Wrappers that add nothing but a stack (pkg/errors WithStack, and the stack
// half of Wrap) contribute no level of their own: their stack becomes the
// traceback of the level below them.
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
// travelled through Python and back, and a standard name is the standard
// sentinel again: a FileNotFoundError from Rust satisfies
// errors.Is(err, fs.ErrNotExist); a level with an errno attribute satisfies
// errors.Is with that syscall.Errno and reads, with errors.As, as a
// syscall.Errno or (with a filename) an *fs.PathError. An Exception made by
// From in this process also remembers the original Go error, so errors.Is
// and errors.As see through it. Error() reads like a Go error chain (the
// messages joined by ": ").
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
