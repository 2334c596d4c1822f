package exceptions

import "github.com/virgilffi/virgil/scan"

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
	// ProtocolError is raised when a peer broke the ABI's protocol: a reply box that points
	// into the caller's own memory, NULL with a length, a pointer with no length, a scratch
	// reply longer than the scratch buffer, or a reply the callee did not write (cabi/ABI.md
	// sections 2, 3 and 15).
	ProtocolError = "virgil.ProtocolError"
	// OutOfMemory is raised when an allocation failed: a guest that could not allocate its
	// reply (its out box left {NULL, 0}), or a side that could not allocate what a value needs.
	OutOfMemory = "virgil.OutOfMemory"
	// LimitExceeded is raised when a limit of cabi/ABI.md section 11 was exceeded: nesting
	// deeper than 512, a chain of more than 256 records, a traceback of more than 4,096
	// frames, a reply larger than the host's maximum, or a length MessagePack cannot represent.
	LimitExceeded = "virgil.LimitExceeded"
)

// FrameworkNames lists the names of section 7 of cabi/ABI.md, in the order of its table: the
// exceptions the framework itself raises. A test checks the list against the table.
var FrameworkNames = []string{
	ArgumentError, ResultError, UnknownFunction, Panic, InternalError,
	ProtocolError, OutOfMemory, LimitExceeded, AbiMismatch, ReleasedClosure,
}

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
