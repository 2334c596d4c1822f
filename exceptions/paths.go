package exceptions

import (
	"os"
	"path"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"sync"
)

// FuncFrame returns the frame of the Go function fn itself: its name, and
// the file and line of its definition. It is the frame [FromReturned] gives
// an error the function returned without a stack of its own. fn must be a
// func value; anything else gives the zero Frame.
func FuncFrame(fn any) Frame {
	v := reflect.ValueOf(fn)
	if v.Kind() != reflect.Func || v.IsNil() {
		return Frame{}
	}
	f := runtime.FuncForPC(v.Pointer())
	if f == nil {
		return Frame{}
	}
	file, line := f.FileLine(f.Entry())
	name := f.Name()
	return Frame{Function: name, File: relativeFile(name, file), Line: line, Language: Language}
}

// relativeFile writes a Go source path the way `go build -trimpath` does
// (cabi/ABI.md, section 6: paths relative to their module): a file of
// package example.com/app/config is "example.com/app/config/file.go", a file
// of the standard library "os/file.go". A path that is already relative is
// kept; a file of package main is placed under its module's path by the
// go.mod above it, or kept whole when there is none.
func relativeFile(function, file string) string {
	if file == "" || !filepath.IsAbs(file) {
		return file
	}
	pkg := packageOf(function)
	switch {
	case pkg == "":
		return file
	case pkg == "main":
		return mainModuleFile(file)
	}
	// An external test package (example.com/app_test) lives in its package's directory.
	return strings.TrimSuffix(pkg, "_test") + "/" + filepath.Base(file)
}

// packageOf returns the import path of the package a function of this full
// name belongs to: "example.com/app.(*T).M" is "example.com/app".
func packageOf(function string) string {
	slash := strings.LastIndexByte(function, '/')
	dot := strings.IndexByte(function[slash+1:], '.')
	if dot < 0 {
		return ""
	}
	return function[:slash+1+dot]
}

// mainModules caches, per directory, the module-relative prefix of the files
// of package main found in it ("" when no go.mod was found).
var mainModules sync.Map // dir -> string

// mainModuleFile writes a file of package main relative to its module: the
// module path (from the go.mod above it) and the directory below the go.mod.
func mainModuleFile(file string) string {
	dir := filepath.Dir(file)
	prefix, ok := mainModules.Load(dir)
	if !ok {
		prefix = findModulePrefix(dir)
		mainModules.Store(dir, prefix)
	}
	if p := prefix.(string); p != "" {
		return p + "/" + filepath.Base(file)
	}
	return file
}

// findModulePrefix looks for the go.mod at or above dir (at most 32 levels)
// and returns its module path joined with dir's place below it, or "".
func findModulePrefix(dir string) string {
	rel := ""
	for d, i := dir, 0; i < 32; i++ {
		if mod := modulePath(filepath.Join(d, "go.mod")); mod != "" {
			return path.Join(mod, filepath.ToSlash(rel))
		}
		parent := filepath.Dir(d)
		if parent == d {
			break
		}
		rel = filepath.Join(filepath.Base(d), rel)
		d = parent
	}
	return ""
}

// modulePath returns the module path a go.mod declares, or "".
func modulePath(gomod string) string {
	data, err := os.ReadFile(gomod)
	if err != nil {
		return ""
	}
	for _, line := range strings.Split(string(data), "\n") {
		line = strings.TrimSpace(line)
		if rest, ok := strings.CutPrefix(line, "module"); ok && rest != "" && (rest[0] == ' ' || rest[0] == '\t') {
			return strings.Trim(strings.TrimSpace(rest), `"`)
		}
	}
	return ""
}
