package main

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"unicode"
)

// guestPackage is what virgil-gen learned from a guest package's source.
type guestPackage struct {
	name             string
	library, version string
	exports          []export
	topLevel         map[string]bool // every top-level name, to catch symbol collisions
	imports          map[string]bool // every name a file imports a package as
}

// export is one function marked //virgil:export.
type export struct {
	goName    string
	symbol    string
	params    []string
	variadic  bool // the last parameter is ...T
	doc       string
	shape     string // Func (returns a result) or Proc (does not)
	errSuffix string // "E" when the function also returns an error
	position  string
}

var cIdentifier = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// parsePackage reads the guest package in dir: the Go files of the current build (build
// constraints and _GOOS/_GOARCH file names applied, cgo files included), except tests and the
// generated file.
func parsePackage(dir, generated string) (*guestPackage, error) {
	files, err := buildFiles(dir, generated)
	if err != nil {
		return nil, err
	}
	fset := token.NewFileSet()
	pkg := &guestPackage{topLevel: map[string]bool{}, imports: map[string]bool{}}
	for _, path := range files {
		src, err := os.ReadFile(path)
		if err != nil {
			return nil, err
		}
		f, err := parser.ParseFile(fset, path, src, parser.ParseComments)
		if err != nil {
			return nil, err
		}
		if err := pkg.addFile(fset, f); err != nil {
			return nil, err
		}
	}
	if pkg.name == "" {
		return nil, fmt.Errorf("no Go files in %s", dir)
	}
	if pkg.library == "" {
		abs, _ := filepath.Abs(dir)
		pkg.library = filepath.Base(abs)
	}
	sort.SliceStable(pkg.exports, func(i, j int) bool { return pkg.exports[i].symbol < pkg.exports[j].symbol })
	return pkg, pkg.check()
}

func (p *guestPackage) addFile(fset *token.FileSet, f *ast.File) error {
	if p.name != "" && p.name != f.Name.Name {
		return fmt.Errorf("%s: package %s, but other files are in package %s", fset.Position(f.Package), f.Name.Name, p.name)
	}
	p.name = f.Name.Name
	for _, imp := range f.Imports {
		path, _ := strconv.Unquote(imp.Path.Value)
		name := path[strings.LastIndex(path, "/")+1:]
		if imp.Name != nil {
			name = imp.Name.Name
		}
		p.imports[name] = true
	}
	for _, group := range f.Comments {
		for _, c := range group.List {
			if args, ok := directive(c.Text, "virgil:library"); ok {
				if len(args) == 0 || len(args) > 2 {
					return fmt.Errorf("%s: want //virgil:library name [version]", fset.Position(c.Pos()))
				}
				if p.library != "" {
					return fmt.Errorf("%s: a second //virgil:library directive", fset.Position(c.Pos()))
				}
				p.library, p.version = args[0], "0.0.0"
				if len(args) == 2 {
					p.version = args[1]
				}
			}
		}
	}
	for _, decl := range f.Decls {
		p.addTopLevel(decl)
		fn, ok := decl.(*ast.FuncDecl)
		if !ok || fn.Doc == nil {
			continue
		}
		for _, c := range fn.Doc.List {
			if args, ok := directive(c.Text, "virgil:export"); ok {
				e, err := newExport(fset, fn, args)
				if err != nil {
					return err
				}
				p.exports = append(p.exports, e)
			}
		}
	}
	return nil
}

func (p *guestPackage) addTopLevel(decl ast.Decl) {
	switch d := decl.(type) {
	case *ast.FuncDecl:
		if d.Recv == nil {
			p.topLevel[d.Name.Name] = true
		}
	case *ast.GenDecl:
		for _, spec := range d.Specs {
			switch s := spec.(type) {
			case *ast.ValueSpec:
				for _, n := range s.Names {
					p.topLevel[n.Name] = true
				}
			case *ast.TypeSpec:
				p.topLevel[s.Name.Name] = true
			}
		}
	}
}

// directive returns the arguments of comment text "//name args..." when it is that directive.
func directive(text, name string) ([]string, bool) {
	rest, ok := strings.CutPrefix(text, "//"+name)
	if !ok || rest != "" && rest[0] != ' ' && rest[0] != '\t' {
		return nil, false
	}
	return strings.Fields(rest), true
}

func newExport(fset *token.FileSet, fn *ast.FuncDecl, args []string) (export, error) {
	pos := fset.Position(fn.Pos()).String()
	if fn.Recv != nil || fn.Type.TypeParams != nil {
		return export{}, fmt.Errorf("%s: //virgil:export needs a plain function, not a method or generic function", pos)
	}
	e := export{goName: fn.Name.Name, symbol: snakeCase(fn.Name.Name), doc: strings.TrimSpace(fn.Doc.Text()), position: pos}
	if len(args) > 1 {
		return export{}, fmt.Errorf("%s: want //virgil:export [symbol]", pos)
	}
	if len(args) == 1 {
		e.symbol = args[0]
	}
	for _, field := range fn.Type.Params.List {
		if _, ok := field.Type.(*ast.Ellipsis); ok {
			e.variadic = true
		}
		for i := range max(1, len(field.Names)) {
			name := fmt.Sprintf("arg%d", len(e.params)+1)
			if i < len(field.Names) && field.Names[i].Name != "_" {
				name = field.Names[i].Name
			}
			e.params = append(e.params, name)
		}
	}
	shape, withErr, err := resultShape(fn.Type.Results)
	if err != nil {
		return export{}, fmt.Errorf("%s: %s: %w", pos, e.goName, err)
	}
	e.shape = shape
	if withErr {
		e.errSuffix = "E"
	}
	return e, nil
}

// resultShape classifies the results (), (R), (error), (R, error) as Proc or Func, with or
// without an error.
func resultShape(results *ast.FieldList) (shape string, withErr bool, err error) {
	var types []ast.Expr
	if results != nil {
		for _, f := range results.List {
			for range max(1, len(f.Names)) {
				types = append(types, f.Type)
			}
		}
	}
	isError := func(t ast.Expr) bool { id, ok := t.(*ast.Ident); return ok && id.Name == "error" }
	switch {
	case len(types) == 0:
		return "Proc", false, nil
	case len(types) == 1 && isError(types[0]):
		return "Proc", true, nil
	case len(types) == 1:
		return "Func", false, nil
	case len(types) == 2 && isError(types[1]):
		return "Func", true, nil
	}
	return "", false, fmt.Errorf("results must be (), (R), (error) or (R, error)")
}

func (p *guestPackage) check() error {
	seen := map[string]string{}
	for _, e := range p.exports {
		switch {
		case !cIdentifier.MatchString(e.symbol):
			return fmt.Errorf("%s: symbol %q is not a C identifier", e.position, e.symbol)
		case strings.HasPrefix(e.symbol, "virgil_"):
			return fmt.Errorf("%s: symbol %q: names starting with virgil_ are reserved for the ABI", e.position, e.symbol)
		case seen[e.symbol] != "":
			return fmt.Errorf("%s: symbol %q is also exported by %s", e.position, e.symbol, seen[e.symbol])
		case p.reservedReason(e.symbol) != "":
			return fmt.Errorf("%s: symbol %q %s; rename the Go function or give //virgil:export another symbol", e.position, e.symbol, p.reservedReason(e.symbol))
		}
		seen[e.symbol] = e.goName
	}
	return nil
}

// pluralAcronym reports whether the upper-case letter at i ends an acronym followed by a plural
// "s" (IDs, URLs), which belongs to the acronym rather than starting a word.
func pluralAcronym(runes []rune, i int) bool {
	return runes[i+1] == 's' && (i+2 == len(runes) || unicode.IsUpper(runes[i+2]))
}

// snakeCase turns a Go name into a C symbol: EchoBytes -> echo_bytes, HTTPGet -> http_get.
func snakeCase(name string) string {
	runes := []rune(name)
	var sb strings.Builder
	for i, r := range runes {
		if unicode.IsUpper(r) {
			prevLower := i > 0 && (unicode.IsLower(runes[i-1]) || unicode.IsDigit(runes[i-1]))
			nextLower := i > 0 && i+1 < len(runes) && unicode.IsLower(runes[i+1]) && unicode.IsUpper(runes[i-1]) && !pluralAcronym(runes, i)
			if prevLower || nextLower {
				sb.WriteByte('_')
			}
			r = unicode.ToLower(r)
		}
		sb.WriteRune(r)
	}
	return sb.String()
}
