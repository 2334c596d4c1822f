package guest_test

import (
	"fmt"

	"github.com/virgilffi/virgil/guest"
	"github.com/virgilffi/virgil/uncurry"
)

// What virgil-gen writes for `//virgil:export` on func Add(a, b int) int: a registration (the
// manifest entry) and, in the generated file, a C symbol that calls guest.Serve with it.
func ExampleExport() {
	add := guest.Export(uncurry.Func2("add", func(a, b int) int { return a + b }).
		WithParams("a", "b").WithDoc("Add returns a + b."))
	fmt.Println(add.Name, add.Params, add.Result)
	// Output: add [{a int} {b int}] int
}
