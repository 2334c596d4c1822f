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
