package codec

import (
	"reflect"
	"slices"
	"strconv"
	"strings"

	"github.com/virgilffi/virgil/scan"
)

// The struct rule of cabi/ABI.md section 5, for lifting a map into a struct:
//
//   - a key matches a field by its exact wire name first (wireStruct.keys);
//   - a field no key matches exactly is matched by its folded name (Fold): two or more keys
//     folding to such a field are an error ("ambiguous keys");
//   - a field that is not optional (wireField.optional) and that no key matches is an error
//     naming the struct and the field ("Summary: missing field Mean");
//   - keys that match no field are ignored.
//
// Accepts checks the rule; the Decoder's lifting relies on that check.

// Fold returns the folded form of a field name or key (scan.Fold): ASCII letters lowercased,
// every '_' and '-' removed. Go's MaxValue, Rust's max_value and Haskell's maxValue all fold to
// "maxvalue".
func Fold(name string) string { return scan.Fold(name) }

// buildRule numbers the keys of w by the field they decode into and builds the folded index.
func (w *wireStruct) buildRule(t reflect.Type) {
	w.name = t.Name()
	if w.name == "" {
		w.name = "record"
	}
	slotOf := make(map[string]int, len(w.keys))
	for _, f := range w.fields {
		if _, done := slotOf[f.name]; done {
			continue // a key written twice is one field of the rule
		}
		target := w.keys[f.name]
		slotOf[f.name] = len(w.rule)
		w.rule = append(w.rule, ruleField{name: f.name, field: target, optional: target.optional})
	}
	// Keys only read: aliases share their field's slot; an inlined struct's own key gets one.
	extra := make([]string, 0, len(w.keys)-len(slotOf))
	for key := range w.keys {
		if _, ok := slotOf[key]; !ok {
			extra = append(extra, key)
		}
	}
	slices.Sort(extra)
	for _, key := range extra {
		f := w.keys[key]
		slot := -1
		for i, r := range w.rule {
			if slices.Equal(r.field.index, f.index) {
				slot = i
				break
			}
		}
		if slot < 0 {
			slot = len(w.rule)
			w.rule = append(w.rule, ruleField{name: key, field: f, optional: true})
		}
		slotOf[key] = slot
	}
	w.folded = make(map[string]int, len(slotOf))
	for key, slot := range slotOf {
		f := w.keys[key]
		f.slot = slot
		w.keys[key] = f
		folded := Fold(key)
		if other, taken := w.folded[folded]; taken && other != slot {
			slot = -1 // two fields fold alike: only their exact keys match them
		}
		w.folded[folded] = slot
	}
	for i := range w.rule {
		w.rule[i].field.slot = i
		if !w.rule[i].optional && i < 64 {
			w.required |= 1 << i
		}
	}
}

// foldedSlot returns the slot of the field key matches by its folded name, or -1.
func (w *wireStruct) foldedSlot(key []byte) int {
	var buf [64]byte
	if slot, ok := w.folded[string(scan.AppendFold(buf[:0], key))]; ok {
		return slot
	}
	return -1
}

// slots is a set of field slots; it allocates only for structs of more than 64 fields.
type slots struct {
	small uint64
	big   []uint64
}

func (s *slots) add(i int) {
	if i < 64 {
		s.small |= 1 << i
		return
	}
	i -= 64
	for len(s.big) <= i/64 {
		s.big = append(s.big, 0)
	}
	s.big[i/64] |= 1 << (i % 64)
}

func (s *slots) has(i int) bool {
	if i < 64 {
		return s.small&(1<<i) != 0
	}
	i -= 64
	return i/64 < len(s.big) && s.big[i/64]&(1<<(i%64)) != 0
}

// missing returns the first required field of w, in declaration order, that is not in s.
func (w *wireStruct) missing(s *slots) (ruleField, bool) {
	if s.small&w.required == w.required && len(w.rule) <= 64 {
		return ruleField{}, false
	}
	for i, r := range w.rule {
		if !r.optional && !s.has(i) {
			return r, true
		}
	}
	return ruleField{}, false
}

// FieldError reports a map that does not fit a struct under the struct rule: a required field
// no key matches (Problem "missing"), or several keys folding to one field (Problem
// "ambiguous"). Path locates the map, as for a TypeError.
type FieldError struct {
	Path    string
	Struct  string   // the struct type's name ("record" for an unnamed one)
	Field   string   // the field's wire name
	Problem string   // "missing" or "ambiguous"
	Keys    []string // for "ambiguous": the keys that fold to the field
}

func (e *FieldError) Error() string {
	var sb strings.Builder
	if e.Path != "" {
		sb.WriteString(e.Path)
		sb.WriteString(": ")
	}
	sb.WriteString(e.Struct)
	sb.WriteString(": ")
	switch e.Problem {
	case "ambiguous":
		sb.WriteString("ambiguous keys for field ")
		sb.WriteString(e.Field)
		sb.WriteString(":")
		for i, k := range e.Keys {
			if i > 0 {
				sb.WriteByte(',')
			}
			sb.WriteByte(' ')
			sb.WriteString(strconv.Quote(k))
		}
	default:
		sb.WriteString("missing field ")
		sb.WriteString(e.Field)
	}
	return sb.String()
}
