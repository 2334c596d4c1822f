package exceptions

import "github.com/virgilffi/virgil/codec/scan"

// Language is the value of the record's "language" key for exceptions raised
// by Go code.
const Language = "go"

// Names of the exceptions the framework itself raises (cabi/ABI.md, section 7).
const (
	// ArgumentError is raised by a guest that could not lift its arguments:
	// not an array, malformed, wrong count or wrong types.
	ArgumentError = "virgil.ArgumentError"
	// ResultError is raised by a host that could not lift a reply.
	ResultError = "virgil.ResultError"
	// UnknownFunction is raised when the library has no function of that
	// name.
	UnknownFunction = "virgil.UnknownFunction"
	// Panic is a Go panic, Rust panic or uncaught Haskell exception; its
	// message is the panic value and its traceback the panicking frames.
	Panic = "virgil.Panic"
	// InternalError is raised when the framework itself failed.
	InternalError = "virgil.InternalError"
	// AbiMismatch is raised by a host when a library speaks an ABI version
	// it does not.
	AbiMismatch = "virgil.AbiMismatch"
	// ReleasedClosure is replied by a closure's side when a closure is called after it stopped
	// being valid (cabi/ABI.md section 15).
	ReleasedClosure = "virgil.ReleasedClosure"
)

// Limits of the exception record (cabi/ABI.md, sections 6 and 11).
const (
	// MaxCauseDepth is the largest number of levels (the record itself and
	// its causes) a cause chain may have. Decoders reject deeper chains, the
	// encoder refuses to write them, and From truncates them with a note.
	MaxCauseDepth = 256
	// MaxTracebackFrames is the largest number of frames one level's
	// traceback may have.
	MaxTracebackFrames = 4096
	// MaxNesting is the deepest nesting of arrays and maps a decoder
	// accepts, counted from the outermost record: scan.MaxDepth, the limit
	// of cabi/ABI.md section 11.
	MaxNesting = scan.MaxDepth
)
