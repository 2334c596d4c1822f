package uncurry

import (
	"reflect"
	"strconv"

	"github.com/vmihailenco/msgpack/v5"

	"github.com/virgilffi/virgil/codec"
)

// ReplyWriter receives a reply envelope. Discard drops what has been written so far, so that a
// half-written success can be replaced by an error reply.
type ReplyWriter interface {
	codec.Writer
	Discard()
}

// Handler is the one bytes-to-bytes shape: it reads the MessagePack argument array args (borrowed,
// only valid during the call) and writes exactly one reply envelope to w. It never panics.
type Handler func(w ReplyWriter, args []byte)

// Param describes one parameter for the manifest.
type Param struct {
	Name string `msgpack:"name"`
	Type string `msgpack:"type"`
}

// Function is a Go function adapted to the Handler shape, with what the manifest says about it.
type Function struct {
	Name    string  `msgpack:"name"`
	Params  []Param `msgpack:"params"`
	Result  string  `msgpack:"result"`
	Doc     string  `msgpack:"doc"`
	Handler Handler `msgpack:"-"`
}

// WithParams names the parameters (for the manifest) and returns f. Names beyond the number of
// parameters are ignored; parameters without a name keep their default, "arg1", "arg2", ...
func (f *Function) WithParams(names ...string) *Function {
	for i := range f.Params {
		if i < len(names) && names[i] != "" {
			f.Params[i].Name = names[i]
		}
	}
	return f
}

// WithDoc sets the documentation shown in the manifest and returns f.
func (f *Function) WithDoc(doc string) *Function {
	f.Doc = doc
	return f
}

// Nothing is the result type of a function without a result; it is encoded as nil.
type Nothing struct{}

// EncodeMsgpack writes nil.
func (Nothing) EncodeMsgpack(enc *msgpack.Encoder) error { return enc.EncodeNil() }

// DecodeMsgpack accepts and skips any value.
func (*Nothing) DecodeMsgpack(dec *msgpack.Decoder) error { return dec.Skip() }

var nothingType = reflect.TypeFor[Nothing]()

// describe builds a Function's manifest entry from the type of the function it adapts.
func describe(name string, params []reflect.Type, result reflect.Type) *Function {
	f := &Function{Name: name, Params: make([]Param, len(params)), Result: "nil"}
	for i, t := range params {
		f.Params[i] = Param{Name: "arg" + strconv.Itoa(i+1), Type: codec.TypeName(t)}
	}
	if result != nil && result != nothingType {
		f.Result = codec.TypeName(result)
	}
	return f
}
