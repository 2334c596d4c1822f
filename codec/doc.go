// Package codec is the lowering and lifting layer of Virgil: native Go values to MessagePack
// bytes and back, following the value mapping of cabi/ABI.md (section 5), with
// github.com/vmihailenco/msgpack/v5 underneath.
//
// It provides:
//
//   - [Encoder]: canonical encoding (smallest integers, float64 floats, structs as maps keyed by
//     field name) into any byte sink, with allocation-free fast paths for the common scalar types;
//   - [Decoder]: decoding from a byte slice, with fast paths, strict checks against trailing bytes,
//     maps with non-string keys decoded into map[any]any rather than rejected, and integers in
//     any always int64 (uint64 above math.MaxInt64);
//   - [Skip]: an iterative validator that measures one value without recursion, rejecting
//     truncated input, reserved codes and nesting deeper than [MaxDepth] (these are package
//     scan's, which package exceptions shares);
//   - [Accepts]: checks that encoded bytes fit a Go type before decoding, producing messages such
//     as "argument 2: expected int, got str", and rejecting what would make msgpack/v5 panic;
//     structs follow the struct rule (exact keys, then [Fold]ed names; a missing required field
//     or ambiguous keys are a [FieldError]); [Liftable] and [CheckResult] check a type or a
//     result target before any bytes exist, and [Describe] words an error's location;
//   - [TypeName]: Go types in the manifest's type vocabulary. Accepts and TypeName see struct
//     fields exactly as msgpack/v5 encodes them (tags, embedded structs inlined or not);
//   - envelopes: [Encoder.EncodeOK], [Encoder.EncodeError], [DecodeReply] and [DecodeReplyOf],
//     which checks and lifts the value of a success envelope in one pass when the result is a
//     scalar, a string, a byte slice or a slice of these, and otherwise checks it once and lifts;
//   - plans for typed calls, chosen once per binding: [AppenderFor] lowers a parameter type and
//     [ReplyLifter] lifts a result type without boxing, directly for the common scalars, strings
//     and byte slices; [AppendAny] and [AppendValue] append any value as the Encoder writes it.
//
// The edges of the value mapping (cabi/ABI.md sections 5 and 11, pinned by
// cabi/testdata/edges.json) get one answer: a str that is not UTF-8, an invalid timestamp, a map
// key that is an array or a map and a duplicate map key are malformed; extensions other than the
// timestamp and the closure lift into any as an [Ext] that encodes back unchanged; nesting deeper
// than [MaxDepth] and lengths of 2^32 or more are limits, errors that match [ErrLimit]
// ([ErrorName] names them virgil.LimitExceeded). Lifting replaces the target, and nothing lifted
// shares memory with the input.
//
// Errors come in three kinds. An error about a value is typed and located: a [TypeError],
// [RangeError], [FieldError] or lifting error, with the path of the value inside the one decoded
// ("[2]", ".name"), which [Describe] writes in words. An error about a reply envelope names "the
// reply" (its key, its value, its map header), and [DecodeReplyOf] turns it into an exception
// naming the function. An error about the way Go code calls the package (Decode without a
// pointer) begins with "codec:".
//
// The package knows nothing about C, pointers or shared libraries: it reads from and writes to
// byte slices and io.Writers. Package bytebox moves those bytes across the boundary.
package codec
