package codec_test

import (
	"bytes"
	"fmt"

	"github.com/virgilffi/virgil/codec"
)

// Lowering an argument list and lifting a reply.
func Example() {
	var args bytes.Buffer
	codec.NewEncoder(&args).EncodeArgs(1, "two", 3.0)
	fmt.Printf("args: %x\n", args.Bytes())

	reply := []byte{0x81, 0xa2, 'o', 'k', 0x03} // {"ok": 3}
	var sum int
	err := codec.DecodeReply(reply, &sum)
	fmt.Println(sum, err)
	// Output:
	// args: 9301a374776fcb4008000000000000
	// 3 <nil>
}

// A type mismatch is reported, not converted.
func ExampleDecoder_Decode() {
	var n int
	err := codec.NewDecoder([]byte{0xa3, 't', 'w', 'o'}).Decode(&n)
	fmt.Println(err)
	// Output: expected int, got str
}

// Type names for manifests.
func ExampleTypeName() {
	type Stats struct {
		Count int     `msgpack:"count"`
		Mean  float64 `msgpack:"mean"`
	}
	fmt.Println(codec.TypeName(reflectTypeOf[func([]float64) (Stats, error)]()))
	fmt.Println(codec.TypeName(reflectTypeOf[map[string][]byte]()))
	// Output:
	// fn([float]) -> {"count": int, "mean": float}
	// {str: bytes}
}
