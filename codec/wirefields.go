package codec

import (
	"reflect"
	"sync"

	"github.com/vmihailenco/tagparser/v2"
)

// This file is the one place that knows which fields of a Go struct cross the wire and under
// which keys. It mirrors getFields, inlineFields and shouldInline in msgpack/v5 (v5.4.1,
// types.go), which does the actual encoding and decoding, with the same tag parser:
//
//   - a field tagged "-" is left out; so is an unexported field unless it is embedded;
//   - the key is the tag's name, else the field's name;
//   - an embedded field tagged ",noinline" is an ordinary field; tagged ",inline" (it must be a
//     struct) its fields are written in its place, except those whose key is already taken;
//   - any other embedded field whose type is a struct or a pointer to one (through any number
//     of pointers) is inlined the same way when that struct is encoded and decoded as a plain
//     struct (no custom, binary or text (un)marshaler; not time.Time) and none of its keys is
//     already taken; otherwise it is an ordinary field. An inlined field's own key still decodes
//     into the whole embedded value;
//   - a later field with a key already taken is written too (msgpack/v5 logs a warning and writes
//     the key twice); the decoder fills the field that took the key last, as do ",alias:name"
//     keys, which are only read;
//   - a "_msgpack" field tagged ",as_array" writes the struct as an array of its fields.
//
// Types registered with msgpack.Register or msgpack.RegisterExtEncoder (other than time.Time)
// cannot be seen from outside msgpack/v5 and are taken for plain structs.

// wireField is one struct field as msgpack/v5 writes it.
type wireField struct {
	name  string       // the map key
	typ   reflect.Type // the field's type
	index []int        // the path for reflect.Value.FieldByIndex, through embedded structs
	// selfDecoding caches selfDecoding(typ) for Accepts.
	selfDecoding bool
	// optional is set when the field may be missing from a map lifted into the struct (the
	// struct rule of cabi/ABI.md section 5): a pointer or interface, a field tagged omitempty
	// or omitzero, a field promoted through an embedded pointer, or an inlined struct's own key.
	optional bool
	// slot numbers the field among wireStruct.rule; keys that decode into the same field
	// (aliases) share it.
	slot int
}

// ruleField is one field as the struct rule sees it: a key the struct is written with, once.
type ruleField struct {
	name     string    // the wire name
	field    wireField // the field that decodes it
	optional bool
}

// wireStruct is how msgpack/v5 lays a struct type out on the wire.
type wireStruct struct {
	fields  []wireField          // what is written, in order; a name may repeat (see above)
	keys    map[string]wireField // what is read: every key the decoder knows, and its field
	asArray bool                 // written as an array of fields, not a map
	// endless is set when msgpack/v5 would inline embedded structs forever (type T struct{ *T }),
	// which overflows the goroutine's stack, a fatal error recover cannot catch.
	endless bool
	// omitAll is set by a "_msgpack" field tagged ",omitempty": every field is optional.
	omitAll bool

	// The struct rule (see rule.go): rule lists the fields by slot, folded maps a folded key
	// to the slot it matches (-1 when two fields fold alike), name is the struct's name for
	// errors.
	rule   []ruleField
	folded map[string]int
	name   string
	// required has the bits of the required slots below 64, for a quick check of all of them.
	required uint64
}

var wireCache sync.Map // reflect.Type -> *wireStruct

// wireFields returns the wire layout of struct type t (cached).
func wireFields(t reflect.Type) *wireStruct {
	if w, ok := wireCache.Load(t); ok {
		return w.(*wireStruct)
	}
	w := buildWire(t, map[reflect.Type]bool{})
	w.buildRule(t)
	actual, _ := wireCache.LoadOrStore(t, w)
	return actual.(*wireStruct)
}

// buildWire is getFields. open holds the structs being inlined, to stop where msgpack/v5 would
// recurse forever (type T struct{ *T }): such a field stays an ordinary field, and the layout is
// marked endless.
func buildWire(t reflect.Type, open map[reflect.Type]bool) *wireStruct {
	open[t] = true
	defer delete(open, t)
	w := &wireStruct{keys: make(map[string]wireField, t.NumField())}
	for i := range t.NumField() {
		f := t.Field(i)
		tag := tagparser.Parse(f.Tag.Get("msgpack"))
		if tag.Name == "-" {
			continue
		}
		if f.Name == "_msgpack" {
			w.asArray = tag.HasOption("as_array") || tag.HasOption("asArray")
			w.omitAll = tag.HasOption("omitempty")
		}
		if !f.IsExported() && !f.Anonymous {
			continue
		}
		field := wireField{name: tag.Name, typ: f.Type, index: []int{i}, selfDecoding: selfDecoding(f.Type)}
		field.optional = w.omitAll || tag.HasOption("omitempty") || tag.HasOption("omitzero") ||
			f.Type.Kind() == reflect.Pointer || f.Type.Kind() == reflect.Interface
		if field.name == "" {
			field.name = f.Name
		}
		if f.Anonymous && !tag.HasOption("noinline") {
			inlined := false
			if tag.HasOption("inline") {
				inlined = w.inlineAll(field, open)
			} else {
				inlined = w.inlineIfFree(field, open)
			}
			if inlined {
				field.optional = true // the embedded struct's own key, besides its fields
				w.keys[field.name] = field
				continue
			}
		}
		w.add(field)
		if alias, ok := tag.Options["alias"]; ok {
			w.keys[alias] = field
		}
	}
	return w
}

// add appends a written field.
func (w *wireStruct) add(f wireField) {
	w.fields = append(w.fields, f)
	w.keys[f.name] = f
}

// inlineAll is inlineFields: the fields of the embedded struct whose keys are still free are
// written in its place. msgpack/v5 panics for a ",inline" field that is not a struct; it is kept
// as an ordinary field here.
func (w *wireStruct) inlineAll(embedded wireField, open map[reflect.Type]bool) bool {
	if embedded.typ.Kind() != reflect.Struct {
		return false
	}
	inner, ok := w.inner(embedded.typ, open)
	if !ok {
		return false
	}
	for _, f := range inner {
		if _, taken := w.keys[f.name]; !taken {
			w.add(promoted(embedded, f))
		}
	}
	return true
}

// inlineIfFree is shouldInline: a plain struct, or a pointer to one, is inlined when none of its
// keys is taken yet.
func (w *wireStruct) inlineIfFree(embedded wireField, open map[reflect.Type]bool) bool {
	t := embedded.typ
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if !plainStruct(t) {
		return false
	}
	inner, ok := w.inner(t, open)
	if !ok {
		return false
	}
	for _, f := range inner {
		if _, taken := w.keys[f.name]; taken {
			return false
		}
	}
	for _, f := range inner {
		w.add(promoted(embedded, f))
	}
	return true
}

// inner returns the written fields of struct t, embedded in w, or false when msgpack/v5 would
// never finish listing them.
func (w *wireStruct) inner(t reflect.Type, open map[reflect.Type]bool) ([]wireField, bool) {
	if open[t] {
		w.endless = true
		return nil, false
	}
	in := buildWire(t, open)
	w.endless = w.endless || in.endless
	return in.fields, true
}

// promoted returns f, a field of the embedded struct, as a field of the struct embedding it.
func promoted(embedded, f wireField) wireField {
	f.optional = f.optional || embedded.typ.Kind() == reflect.Pointer
	f.index = append(append(make([]int, 0, len(embedded.index)+len(f.index)), embedded.index...), f.index...)
	return f
}
