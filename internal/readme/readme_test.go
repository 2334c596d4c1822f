package readme

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/virgilffi/virgil/internal/testlibs"
)

func TestMain(m *testing.M) { testlibs.Main(m) }

// kinds maps each directive to the fence languages it may stand above.
var kinds = map[string][]string{
	"go-main":        {"go"},
	"go-file":        {"go"},
	"sh-run":         {"sh"},
	"sh-check":       {"sh"},
	"python":         {"python"},
	"excerpt":        nil, // any language but none
	"output":         {"", "text"},
	"output-of":      {"", "text"},
	"output-of-test": {"", "text"},
	"illustration":   {"", "text"},
}

// TestEveryBlockIsTested checks that every code block of the documents says how it is tested,
// in a way that fits its language, so that no block escapes the test by accident.
func TestEveryBlockIsTested(t *testing.T) {
	for _, doc := range documents {
		checkDirectives(t, readBlocks(t, doc))
	}
}

func checkDirectives(t *testing.T, blocks []block) {
	if len(blocks) == 0 {
		t.Error("a document has no code blocks")
	}
	for i, b := range blocks {
		langs, ok := kinds[b.kind]
		switch {
		case b.kind == "":
			t.Errorf("%v has no <!-- readme-test: ... --> directive above it", b)
		case !ok:
			t.Errorf("%v: unknown directive %q", b, b.kind)
		case b.kind == "excerpt" && (b.lang == "" || len(b.args) != 1):
			t.Errorf("%v: an excerpt needs a language and one file", b)
		case langs != nil && !contains(langs, b.lang):
			t.Errorf("%v: %s stands above a block of %q, want one of %q", b, b.kind, b.lang, langs)
		case b.kind == "output" && (i == 0 || !runnable(blocks[i-1])):
			t.Errorf("%v: an output block must follow a block that runs", b)
		case (b.kind == "go-file" || b.kind == "sh-run") && len(b.args) != 1:
			t.Errorf("%v: %s needs one directory", b, b.kind)
		}
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// runnable reports whether a block produces an output that an output block can show.
func runnable(b block) bool {
	return b.kind == "go-main" || b.kind == "python" || b.kind == "sh-run"
}

// TestREADME runs every block of each document in order, each as a subtest named by the
// document and the block's line.
func TestREADME(t *testing.T) {
	for _, doc := range documents {
		t.Run(strings.ReplaceAll(doc, "/", "_"), func(t *testing.T) { runBlocks(t, readBlocks(t, doc)) })
	}
}

// runBlocks runs the blocks of one document in order, in a sandbox of their own.
func runBlocks(t *testing.T, blocks []block) {
	s := newSandbox(t)
	var (
		output string // the output of the last runnable block
		done   bool   // whether that block ran to its end
	)
	for _, b := range blocks {
		if runnable(b) {
			output, done = "", false
		}
		t.Run(fmt.Sprintf("line%d_%s", b.line, b.kind), func(t *testing.T) {
			switch b.kind {
			case "go-main":
				output, done = s.goMain(t, b), true
			case "go-file":
				s.goFile(t, b)
			case "sh-run":
				output, done = s.shRun(t, b), true
			case "sh-check":
				checkCommands(t, b)
			case "python":
				output, done = s.python(t, b), true
			case "excerpt":
				checkExcerpt(t, b)
			case "output":
				if !done {
					t.Skip("skipping: the block above it did not run")
				}
				compareOutput(t, b, output, s.root)
			case "output-of":
				compareOutput(t, b, s.command(t, b.args), s.root)
			case "output-of-test":
				produce, ok := producers[strings.Join(b.args, " ")]
				if !ok {
					t.Fatalf("%v: no test produces %q", b, strings.Join(b.args, " "))
				}
				compareOutput(t, b, produce(t, s), s.root)
			}
		})
	}
}

// compareOutput fails t unless the block shows got, after normalization. The failure shows the
// run's output as the README would show it, ready to paste.
func compareOutput(t *testing.T, b block, got, sandbox string) {
	t.Helper()
	want := normalize(b.text)
	if normalize(got, sandbox, repoRoot()) != want {
		shown := pasteable(got, sandbox, repoRoot())
		t.Errorf("%v shows\n%s\n\nbut the run printed (differing from line %d)\n%s", b, want, firstDiff(want, normalize(shown)), shown)
	}
}

// firstDiff returns the first line (from 1) where a and b differ.
func firstDiff(a, b string) int {
	al, bl := strings.Split(a, "\n"), strings.Split(b, "\n")
	for i := range al {
		if i >= len(bl) || al[i] != bl[i] {
			return i + 1
		}
	}
	return len(al) + 1
}

// sandbox is the directory README programs run in: build/ holds the guests and the Python venv,
// examples/ is the repository's.
type sandbox struct {
	root string
}

func newSandbox(t *testing.T) *sandbox {
	root := t.TempDir()
	if err := os.Mkdir(filepath.Join(root, "build"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(repoRoot(), "examples"), filepath.Join(root, "examples")); err != nil {
		t.Fatal(err)
	}
	return &sandbox{root: root}
}

// skipOrFail skips t with a clear message, or fails it under CI=true.
func skipOrFail(t testing.TB, format string, args ...any) {
	t.Helper()
	if os.Getenv("CI") == "true" {
		t.Fatalf(format+" (required under CI=true)", args...)
	}
	t.Skipf("skipping: "+format, args...)
}

// libraries maps the README's library names (build/lib<name>.so) to their builders.
var libraries = map[string]func(testing.TB) string{
	"conformance_go":      testlibs.GoGuest,
	"conformance_c":       testlibs.CGuest,
	"conformance_rust":    testlibs.RustGuest,
	"conformance_haskell": testlibs.HaskellGuest,
	"orders_go": func(t testing.TB) string {
		if dir := os.Getenv(testlibs.GuestDirVariable); dir != "" {
			if p := filepath.Join(dir, "liborders_go.so"); fileExists(p) {
				return p
			}
		}
		return testlibs.GoLibrary(t, "./examples/exception-chain/orders")
	},
}

var (
	libraryPath = regexp.MustCompile(`build/lib(\w+)\.so`)
	pythonPath  = filepath.Join("build", "python-env", "bin", "python")
)

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

// prepare puts into the sandbox's build/ every library text names, and the Python venv when
// it names it.
func (s *sandbox) prepare(t *testing.T, text string) {
	t.Helper()
	for _, m := range libraryPath.FindAllStringSubmatch(text, -1) {
		link := filepath.Join(s.root, "build", "lib"+m[1]+".so")
		if fileExists(link) {
			continue
		}
		build, ok := libraries[m[1]]
		if !ok {
			t.Fatalf("a block names build/lib%s.so, which the test does not know how to build", m[1])
		}
		if err := os.Symlink(build(t), link); err != nil {
			t.Fatal(err)
		}
	}
	if strings.Contains(text, "build/python-env") {
		s.pythonEnv(t)
	}
}

// pythonEnv links the repository's venv (make python-env) into the sandbox.
func (s *sandbox) pythonEnv(t *testing.T) {
	t.Helper()
	venv := filepath.Join(repoRoot(), "build", "python-env")
	if !fileExists(filepath.Join(venv, "bin", "python")) {
		skipOrFail(t, "%s is missing: run make python-env", venv)
	}
	link := filepath.Join(s.root, "build", "python-env")
	if !fileExists(link) {
		if err := os.Symlink(venv, link); err != nil {
			t.Fatal(err)
		}
	}
}

// run runs a command in dir and returns its standard output; a failure fails t with its
// standard error.
func run(t *testing.T, dir string, env []string, name string, args ...string) string {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s %s (in %s): %v\n%s%s", name, strings.Join(args, " "), dir, err, stdout.String(), stderr.String())
	}
	return stdout.String()
}

// goEnv is the environment of go commands on a sandbox module at dir.
func goEnv(dir string) []string {
	return []string{"GOWORK=" + filepath.Join(dir, "go.work"), "GOFLAGS="}
}

// module makes dir a module example.com/<base of dir> in a workspace with this repository.
func module(t *testing.T, dir string) {
	t.Helper()
	testlibs.Require(t, "go")
	version := goVersion(t)
	files := map[string]string{
		"go.mod":  fmt.Sprintf("module example.com/%s\n\ngo %s\n", filepath.Base(dir), version),
		"go.work": fmt.Sprintf("go %s\n\nuse (\n\t.\n\t%s\n)\n", version, repoRoot()),
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// goVersion is the go directive of the repository's go.mod.
func goVersion(t *testing.T) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(repoRoot(), "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^go (\S+)$`).FindSubmatch(data)
	if m == nil {
		t.Fatal("go.mod has no go directive")
	}
	return string(m[1])
}

// prelude wraps a go-main fragment; see the package documentation.
const prelude = `package main

import (
	"errors"
	"fmt"
	"io/fs"
	"log"
	"os"

	"github.com/virgilffi/virgil/exceptions"
	"github.com/virgilffi/virgil/host"
)

// A fragment may leave any of the prelude's imports unused.
var (
	_ = errors.Is
	_ = fmt.Println
	_ = fs.ErrNotExist
	_ = log.Fatal
	_ = os.Exit
	_ = exceptions.Plain
	_ = host.Open
)

// Summary is the conformance library's stats result; its fields meet the wire's keys by the
// struct rule (cabi/ABI.md section 5).
type Summary struct {
	Count          int
	Mean, Min, Max float64
}

func main() {
`

// goMain compiles a go-main fragment into a program and runs it in the sandbox.
func (s *sandbox) goMain(t *testing.T, b block) string {
	lib := b.arg("lib")
	s.prepare(t, b.text+lib)
	dir := filepath.Join(s.root, fmt.Sprintf("main%d", b.line))
	module(t, dir)
	var src strings.Builder
	src.WriteString(prelude)
	if lib != "" {
		fmt.Fprintf(&src, "lib, err := host.Open(%q)\nif err != nil {\n\tlog.Fatal(err)\n}\n", lib)
	}
	// Compiler errors point at the README's own lines.
	fmt.Fprintf(&src, "//line %s:%d\n%s}\n", b.file, b.line+1, b.text)
	if err := os.WriteFile(filepath.Join(dir, "main.go"), []byte(src.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	run(t, dir, goEnv(dir), "go", "build", "-o", "program", ".")
	return run(t, s.root, nil, filepath.Join(dir, "program"))
}

// goFile writes a go-file block as DIR/main.go of a module of its own.
func (s *sandbox) goFile(t *testing.T, b block) {
	dir := filepath.Join(s.root, b.args[0])
	module(t, dir)
	if err := os.WriteFile(filepath.Join(dir, "main.go"), []byte(b.text), 0o644); err != nil {
		t.Fatal(err)
	}
}

// shRun runs a shell block with bash -e in its directory (a go-file module).
func (s *sandbox) shRun(t *testing.T, b block) string {
	testlibs.Require(t, "go")
	testlibs.Require(t, "gcc")
	dir := filepath.Join(s.root, b.args[0])
	if !fileExists(filepath.Join(dir, "go.work")) {
		t.Fatalf("%v: %s is not a module a go-file block made", b, b.args[0])
	}
	return run(t, dir, goEnv(dir), "bash", "-e", "-c", b.text)
}

// python runs a python block with the venv's python in the sandbox.
func (s *sandbox) python(t *testing.T, b block) string {
	lib := b.arg("lib")
	s.prepare(t, b.text+lib)
	s.pythonEnv(t)
	src := b.text
	if lib != "" {
		src = fmt.Sprintf("import virgil\n\nlib = virgil.load(%q)\n", lib) + src
	}
	script := filepath.Join(s.root, fmt.Sprintf("readme_%d.py", b.line))
	if err := os.WriteFile(script, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	return run(t, s.root, nil, filepath.Join(s.root, pythonPath), script)
}

// command runs an output-of command from the sandbox's root.
func (s *sandbox) command(t *testing.T, args []string) string {
	if len(args) == 0 {
		t.Fatal("output-of needs a command")
	}
	s.prepare(t, strings.Join(args, " "))
	name := args[0]
	if strings.Contains(name, "/") {
		name = filepath.Join(s.root, name)
	}
	return run(t, s.root, nil, name, args[1:]...)
}

// checkExcerpt checks that the block's non-blank lines appear in its file, in order (other
// lines may come between them), leading and trailing blanks aside.
func checkExcerpt(t *testing.T, b block) {
	data, err := os.ReadFile(filepath.Join(repoRoot(), b.args[0]))
	if err != nil {
		t.Fatalf("%v: %v", b, err)
	}
	source := strings.Split(string(data), "\n")
	at := 0
	for _, line := range strings.Split(b.text, "\n") {
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		for at < len(source) && strings.TrimSpace(source[at]) != line {
			at++
		}
		if at == len(source) {
			t.Fatalf("%v: %q is not in %s (after the lines before it)", b, line, b.args[0])
		}
		at++
	}
}

// checkCommands checks an sh-check block: make targets must be the Makefile's, go get must name
// this module, and every path must exist (in the repository, or as a make target under build/).
func checkCommands(t *testing.T, b block) {
	targets, err := makeTargets(filepath.Join(repoRoot(), "Makefile"))
	if err != nil {
		t.Fatal(err)
	}
	module := modulePath(t)
	for _, line := range strings.Split(b.text, "\n") {
		line, _, _ = strings.Cut(line, "#")
		for _, command := range strings.Split(line, "&&") {
			f := strings.Fields(command)
			if len(f) == 0 {
				continue
			}
			switch f[0] {
			case "make":
				for _, target := range f[1:] {
					if !strings.HasPrefix(target, "-") && !targets[target] {
						t.Errorf("%v: make %s: no such target in the Makefile", b, target)
					}
				}
			case "go":
				if len(f) > 2 && f[1] == "get" && f[2] != module {
					t.Errorf("%v: go get %s, but the module is %s", b, f[2], module)
				}
			case "pip", "python3", pythonPath:
				for _, arg := range f[1:] {
					checkPath(t, b, arg, targets)
				}
			default:
				t.Errorf("%v: %s: the test does not know this command", b, f[0])
			}
		}
	}
}

// checkPath checks one argument that looks like a path.
func checkPath(t *testing.T, b block, arg string, targets map[string]bool) {
	switch {
	case !strings.Contains(arg, "/"):
	case strings.HasPrefix(arg, "build/"):
		if !targets[arg] {
			t.Errorf("%v: %s: no make target builds it", b, arg)
		}
	case !fileExists(filepath.Join(repoRoot(), arg)):
		t.Errorf("%v: %s: no such file in the repository", b, arg)
	}
}

func modulePath(t *testing.T) string {
	data, err := os.ReadFile(filepath.Join(repoRoot(), "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^module (\S+)$`).FindSubmatch(data)
	if m == nil {
		t.Fatal("go.mod has no module line")
	}
	return string(m[1])
}

var (
	makeVariable = regexp.MustCompile(`^([A-Za-z_][A-Za-z0-9_]*)\s*(?::=|\?=|=)\s*(.*)$`)
	makeRule     = regexp.MustCompile(`^([^\s#.][^:=]*?)\s*:(?:[^=]|$)`)
	makeRef      = regexp.MustCompile(`\$\(([A-Za-z_][A-Za-z0-9_]*)\)`)
)

// makeTargets returns the targets of a Makefile's rules, its simple variables expanded.
func makeTargets(path string) (map[string]bool, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	vars := map[string]string{}
	var expand func(s string, depth int) string
	expand = func(s string, depth int) string {
		if depth > 10 {
			return s
		}
		return makeRef.ReplaceAllStringFunc(s, func(ref string) string {
			return expand(vars[makeRef.FindStringSubmatch(ref)[1]], depth+1)
		})
	}
	targets := map[string]bool{}
	for _, line := range strings.Split(string(data), "\n") {
		if strings.HasPrefix(line, "\t") {
			continue
		}
		if m := makeVariable.FindStringSubmatch(line); m != nil {
			vars[m[1]] = m[2]
			continue
		}
		if m := makeRule.FindStringSubmatch(line); m != nil {
			for _, target := range strings.Fields(expand(m[1], 0)) {
				targets[target] = true
			}
		}
	}
	if len(targets) == 0 {
		return nil, errors.New(path + ": no rules found")
	}
	return targets, nil
}
