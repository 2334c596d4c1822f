package bench

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/virgilffi/virgil/host"
)

// Order is a realistic record: ten fields of mixed types, a time and nested lists among them.
type Order struct {
	ID       int64
	Customer string
	SKU      string
	Quantity int
	Price    float64
	Weight   float64
	Paid     bool
	Placed   time.Time
	Tags     []string
	Scores   []float64
}

func order(i int) Order {
	return Order{
		ID:       int64(1_000_000 + i),
		Customer: fmt.Sprintf("customer-%d", i%97),
		SKU:      fmt.Sprintf("SKU-%06d", i),
		Quantity: i%12 + 1,
		Price:    9.99 + float64(i%50),
		Weight:   0.25 * float64(i%9+1),
		Paid:     i%3 != 0,
		Placed:   time.Unix(1_700_000_000+int64(i)*61, int64(i%1000)*1_000_000).UTC(),
		Tags:     []string{"express", "gift"}[:i%3%2+1],
		Scores:   []float64{0.5, float64(i%7) / 7, 1},
	}
}

func (o Order) equal(p Order) bool {
	return o.ID == p.ID && o.Customer == p.Customer && o.SKU == p.SKU && o.Quantity == p.Quantity &&
		o.Price == p.Price && o.Weight == p.Weight && o.Paid == p.Paid && o.Placed.Equal(p.Placed) &&
		slices.Equal(o.Tags, p.Tags) && slices.Equal(o.Scores, p.Scores)
}

// echoRecord sends in through the guest's echo, both ways, and lifts the reply into a T.
func echoRecord[T any](in T, equal func(a, b T) bool) func(*testing.B, *host.Library) {
	return func(b *testing.B, lib *host.Library) {
		var out T
		b.ReportAllocs()
		b.ResetTimer()
		for range b.N {
			if err := lib.Call("echo", &out, in); err != nil {
				b.Fatal(err)
			}
		}
		if !equal(in, out) {
			b.Fatalf("echo changed the value:\n got %+v\nwant %+v", out, in)
		}
	}
}

// BenchmarkRecord is a realistic call: one Order, 1,000 Orders and 1,000 floats through echo,
// lifted into the same Go types.
func BenchmarkRecord(b *testing.B) {
	orders := make([]Order, 1000)
	floats := make([]float64, 1000)
	for i := range orders {
		orders[i] = order(i)
		floats[i] = float64(i) * 1.5
	}
	b.Run("order", func(b *testing.B) { eachGuest(b, echoRecord(order(7), Order.equal)) })
	b.Run("orders1000", func(b *testing.B) {
		eachGuest(b, echoRecord(orders, func(a, b []Order) bool { return slices.EqualFunc(a, b, Order.equal) }))
	})
	b.Run("floats1000", func(b *testing.B) { eachGuest(b, echoRecord(floats, slices.Equal[[]float64])) })
}
