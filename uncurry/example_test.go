package uncurry_test

import (
	"bytes"
	"errors"
	"fmt"

	"github.com/virgilffi/virgil/codec"
	"github.com/virgilffi/virgil/exceptions"
	"github.com/virgilffi/virgil/uncurry"
)

// memoryReply is a ReplyWriter in memory.
type memoryReply struct{ bytes.Buffer }

func (m *memoryReply) Discard() { m.Truncate(0) }

// Adapting add and running its Handler on the argument array [1, 2].
func ExampleFunc2() {
	add := uncurry.Func2("add", func(a, b int) int { return a + b }).WithParams("a", "b")

	var args bytes.Buffer
	codec.NewEncoder(&args).EncodeArgs(1, 2)
	var reply memoryReply
	add.Handler(&reply, args.Bytes())

	var sum int
	err := codec.DecodeReply(reply.Bytes(), &sum)
	fmt.Printf("reply %x\n", reply.Bytes())
	fmt.Println(sum, err)
	fmt.Println(add.Params, add.Result)
	// Output:
	// reply 81a26f6b03
	// 3 <nil>
	// [{a int} {b int}] int
}

// Adapting a function of more than three parameters by reflection, and a call with an argument
// of the wrong type.
func ExampleAdapt() {
	volume, err := uncurry.Adapt("volume", func(w, h, d float64, unit string) string {
		return fmt.Sprintf("%g %s³", w*h*d, unit)
	})
	if err != nil {
		panic(err)
	}
	call := func(args ...any) {
		var in bytes.Buffer
		codec.NewEncoder(&in).EncodeArgs(args...)
		var reply memoryReply
		volume.Handler(&reply, in.Bytes())
		var s string
		if err := codec.DecodeReply(reply.Bytes(), &s); err != nil {
			var x *exceptions.Exception
			errors.As(err, &x)
			fmt.Printf("error: %s: %v\n", x.Name, err)
			return
		}
		fmt.Println(s)
	}
	call(2, 3, 4, "m")
	call(2, 3, "4", "m")
	fmt.Println(volume.Params[3], volume.Result)

	_, err = uncurry.Adapt("pair", func() (int, int) { return 0, 0 })
	fmt.Println(err)
	// Output:
	// 24 m³
	// error: virgil.ArgumentError: volume: argument 3: expected float, got str
	// {arg4 str} str
	// uncurry: pair: results must be (), (R), (error) or (R, error), not func() (int, int)
}

// Binding a function variable to a function called through a Caller; here the Caller runs an
// adapted Go function in the same process.
func ExampleBind() {
	divide := uncurry.Func2E("divide", func(a, b float64) (float64, error) {
		if b == 0 {
			return 0, fmt.Errorf("division by zero")
		}
		return a / b, nil
	})
	inProcess := func(args []byte, result any) error {
		var reply memoryReply
		divide.Handler(&reply, args)
		return codec.DecodeReply(reply.Bytes(), result)
	}

	var div func(a, b float64) (float64, error)
	if err := uncurry.Bind(&div, uncurry.Over("divide", inProcess)); err != nil {
		panic(err)
	}
	fmt.Println(div(1, 4))
	_, err := div(1, 0)
	var x *exceptions.Exception
	errors.As(err, &x)
	fmt.Printf("%s: %v\n", x.Name, err)
	// Output:
	// 0.25 <nil>
	// Exception: division by zero
}
