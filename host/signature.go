package host

import (
	"fmt"
	"reflect"
	"strconv"
	"strings"

	"github.com/virgilffi/virgil/codec"
	"github.com/virgilffi/virgil/exceptions"
)

// A binding is checked against the manifest when it is made (Bind, Func0, ...): each parameter's
// Go type, written in the manifest's vocabulary by codec.TypeName, must fit the manifest's
// parameter type, and the manifest's result type must fit the binding's result. "Fit" is lenient
// where lifting decides at run time and strict where no value could cross:
//
//   - any fits everything and everything fits any; a type the reader cannot parse is any;
//   - int and uint fit each other (the values are range-checked when lifted); int, uint and
//     float32 fit float; float fits float32;
//   - T? and T fit each other (a Go pointer is T?; nil is checked when it crosses);
//   - lists and maps fit when their elements (and keys) do; a record fits a {str: V} map whose V
//     its fields fit, and the other way round;
//   - two records fit when the fields they share, matched by folded name (codec.Fold), fit;
//   - fn(A...) -> R fits fn(B...) -> S with as many parameters, each B fitting its A (the guest
//     calls back with B values), and R fitting S;
//   - otherwise the names must be equal.

// checkBinding compares a binding of parameter types params and result type result (nil for
// none) with the manifest, when there is one.
func (f *Function) checkBinding(params []reflect.Type, result reflect.Type) error {
	if result != nil {
		if err := codec.Liftable(result); err != nil {
			return exceptions.Newf(exceptions.ResultError, "%s: %s", f.name, codec.Describe("the binding's result", err))
		}
	}
	if err := f.checkArity(len(params)); err != nil || f.info == nil {
		return err
	}
	for i, p := range params {
		mp := f.info.Params[i]
		goType := codec.TypeName(p)
		if why := fits(parseType(goType), parseType(mp.Type)); why != "" {
			return exceptions.Newf(exceptions.ArgumentError, "%s: parameter %d (%s): the binding has %s, the manifest says %s%s", f.name, i+1, mp.Name, goType, mp.Type, nested(why))
		}
	}
	goResult := "nil"
	if result != nil {
		goResult = codec.TypeName(result)
	}
	if result != nil && f.info.Result != "" {
		if why := fits(parseType(f.info.Result), parseType(goResult)); why != "" {
			return exceptions.Newf(exceptions.ResultError, "%s: result: the binding has %s, the manifest says %s%s", f.name, goResult, f.info.Result, nested(why))
		}
	}
	return nil
}

// nested keeps what fits says about a part of the types (", field mean: str is no float") and
// drops what it says about the types themselves, which the message already shows.
func nested(why string) string {
	if strings.HasPrefix(why, ", ") {
		return why
	}
	return ""
}

// typeNode is a parsed type of the manifest's vocabulary (cabi/ABI.md section 8).
type typeNode struct {
	name   string // a scalar, or "list", "map", "record", "fn"
	opt    bool   // T?
	elem   *typeNode
	key    *typeNode
	fields []typeField
	params []*typeNode
}

type typeField struct {
	name string
	typ  *typeNode
}

var anyNode = &typeNode{name: "any"}

// parseType parses s; what it cannot parse is any.
func parseType(s string) *typeNode {
	p := typeParser{s: s}
	t, ok := p.typ()
	if !ok || p.i != len(s) {
		return anyNode
	}
	return t
}

type typeParser struct {
	s string
	i int
}

func (p *typeParser) eat(tok string) bool {
	if strings.HasPrefix(p.s[p.i:], tok) {
		p.i += len(tok)
		return true
	}
	return false
}

func (p *typeParser) typ() (*typeNode, bool) {
	t, ok := p.primary()
	for ok && p.eat("?") {
		t.opt = true
	}
	return t, ok
}

func (p *typeParser) primary() (*typeNode, bool) {
	switch {
	case p.eat("["):
		elem, ok := p.typ()
		return &typeNode{name: "list", elem: elem}, ok && p.eat("]")
	case p.eat("fn("):
		t := &typeNode{name: "fn"}
		for !p.eat(")") {
			if len(t.params) > 0 && !p.eat(", ") {
				return nil, false
			}
			param, ok := p.typ()
			if !ok {
				return nil, false
			}
			t.params = append(t.params, param)
		}
		if !p.eat(" -> ") {
			return nil, false
		}
		var ok bool
		t.elem, ok = p.typ()
		return t, ok
	case p.eat("{"):
		if p.eat("}") {
			return &typeNode{name: "record"}, true
		}
		if p.i < len(p.s) && p.s[p.i] == '"' {
			return p.record()
		}
		key, ok := p.typ()
		if !ok || !p.eat(": ") {
			return nil, false
		}
		elem, ok := p.typ()
		return &typeNode{name: "map", key: key, elem: elem}, ok && p.eat("}")
	}
	start := p.i
	for p.i < len(p.s) && ('a' <= p.s[p.i] && p.s[p.i] <= 'z' || '0' <= p.s[p.i] && p.s[p.i] <= '9') {
		p.i++
	}
	if p.i == start {
		return nil, false
	}
	return &typeNode{name: p.s[start:p.i]}, true
}

// record parses the fields of a record after its "{".
func (p *typeParser) record() (*typeNode, bool) {
	t := &typeNode{name: "record"}
	for {
		end := strings.IndexByte(p.s[p.i+1:], '"')
		if end < 0 {
			return nil, false
		}
		quoted := p.s[p.i : p.i+end+2]
		name, err := strconv.Unquote(quoted)
		if err != nil {
			name = quoted[1 : len(quoted)-1]
		}
		p.i += len(quoted)
		if !p.eat(": ") {
			return nil, false
		}
		ft, ok := p.typ()
		if !ok {
			return nil, false
		}
		t.fields = append(t.fields, typeField{name, ft})
		if p.eat("}") {
			return t, true
		}
		if !p.eat(", ") {
			return nil, false
		}
	}
}

func (t *typeNode) String() string {
	switch t.name {
	case "list":
		return "[" + t.elem.String() + "]"
	case "map":
		return "{" + t.key.String() + ": " + t.elem.String() + "}"
	case "record":
		parts := make([]string, len(t.fields))
		for i, f := range t.fields {
			parts[i] = strconv.Quote(f.name) + ": " + f.typ.String()
		}
		return "{" + strings.Join(parts, ", ") + "}"
	case "fn":
		parts := make([]string, len(t.params))
		for i, p := range t.params {
			parts[i] = p.String()
		}
		return "fn(" + strings.Join(parts, ", ") + ") -> " + t.elem.String()
	}
	return t.name
}

// fits reports whether values of type from can be lifted as type into: "" when they can, else
// where they cannot (", field mean: str is no float").
func fits(from, into *typeNode) string {
	if from.name == "any" || into.name == "any" {
		return ""
	}
	switch {
	case from.name == into.name && from.name == "list":
		return fits(from.elem, into.elem)
	case from.name == into.name && from.name == "map":
		if why := fits(from.key, into.key); why != "" {
			return why
		}
		return fits(from.elem, into.elem)
	case from.name == "record" && into.name == "map":
		for _, f := range from.fields {
			if why := fits(f.typ, into.elem); why != "" {
				return ", field " + f.name + why
			}
		}
		return fits(&typeNode{name: "str"}, into.key)
	case from.name == "map" && into.name == "record":
		for _, f := range into.fields {
			if why := fits(from.elem, f.typ); why != "" {
				return ", field " + f.name + why
			}
		}
		return fits(from.key, &typeNode{name: "str"})
	case from.name == into.name && from.name == "record":
		for _, g := range into.fields {
			for _, m := range from.fields {
				if m.name == g.name || codec.Fold(m.name) == codec.Fold(g.name) {
					if why := fits(m.typ, g.typ); why != "" {
						return ", field " + g.name + why
					}
					break
				}
			}
		}
		return ""
	case from.name == into.name && from.name == "fn":
		if len(from.params) != len(into.params) {
			return fmt.Sprintf(": %d parameters against %d", len(from.params), len(into.params))
		}
		for i := range from.params {
			if why := fits(into.params[i], from.params[i]); why != "" {
				return fmt.Sprintf(", parameter %d%s", i+1, why)
			}
		}
		if why := fits(from.elem, into.elem); why != "" {
			return ", result" + why
		}
		return ""
	}
	if from.name == "nil" && (into.opt || into.name == "list" || into.name == "map" || into.name == "record" || into.name == "bytes") {
		return ""
	}
	if from.name == into.name || scalarFits[[2]string{from.name, into.name}] {
		return ""
	}
	return fmt.Sprintf(": %s is no %s", from, into)
}

// scalarFits lists the pairs of different scalar names whose values lift into each other.
var scalarFits = map[[2]string]bool{
	{"int", "uint"}: true, {"uint", "int"}: true,
	{"int", "float"}: true, {"uint", "float"}: true, {"float32", "float"}: true,
	{"int", "float32"}: true, {"uint", "float32"}: true, {"float", "float32"}: true,
}
