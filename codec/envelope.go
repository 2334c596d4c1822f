package codec

import (
	"bytes"
	"errors"
	"fmt"
	"strings"

	"github.com/virgilffi/virgil/exceptions"
)

// The canonical envelope headers: a one-entry map and its key (cabi/ABI.md section 4).
var (
	okHeader    = []byte{0x81, 0xa2, 'o', 'k'}
	errorHeader = []byte{0x81, 0xa5, 'e', 'r', 'r', 'o', 'r'}
)

// EncodeOK writes the success envelope {"ok": v}.
func (e *Encoder) EncodeOK(v any) error {
	if _, err := e.w.Write(okHeader); err != nil {
		return err
	}
	return e.Encode(v)
}

// EncodeError writes the failure envelope {"error": x}.
func (e *Encoder) EncodeError(x *exceptions.Exception) error {
	if _, err := e.w.Write(errorHeader); err != nil {
		return err
	}
	return x.EncodeMsgpack(e.md)
}

// SplitEnvelope checks that reply is exactly one envelope and returns whether it is a success
// and the bytes of its value (a view into reply, validated with Skip).
func SplitEnvelope(reply []byte) (ok bool, value []byte, err error) {
	switch {
	case bytes.HasPrefix(reply, okHeader):
		return true, reply[len(okHeader):], checkWhole(reply[len(okHeader):], "ok")
	case bytes.HasPrefix(reply, errorHeader):
		return false, reply[len(errorHeader):], checkWhole(reply[len(errorHeader):], "error")
	}
	return splitEnvelopeSlow(reply)
}

// checkWhole checks that value is exactly one well-formed value.
func checkWhole(value []byte, key string) error {
	m, err := Skip(value)
	if err != nil {
		return fmt.Errorf("the reply's %q value: %w", key, err)
	}
	if m != len(value) {
		return fmt.Errorf("unexpected bytes after the reply envelope (%d)", len(value)-m)
	}
	return nil
}

// splitEnvelopeSlow handles legal but non-canonical envelope headers and every malformed reply.
func splitEnvelopeSlow(reply []byte) (ok bool, value []byte, err error) {
	if len(reply) == 0 {
		return false, nil, fmt.Errorf("the reply is empty")
	}
	if Kind(reply[0]) != "map" {
		return false, nil, fmt.Errorf("the reply is %s, not an envelope map", withArticle(KindOf(reply)))
	}
	n, off, err := mapHeader(reply)
	if err != nil {
		return false, nil, fmt.Errorf("the reply's map header: %w", err)
	}
	if n != 1 {
		return false, nil, fmt.Errorf("the reply map has %d entries, an envelope has exactly one", n)
	}
	key, k, err := readString(reply[off:])
	if err != nil {
		return false, nil, fmt.Errorf("the reply's key: %w", err)
	}
	if key != "ok" && key != "error" {
		return false, nil, fmt.Errorf("the reply's key is %q, want \"ok\" or \"error\"", key)
	}
	value = reply[off+k:]
	if err := checkWhole(value, key); err != nil {
		return false, nil, err
	}
	return key == "ok", value, nil
}

// withArticle puts "a" or "an" before a kind's name.
func withArticle(kind string) string {
	if strings.ContainsRune("aeiou", rune(kind[0])) {
		return "an " + kind
	}
	return "a " + kind
}

// DecodeReply lifts a reply envelope: for {"ok": v} it decodes v into result (skipped when result
// is nil) and returns nil; for {"error": record} it returns the record as an *exceptions.Exception.
// A reply that is not an envelope, or whose value does not fit result, gives an
// *exceptions.Exception named virgil.ResultError.
func DecodeReply(reply []byte, result any) error {
	d := GetDecoder(nil)
	defer PutDecoder(d)
	return DecodeReplyWith(d, reply, result)
}

// DecodeReplyWith is DecodeReply using d, for callers that keep a Decoder of their own.
func DecodeReplyWith(d *Decoder, reply []byte, result any) error {
	return DecodeReplyOf(d, "", reply, result)
}

// DecodeReplyOf is DecodeReplyWith for a reply of the function called name, which its
// virgil.ResultError messages begin with, followed by what failed:
// "stats: result: field mean: expected float, got str", "stats: malformed reply: ...". A reply
// that exceeds a limit (a value nested deeper than MaxDepth, an exception record with more than
// 256 causes, 4,096 frames or 256 attributes) is virgil.LimitExceeded instead.
//
// The value of a canonical success envelope is checked and lifted in one pass where the result's
// type allows (see onePass); when that pass does not accept it, the reply is split, checked and
// lifted again from its start, so errors are always the general path's. A slice result's memory
// may then have been written to, as it may be when lifting fails anyway.
func DecodeReplyOf(d *Decoder, name string, reply []byte, result any) error {
	if result != nil && isOK(reply) && d.onePass(reply[len(okHeader):], result) {
		return nil
	}
	return decodeReplyGeneral(d, name, reply, result)
}

// decodeReplyGeneral is DecodeReplyOf without the one pass: split and check the envelope, then
// check and lift its value.
func decodeReplyGeneral(d *Decoder, name string, reply []byte, result any) error {
	ok, value, err := SplitEnvelope(reply)
	if err != nil {
		return exceptions.Newf(ErrorName(err, exceptions.ResultError), "%smalformed reply: %v", namePrefix(name), err)
	}
	if !ok {
		x, err := exceptions.Unmarshal(value)
		if err != nil {
			return exceptions.Newf(ErrorName(err, exceptions.ResultError), "%smalformed exception record: %v", namePrefix(name), err)
		}
		return x
	}
	if result == nil {
		return nil
	}
	d.Reset(value)
	if err := d.decodeWhole(result); err != nil {
		return exceptions.Newf(ErrorName(err, exceptions.ResultError), "%s%s", namePrefix(name), Describe("result", err))
	}
	return nil
}

// ErrorName is the name of the exception that reports a lifting or lowering error err of this
// package: virgil.LimitExceeded for a limit (errors.Is(err, ErrLimit)), else otherwise, the name
// of a malformed value on that side (virgil.ArgumentError in a guest, virgil.ResultError in a
// host).
func ErrorName(err error, otherwise string) string {
	if errors.Is(err, ErrLimit) {
		return exceptions.LimitExceeded
	}
	if errors.Is(err, ErrBorrow) {
		return exceptions.ProtocolError
	}
	return otherwise
}

// namePrefix is "name: ", or "" for no name; it is built only for an error.
func namePrefix(name string) string {
	if name == "" {
		return ""
	}
	return name + ": "
}
