// Command orders is the middle of the exception-chain example: a Go library that Python loads
// (a Virgil guest) and that itself loads a Rust library (a Virgil host), so that one failure
// crosses three languages. Build it with
//
//	go generate ./examples/exception-chain/orders
//	go build -buildmode=c-shared -o build/liborders_go.so ./examples/exception-chain/orders
//
//go:generate go run github.com/virgilffi/virgil/cmd/virgil-gen
//virgil:library orders 1.0.0
package main

import (
	"fmt"
	"sync"

	"github.com/pkg/errors"

	"github.com/virgilffi/virgil/host"
)

// pricing is the Rust library the orders library prices with, opened by UsePricing.
var pricing struct {
	sync.RWMutex
	lib *host.Library
}

// UsePricing loads the pricing library (the Rust conformance library) from path.
//
//virgil:export
func UsePricing(path string) error {
	lib, err := host.Open(path)
	if err != nil {
		return errors.Wrap(err, "loading the pricing library")
	}
	pricing.Lock()
	defer pricing.Unlock()
	pricing.lib = lib
	return nil
}

// UnitPrice returns an order's price per item: its total divided by its quantity, computed by
// the pricing library. A quantity of zero makes the Rust side fail, and the failure comes back
// wrapped in an OrderError that names the order.
//
//virgil:export
func UnitPrice(order int, total float64, quantity float64) (float64, error) {
	pricing.RLock()
	lib := pricing.lib
	pricing.RUnlock()
	if lib == nil {
		return 0, errors.New("no pricing library: call use_pricing first")
	}
	var price float64
	if err := lib.Call("divide", &price, total, quantity); err != nil {
		return 0, errors.WithStack(&OrderError{Order: order, Err: err})
	}
	return price, nil
}

// OrderError is a failure to price one order, caused by the pricing library's error.
type OrderError struct {
	Order int
	Err   error
}

func (e *OrderError) Error() string { return fmt.Sprintf("pricing order %d: %v", e.Order, e.Err) }

// Unwrap returns the pricing library's error.
func (e *OrderError) Unwrap() error { return e.Err }

// ExceptionName names the error on the wire.
func (e *OrderError) ExceptionName() string { return "OrderError" }

func main() {}
