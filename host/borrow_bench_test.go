package host_test

import (
	"testing"

	"github.com/virgilffi/virgil/host"
	"github.com/virgilffi/virgil/internal/testlibs"
)

// BenchmarkBorrowEcho16MiB compares, in one run, echo_bytes of 16 MiB lent (the default for a
// guest declaring borrow) and inline (WithBorrowThreshold(0), as before borrowed bytes), on each
// guest, with a Go copy of 16 MiB as the baseline.
func BenchmarkBorrowEcho16MiB(b *testing.B) {
	b.Run("copy", BenchmarkCopy16MiB)
	for _, language := range []string{"c", "go", "rust"} {
		build := testlibs.ConformanceGuests()[language]
		if build == nil {
			continue
		}
		for _, mode := range []struct {
			name string
			opts []host.Option
		}{{"lent", nil}, {"inline", []host.Option{host.WithBorrowThreshold(0)}}} {
			b.Run(language+"/"+mode.name, func(b *testing.B) {
				echoLarge(b, open(b, build(b), mode.opts...))
			})
		}
	}
}
