// Package bytebox is the transport layer of Virgil: the Go mirror of the C struct virgil_box
// (a pointer and a length) and the ownership rules of the ABI, written as code.
//
// Everything a Virgil function receives or returns crosses the language boundary as one Box.
// This package knows nothing about what the bytes mean (that is package codec) and nothing about
// how a library is loaded (that is package host); it only answers four questions:
//
//   - How does a callee read its input without copying it? [Box.Bytes] borrows a view.
//   - Where does a callee put its reply? [Writer] writes into the caller's scratch buffer while
//     the reply fits and moves to memory from the guest's allocator when it does not.
//   - Is a reply box sound? [CheckReply] runs the checks of cabi/ABI.md section 2 before a byte
//     of it is read, for hosts and for guests calling closures alike, and returns a [Fault] the
//     caller names with an exception name.
//   - Who frees what afterwards? [Box.OwnedBy] tells a caller whether the reply is its own
//     scratch buffer or a guest allocation it must give back with the guest's virgil_realloc.
//
// The package uses unsafe but not cgo, so hosts built with CGO_ENABLED=0 can use it.
package bytebox
