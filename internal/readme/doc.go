// Package readme holds the test that keeps the repository's README.md true: every fenced code
// block in it is compiled and run, or checked against the code it quotes, so the README cannot
// drift from the code. The package has no code of its own; see readme_test.go.
//
// Each code block is preceded by an HTML comment (invisible on GitHub) that says what the test
// does with it:
//
//	<!-- readme-test: go-main [lib=PATH] -->    a ```go fragment: the body of func main
//	<!-- readme-test: go-file DIR -->           a ```go file: DIR/main.go of module example.com/DIR
//	<!-- readme-test: sh-run DIR -->            a ```sh block run by bash in DIR (after go-file)
//	<!-- readme-test: sh-check -->              a ```sh block whose make targets and paths must exist
//	<!-- readme-test: python [lib=PATH] -->     a ```python program, run by the venv's python
//	<!-- readme-test: excerpt FILE -->          a block whose lines appear, in order, in FILE
//	<!-- readme-test: output -->                the exact output of the runnable block above it
//	<!-- readme-test: output-of COMMAND... -->  the exact output of COMMAND, run from the root
//	<!-- readme-test: output-of-test NAME -->   output the test itself produces (see NAME's test)
//	<!-- readme-test: illustration -->          a drawing or a shape, not code
//
// A go-main fragment is wrapped in a program whose prelude imports errors, fmt, io/fs, log,
// os, github.com/virgilffi/virgil/exceptions and github.com/virgilffi/virgil/host, and declares
// type Summary (the conformance library's stats result, fields untagged). With lib=PATH the
// prelude also opens PATH as lib (and declares err). A python block with lib=PATH is preceded by
// "import virgil" and lib = virgil.load(PATH).
//
// Programs run in a temporary directory whose build/ holds the guests (from VIRGIL_GUEST_DIR,
// else built by internal/testlibs) and the Python venv of make python-env, and whose examples/
// is the repository's; paths in the README (build/libconformance_go.so) therefore work as
// written. Go programs are modules of their own in a go.work with this repository.
//
// Outputs are compared exactly after these normalizations only: the temporary directory and the
// repository's absolute path read as "...", line numbers in tracebacks as "line N", the Python
// minor version in paths as "python3.N", and Python 3.11's ^^^ marker lines are dropped.
package readme
