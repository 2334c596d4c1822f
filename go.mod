module github.com/virgilffi/virgil

go 1.26.8

require (
	github.com/ebitengine/purego v0.11.3
	github.com/pkg/errors v0.9.1
	github.com/vmihailenco/msgpack/v5 v5.4.1
)

require github.com/vmihailenco/tagparser/v2 v2.0.0
