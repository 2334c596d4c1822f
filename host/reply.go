package host

import (
	"strconv"

	"github.com/virgilffi/virgil/bytebox"
	"github.com/virgilffi/virgil/codec"
	"github.com/virgilffi/virgil/exceptions"
	"github.com/virgilffi/virgil/scan"
)

// unwritten is the byte a call puts first in its scratch buffer before it crosses
// (bytebox.Unwritten).
const unwritten = bytebox.Unwritten

// checkReply checks a reply box before anything reads or frees it (bytebox.CheckReply, in the
// order of cabi/ABI.md section 2) and names its fault: {NULL, 0} is virgil.OutOfMemory; NULL with
// a length, a pointer without one, a scratch reply longer than the scratch buffer, a pointer into
// the caller's own memory (in's bytes or the scratch buffer) other than the scratch pointer, and
// an unwritten scratch reply are virgil.ProtocolError; a reply longer than maxReply is
// virgil.LimitExceeded. free reports whether reply.Ptr is guest memory the caller must give back
// with the guest's virgil_realloc, also when err is not nil: exactly when the box passed checks
// 1-4 and is not the scratch buffer. A reply that passes may be read as reply.Len bytes at
// reply.Ptr.
func checkReply(name string, reply bytebox.Box, scratch, in []byte, maxReply uint64) (free bool, err error) {
	sb, ib := bytebox.Borrow(scratch), bytebox.Borrow(in)
	fault, free := bytebox.CheckReply(reply, ib, sb, maxReply)
	atScratch := sb.Ptr != nil && reply.Ptr == sb.Ptr
	switch fault {
	case bytebox.FaultNone:
		return free, nil
	case bytebox.FaultOutOfMemory:
		return free, exceptions.Newf(exceptions.OutOfMemory, "%s: the guest could not allocate its reply (it left the reply box {NULL, 0})", name)
	case bytebox.FaultNullWithLength:
		return free, exceptions.Newf(exceptions.ProtocolError, "%s: protocol error: the reply box is {NULL, %d} (a length without a pointer)", name, reply.Len)
	case bytebox.FaultNoLength:
		if atScratch {
			return free, exceptions.Newf(exceptions.ProtocolError, "%s: protocol error: the reply box points at the scratch buffer with length 0 (a pointer without a length)", name)
		}
		return free, exceptions.Newf(exceptions.ProtocolError, "%s: protocol error: the reply box has a pointer and length 0 (a pointer without a length); it is not freed", name)
	case bytebox.FaultBeyondScratch:
		return free, exceptions.Newf(exceptions.ProtocolError, "%s: protocol error: the guest claims a %d-byte reply in the %d-byte scratch buffer", name, reply.Len, sb.Len)
	case bytebox.FaultIntoArguments:
		return free, exceptions.Newf(exceptions.ProtocolError, "%s: protocol error: the reply box points into the caller's argument bytes (offset %d); it is not freed", name, ib.Offset(reply.Ptr))
	case bytebox.FaultIntoScratch:
		return free, exceptions.Newf(exceptions.ProtocolError, "%s: protocol error: the reply box points inside the scratch buffer (offset %d) but not at its start; it is not freed", name, sb.Offset(reply.Ptr))
	case bytebox.FaultTooLong:
		if free {
			return free, exceptions.Newf(exceptions.LimitExceeded, "%s: the reply is %d bytes, more than the maximum of %d; it was freed unread", name, reply.Len, maxReply)
		}
		return free, exceptions.Newf(exceptions.LimitExceeded, "%s: the reply is %d bytes, more than the maximum of %d", name, reply.Len, maxReply)
	case bytebox.FaultUnwritten:
		return free, exceptions.Newf(exceptions.ProtocolError, "%s: protocol error: the guest wrote no reply", name)
	}
	return free, exceptions.Newf(exceptions.ProtocolError, "%s: protocol error: the reply box fails check %d", name, fault)
}

// liftReply lifts a reply that passed checkReply into result (codec.DecodeReplyOf), naming a
// reply that exceeds a limit of section 11 virgil.LimitExceeded.
func liftReply(dec *codec.Decoder, name string, reply []byte, result any) error {
	if err := codec.DecodeReplyOf(dec, name, reply, result); err != nil {
		return classifyLimit(err, reply)
	}
	return nil
}

// classifyLimit renames a virgil.ResultError that the decoders gave for a reply exceeding a limit
// of cabi/ABI.md section 11 (nesting deeper than 512, a chain of more than 256 records, a
// traceback of more than 4,096 frames) to virgil.LimitExceeded, keeping its message. The
// decoders report these as malformed replies; the host tells them apart by measuring the reply,
// which costs nothing on a reply that decoded. An error already named virgil.LimitExceeded, or
// any other error, is returned as it is.
func classifyLimit(err error, reply []byte) error {
	x, ok := err.(*exceptions.Exception)
	if !ok || x.Name != exceptions.ResultError {
		return err
	}
	if what := replyLimit(reply); what != "" {
		x.Name = exceptions.LimitExceeded
		x.Notes = append(x.Notes, "the reply holds "+what)
	}
	return err
}

// replyLimit describes the limit of section 11 a reply envelope exceeds, or returns "" when it
// exceeds none that it can tell (including when the reply is malformed another way).
func replyLimit(reply []byte) string {
	if len(reply) == 0 {
		return ""
	}
	head, _, children, err := scan.Header(reply)
	if err != nil || children != 2 || reply[0]&0xf0 != 0x80 && reply[0] != 0xde && reply[0] != 0xdf {
		return ""
	}
	key, rest, ok := readStr(reply[head:])
	if !ok || len(rest) == 0 {
		return ""
	}
	if tooDeep(rest) {
		return "a value nested deeper than " + strconv.Itoa(scan.MaxDepth) + " levels"
	}
	if key == "error" {
		return recordLimit(rest)
	}
	return ""
}

// readStr reads the str at the start of b and returns it with the bytes after it.
func readStr(b []byte) (string, []byte, bool) {
	if len(b) == 0 || !(b[0] >= 0xa0 && b[0] <= 0xbf || b[0] >= 0xd9 && b[0] <= 0xdb) {
		return "", nil, false
	}
	head, body, _, err := scan.Header(b)
	if err != nil || uint64(len(b)-head) < body {
		return "", nil, false
	}
	return string(b[head : head+int(body)]), b[head+int(body):], true
}

// tooDeep reports whether the value at the start of b nests arrays and maps deeper than
// scan.MaxDepth, counting as scan.Skip does. Malformed input is not too deep.
func tooDeep(b []byte) bool {
	stack := []uint64{1}
	depth, off := 0, 0
	for {
		for depth >= 0 && stack[depth] == 0 {
			depth--
		}
		if depth < 0 || off >= len(b) {
			return false
		}
		stack[depth]--
		head, body, children, err := scan.Header(b[off:])
		if err != nil || uint64(len(b)-off-head) < body {
			return false
		}
		off += head + int(body)
		if children > 0 {
			if depth == scan.MaxDepth {
				return true
			}
			depth++
			if depth == len(stack) {
				stack = append(stack, 0)
			}
			stack[depth] = children
		}
	}
}

// recordLimit describes the limit an exception record exceeds: a cause chain of more than
// exceptions.MaxCauseDepth records or a traceback of more than exceptions.MaxTracebackFrames
// frames. It follows each level's "cause" as soon as it meets it (writers put it after the
// traceback), so it reads the reply once.
func recordLimit(b []byte) string {
	for level := 1; ; level++ {
		if level > exceptions.MaxCauseDepth {
			return "a cause chain of more than " + strconv.Itoa(exceptions.MaxCauseDepth) + " records"
		}
		if len(b) == 0 || !(b[0]&0xf0 == 0x80 || b[0] == 0xde || b[0] == 0xdf) {
			return ""
		}
		head, _, children, err := scan.Header(b)
		if err != nil {
			return ""
		}
		b = b[head:]
		var cause []byte
		for i := uint64(0); i < children/2 && cause == nil; i++ {
			key, rest, ok := readStr(b)
			if !ok || len(rest) == 0 {
				return ""
			}
			switch {
			case key == "traceback" && (rest[0]&0xf0 == 0x90 || rest[0] == 0xdc || rest[0] == 0xdd):
				if _, _, n, err := scan.Header(rest); err == nil && n > exceptions.MaxTracebackFrames {
					return "a traceback of " + strconv.Itoa(int(n)) + " frames, more than " + strconv.Itoa(exceptions.MaxTracebackFrames)
				}
			case key == "cause" && rest[0] != 0xc0:
				cause = rest
				continue
			}
			n, err := scan.Skip(rest)
			if err != nil {
				return ""
			}
			b = rest[n:]
		}
		if cause == nil {
			return ""
		}
		b = cause
	}
}
