package main

import (
	"go/token"
	"go/types"
)

// generatedImports are the names virgil_exports.go imports; a symbol may not shadow them.
var generatedImports = map[string]bool{"C": true, "unsafe": true, "guest": true, "uncurry": true}

// cKeywords are C's reserved words (C11 and C23), which cannot name a C function.
var cKeywords = setOf(
	"auto", "break", "case", "char", "const", "continue", "default", "do", "double", "else", "enum",
	"extern", "float", "for", "goto", "if", "inline", "int", "long", "register", "restrict", "return",
	"short", "signed", "sizeof", "static", "struct", "switch", "typedef", "union", "unsigned", "void",
	"volatile", "while", "alignas", "alignof", "bool", "constexpr", "false", "nullptr",
	"static_assert", "thread_local", "true", "typeof", "typeof_unqual",
)

// cLibraryNames are functions of the C headers cgo includes in every package (stdlib.h, string.h,
// stdio.h and friends) that a short Go name is likely to collide with.
var cLibraryNames = setOf(
	"abort", "abs", "atexit", "atof", "atoi", "atol", "bsearch", "calloc", "div", "exit", "free",
	"getenv", "labs", "malloc", "memchr", "memcmp", "memcpy", "memmove", "memset", "printf", "puts",
	"qsort", "rand", "realloc", "srand", "strcat", "strchr", "strcmp", "strcpy", "strdup", "strlen",
	"strncmp", "strncpy", "strstr", "strtod", "strtol", "system", "fprintf", "sprintf", "snprintf",
	"fopen", "fclose", "fread", "fwrite", "remove", "rename", "perror", "main", "_exit",
)

func setOf(names ...string) map[string]bool {
	m := make(map[string]bool, len(names))
	for _, n := range names {
		m[n] = true
	}
	return m
}

// reservedReason says why symbol cannot be a generated Go function and C symbol in the package,
// or returns "" when it can.
func (p *guestPackage) reservedReason(symbol string) string {
	switch {
	case token.IsKeyword(symbol):
		return "is a Go keyword"
	case symbol == "init" || symbol == "main":
		return "is a special Go function name"
	case types.Universe.Lookup(symbol) != nil:
		return "would shadow the Go built-in " + symbol
	case generatedImports[symbol]:
		return "would shadow a package the generated file imports"
	case p.imports[symbol]:
		return "would shadow an imported package in package " + p.name
	case p.topLevel[symbol]:
		return "collides with a Go name in package " + p.name
	case cKeywords[symbol]:
		return "is a C keyword"
	case cLibraryNames[symbol]:
		return "is a C library function that cgo's headers declare"
	}
	return ""
}
