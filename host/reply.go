package host

import (
	"github.com/virgilffi/virgil/bytebox"
	"github.com/virgilffi/virgil/codec"
	"github.com/virgilffi/virgil/exceptions"
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

// liftReply lifts a reply that passed checkReply into result (codec.DecodeReplyOf, which names a
// reply that exceeds a limit of section 11 virgil.LimitExceeded).
func liftReply(dec *codec.Decoder, name string, reply []byte, result any) error {
	return codec.DecodeReplyOf(dec, name, reply, result)
}
