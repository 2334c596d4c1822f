// Package scan measures MessagePack values in byte slices without decoding them: where a value
// ends, how deep it nests, and which family it belongs to, in the words Virgil's error messages
// use. It knows nothing but bytes and imports nothing of the project, so that both package codec
// and package exceptions can build on it.
//
// [Skip] validates and measures one whole value; [Header] reads one header (for streaming readers
// that skip values piece by piece, with [HeaderLen] telling how many bytes to read first);
// [Kind] and [KindOf] name families. The limits are those of cabi/ABI.md section 11: nesting
// deeper than [MaxDepth] is rejected, and a declared length larger than the bytes that remain is
// [ErrTruncated], never a read past the end.
package scan
