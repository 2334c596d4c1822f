package exceptions

import (
	"fmt"
	"io"
	"testing"
)

func BenchmarkFrom(b *testing.B) {
	err := fmt.Errorf("load: %w", fmt.Errorf("read header: %w", io.EOF))
	for b.Loop() {
		_ = From(err)
	}
}

func BenchmarkMarshal(b *testing.B) {
	e := threeLevels()
	for b.Loop() {
		if _, err := Marshal(e); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkUnmarshal(b *testing.B) {
	data, err := Marshal(threeLevels())
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := Unmarshal(data); err != nil {
			b.Fatal(err)
		}
	}
}
