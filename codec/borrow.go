package codec

import (
	"encoding/binary"
	"errors"
	"fmt"
	"unicode/utf8"
)

// Borrowed values (cabi/ABI.md section 16): a byte string or string lent by the caller for the
// length of one call, written as fixext 16 of type 65 (bytes) or 66 (str) holding two 64-bit
// little-endian words, the address of the bytes and their length. This package sees the words as
// integers only: a Decoder resolves them into bytes through a Lender its caller supplies (which
// checks the range and makes the view), and an Encoder lends values through a Lending. Without a
// Lender a Decoder reads ext 65 and 66 as the raw Ext they are (section 16, check 6).
const (
	BorrowedBytesExt = 65 // a borrowed byte string
	BorrowedStrExt   = 66 // a borrowed UTF-8 string
	BorrowedSize     = 16 // the payload of a borrowed value: two 64-bit words
)

// ErrBorrow is matched (errors.Is) by the error of a borrowed value whose words are broken: NULL
// with a length, an address range that wraps, or a range the Lender refuses (a reply's view of
// memory not lent to the call). ErrorName names it virgil.ProtocolError.
var ErrBorrow = errors.New("codec: broken borrowed value")

// Lender resolves the borrowed values a Decoder meets into views of memory.
type Lender interface {
	// View returns the n bytes at address ptr, without copying, or an error when the range may
	// not be read (for a host, one outside the memory it lent to the call). The Decoder has
	// checked the words first: ptr is not 0, 0 < n < 2^32 and ptr+n does not wrap. The view is
	// read during the call only; the Decoder copies it unless aliasing was asked for.
	View(ptr, n uint64) ([]byte, error)
}

// Lending decides which values an Encoder lends (writes as borrowed values) instead of inlining.
type Lending interface {
	// LendBytes returns the address of b's first byte and true when b is to be lent; the
	// implementation records the range and keeps the memory alive and unmoved for the call.
	LendBytes(b []byte) (ptr uint64, ok bool)
	// LendString is LendBytes for a string.
	LendString(s string) (ptr uint64, ok bool)
}

// SetLender makes d read borrowed values through l (nil: read them as raw Ext again). With alias,
// a borrowed byte string decoded into a *[]byte at the top level (Decode of a *[]byte) is l's
// view itself, not a copy; everything else (strings, byte strings inside containers, any) is
// copied.
func (d *Decoder) SetLender(l Lender, alias bool) {
	d.lender, d.alias = l, alias
}

// SetLending makes e lend the []byte and string values it writes itself (top-level values and the
// elements of []any and maps) when l says so (nil: inline every value again).
func (e *Encoder) SetLending(l Lending) { e.lending = l }

// AppendBorrowed appends the borrowed value of extension type ext (BorrowedBytesExt or
// BorrowedStrExt) viewing n bytes at address ptr: d8, ext, ptr and n little-endian.
func AppendBorrowed(b []byte, ext int8, ptr, n uint64) []byte {
	b = append(b, 0xd8, byte(ext))
	b = binary.LittleEndian.AppendUint64(b, ptr)
	return binary.LittleEndian.AppendUint64(b, n)
}

// ReadBorrowed reads the words of the borrowed value at the start of b without touching the
// memory they name: its extension type, address, length and encoded size. A value that is not
// ext 65 or 66 is a *TypeError; one whose payload is not exactly 16 bytes is malformed (check 1).
func ReadBorrowed(b []byte) (ext int8, ptr, n uint64, size int, err error) {
	typ, data, size, err := extPayload(b)
	if err != nil {
		return 0, 0, 0, 0, err
	}
	if typ != BorrowedBytesExt && typ != BorrowedStrExt {
		return 0, 0, 0, 0, &TypeError{Want: "a borrowed value", Got: KindOf(b)}
	}
	if len(data) != BorrowedSize {
		return 0, 0, 0, 0, liftErrorf("a borrowed value (ext %d) must hold %d bytes, not %d", typ, BorrowedSize, len(data))
	}
	return typ, binary.LittleEndian.Uint64(data), binary.LittleEndian.Uint64(data[8:]), size, nil
}

// isExtHeader reports whether c starts an extension (fixext 1-16, ext 8/16/32).
func isExtHeader(c byte) bool { return c >= 0xc7 && c <= 0xc9 || c >= 0xd4 && c <= 0xd8 }

// borrowedExtFor is the extension type that may stand for a value of kind want ("bin", "str").
func borrowedExtFor(want string) int8 {
	if want == "str" {
		return BorrowedStrExt
	}
	return BorrowedBytesExt
}

// borrowedLen returns the encoded length of the extension at the start of b when it is of the
// borrowed type standing for want, for Accepts: the payload's size and the words are checked
// when the value is lifted, by a Decoder that has a Lender (else it is refused there).
func borrowedLen(b []byte, want string) (int, bool) {
	typ, _, n, err := extPayload(b)
	if err != nil || typ != borrowedExtFor(want) {
		return 0, false
	}
	return n, true
}

// borrowed resolves the borrowed value at the start of b, standing for a value of kind want
// ("bin" or "str"), with checks 1-5 of cabi/ABI.md section 16, and returns a view of its bytes
// (empty, never read, for a length of 0) and its encoded length. Without a Lender it is the type
// mismatch an extension always was.
func (d *Decoder) borrowed(b []byte, want string) ([]byte, int, error) {
	if d.lender == nil {
		return nil, 0, &TypeError{Want: want, Got: KindOf(b)}
	}
	ext, ptr, n, size, err := ReadBorrowed(b)
	if err != nil {
		return nil, 0, err
	}
	if ext != borrowedExtFor(want) {
		return nil, 0, &TypeError{Want: want, Got: KindOf(b)}
	}
	if n > MaxLength {
		return nil, 0, limitErrorf("a borrowed value of %d bytes: lengths are at most %d", n, uint64(MaxLength))
	}
	if n == 0 {
		return []byte{}, size, nil
	}
	if ptr == 0 {
		return nil, 0, borrowErrorf("a borrowed value (ext %d) is NULL with length %d", ext, n)
	}
	if ptr+n < ptr {
		return nil, 0, borrowErrorf("a borrowed value (ext %d) at %#x of %d bytes wraps past the end of the address space", ext, ptr, n)
	}
	view, err := d.lender.View(ptr, n)
	if err != nil {
		return nil, 0, borrowErrorf("a borrowed value (ext %d) of %d bytes: %v", ext, n, err)
	}
	if ext == BorrowedStrExt && !utf8.Valid(view) {
		return nil, 0, liftErrorf("a borrowed str that is not valid UTF-8")
	}
	return view, size, nil
}

// borrowedBytesInto is readBytesInto for a borrowed value: the view itself when d aliases and
// alias is asked, else a copy into dst's memory when it is large enough.
func (d *Decoder) borrowedBytesInto(dst, b []byte, alias bool) ([]byte, int, error) {
	view, n, err := d.borrowed(b, "bin")
	if err != nil {
		return nil, 0, err
	}
	if alias && d.alias {
		return view, n, nil
	}
	if cap(dst) < len(view) {
		dst = nil
	}
	return append(dst[:0], view...), n, nil
}

// borrowedString reads a borrowed str as a Go string (a copy).
func (d *Decoder) borrowedString(b []byte) (string, int, error) {
	view, n, err := d.borrowed(b, "str")
	return string(view), n, err
}

// liftAnyBorrowed lifts an ext 65 or 66 into any as the byte string or string it stands for (a
// copy), when d has a Lender; ok is false otherwise (it is an Ext).
func (d *Decoder) liftAnyBorrowed(b []byte, typ int8) (v any, n int, ok bool, err error) {
	if d.lender == nil || typ != BorrowedBytesExt && typ != BorrowedStrExt {
		return nil, 0, false, nil
	}
	if typ == BorrowedStrExt {
		s, n, err := d.borrowedString(b)
		return s, n, true, err
	}
	x, n, err := d.borrowedBytesInto(nil, b, false)
	if x == nil {
		x = []byte{}
	}
	return x, n, true, err
}

// lendBytes writes b as a borrowed value when e's Lending lends it, and reports whether it did.
func (e *Encoder) lendBytes(b []byte) (bool, error) {
	ptr, ok := e.lending.LendBytes(b)
	return ok, e.writeLent(ok, BorrowedBytesExt, ptr, len(b))
}

// lendString is lendBytes for a string.
func (e *Encoder) lendString(s string) (bool, error) {
	ptr, ok := e.lending.LendString(s)
	return ok, e.writeLent(ok, BorrowedStrExt, ptr, len(s))
}

// writeLent writes the borrowed value of n bytes at ptr when lent is true.
func (e *Encoder) writeLent(lent bool, ext int8, ptr uint64, n int) error {
	if !lent {
		return nil
	}
	if err := checkLen("bin or str", n); err != nil {
		return err
	}
	_, err := e.w.Write(AppendBorrowed(e.tmp[:0], ext, ptr, uint64(n)))
	return err
}

// borrowErrorf is liftErrorf for a borrowed value whose words are broken (ErrBorrow).
func borrowErrorf(format string, args ...any) error {
	return &liftError{Msg: fmt.Sprintf(format, args...), borrow: true}
}

// AppendLending appends v as AppendAny does, but lends through l what an Encoder with
// SetLending(l) lends: a []byte or string argument, and the []byte and string elements of []any
// and maps. A nil l lends nothing (AppendAny).
func AppendLending(b []byte, v any, l Lending) ([]byte, error) {
	if b, ok := appendScalar(b, v); ok {
		return b, nil
	}
	switch x := v.(type) {
	case string:
		if lent, ok := AppendLentString(b, x, l); ok {
			return lent, nil
		}
		return appendString(b, x)
	case []byte:
		if lent, ok := AppendLentBytes(b, x, l); ok {
			return lent, nil
		}
		return appendBytes(b, x)
	}
	return appendValue(b, v, l)
}

// AppendLentBytes appends v as a borrowed value (ext 65) when l lends it, and reports whether
// it did; a nil l, or a value MessagePack could not hold (2^32 bytes or more), is never lent.
func AppendLentBytes(b, v []byte, l Lending) ([]byte, bool) {
	if l == nil || len(v) >= 1<<32 {
		return b, false
	}
	ptr, ok := l.LendBytes(v)
	if !ok {
		return b, false
	}
	return AppendBorrowed(b, BorrowedBytesExt, ptr, uint64(len(v))), true
}

// AppendLentString is AppendLentBytes for a string (ext 66).
func AppendLentString(b []byte, v string, l Lending) ([]byte, bool) {
	if l == nil || len(v) >= 1<<32 {
		return b, false
	}
	ptr, ok := l.LendString(v)
	if !ok {
		return b, false
	}
	return AppendBorrowed(b, BorrowedStrExt, ptr, uint64(len(v))), true
}
