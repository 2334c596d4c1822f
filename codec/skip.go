package codec

import "github.com/virgilffi/virgil/scan"

// MaxDepth is the deepest nesting of arrays and maps a decoder accepts (cabi/ABI.md section 11).
// It is scan.MaxDepth.
const MaxDepth = scan.MaxDepth

// ErrTruncated is wrapped by errors about input that ends inside a value. It is
// scan.ErrTruncated, so errors.Is matches errors from either package.
var ErrTruncated = scan.ErrTruncated

// ErrLimit is matched (errors.Is) by every error of this package about a limit of cabi/ABI.md
// section 11: nesting deeper than MaxDepth when decoding, a length of 2^32 or more when encoding.
// Such a failure is named virgil.LimitExceeded, where any other malformed input is
// virgil.ArgumentError (in a guest) or virgil.ResultError (in a host). It is scan.ErrLimit.
var ErrLimit = scan.ErrLimit

// Skip measures the one MessagePack value at the start of b and returns its length in bytes. It
// never recurses and never reads past b: it rejects truncated input, the reserved code 0xc1 and
// nesting deeper than MaxDepth with a descriptive error. See scan.Skip.
func Skip(b []byte) (int, error) { return scan.Skip(b) }

// Kind names the MessagePack family that code c starts, in the words error messages use: nil,
// bool, int, float, str, bin, array, map, ext, invalid (time is reported as ext here; see
// KindOf). See scan.Kind.
func Kind(c byte) string { return scan.Kind(c) }

// KindOf names the family of the value at the start of b like Kind, telling time (the timestamp
// extension) from other extensions. It returns "nothing" for empty input. See scan.KindOf.
func KindOf(b []byte) string { return scan.KindOf(b) }
