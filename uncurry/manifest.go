package uncurry

// Manifest describes a library: the value virgil_manifest replies with (cabi/ABI.md section 8).
// Guests build it from their exported Functions; hosts decode it (a decoded Function has no
// Handler).
type Manifest struct {
	ABI       int         `msgpack:"abi"`
	Library   string      `msgpack:"library"`
	Language  string      `msgpack:"language"`
	Version   string      `msgpack:"version"`
	Functions []*Function `msgpack:"functions"`
	// Borrow declares that the library's functions accept borrowed byte strings and strings in
	// their arguments (cabi/ABI.md sections 8 and 16); it is omitted from the manifest when false.
	Borrow bool `msgpack:"borrow,omitempty"`
}

// Lookup returns the function called name, or nil.
func (m *Manifest) Lookup(name string) *Function {
	for _, f := range m.Functions {
		if f.Name == name {
			return f
		}
	}
	return nil
}

// Stats is the value virgil_stats replies with (cabi/ABI.md section 10): how many buffers the
// guest's virgil_realloc has allocated and freed, and the difference.
type Stats struct {
	Allocations int64 `msgpack:"allocations"`
	Frees       int64 `msgpack:"frees"`
	Live        int64 `msgpack:"live"`
}
