package exceptions

// Language is the value of the record's "language" key for exceptions raised
// by Go code.
const Language = "go"

// Names of the exceptions the framework itself raises (cabi/ABI.md, section 7).
const (
	// ArgumentError: a guest could not lift its arguments (not an array,
	// malformed, wrong count or wrong types).
	ArgumentError = "virgil.ArgumentError"
	// ResultError: a host could not lift a reply.
	ResultError = "virgil.ResultError"
	// UnknownFunction: the library has no function of that name.
	UnknownFunction = "virgil.UnknownFunction"
	// Panic: a Go panic, Rust panic or uncaught Haskell exception; the
	// message is the panic value and the traceback the panicking frames.
	Panic = "virgil.Panic"
	// InternalError: the framework itself failed.
	InternalError = "virgil.InternalError"
	// AbiMismatch: the library speaks an ABI version the host does not.
	AbiMismatch = "virgil.AbiMismatch"
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
	// accepts, counted from the outermost record.
	MaxNesting = 512
)
