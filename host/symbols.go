package host

import (
	"strings"
	"sync"
	"unsafe"

	"github.com/ebitengine/purego"
)

// builtinFunctions are the ABI's own symbols a host may call like any function.
var builtinFunctions = map[string]bool{"virgil_manifest": true, "virgil_stats": true}

// callable says why the symbol name of the library may not be called as a Virgil function, or
// returns "" when it may. dlsym also finds symbols of a library's dependencies (libc's puts, the
// Go runtime's fatalf), which do not have the ABI's signature and would crash the process.
func (l *Library) callable(name string, sym uintptr) string {
	switch {
	case builtinFunctions[name]:
		return ""
	case strings.HasPrefix(name, "virgil_"):
		return "is part of the ABI, not a function"
	case l.manifest != nil:
		if l.manifest.Lookup(name) == nil {
			return "is not in its manifest"
		}
		return ""
	case !l.definesSymbol(sym):
		return "is not defined by the library itself (it comes from a library it depends on)"
	}
	return ""
}

// definesSymbol reports whether sym lies in the library itself, comparing the object dladdr
// finds for it with the one that holds virgil_realloc. Where dladdr is unavailable, it trusts
// the symbol.
func (l *Library) definesSymbol(sym uintptr) bool {
	base, ok := objectBase(sym)
	if !ok {
		return true
	}
	own, ok := objectBase(l.realloc)
	return !ok || base == own
}

// dlInfo mirrors the C struct Dl_info.
type dlInfo struct {
	fname *byte
	fbase uintptr
	sname *byte
	saddr uintptr
}

var dladdr = sync.OnceValue(func() uintptr {
	sym, err := purego.Dlsym(purego.RTLD_DEFAULT, "dladdr")
	if err != nil {
		return 0
	}
	return sym
})

// objectBase returns the base address of the loaded object that contains addr.
func objectBase(addr uintptr) (uintptr, bool) {
	fn := dladdr()
	if fn == 0 {
		return 0, false
	}
	var info dlInfo
	r, _, _ := purego.SyscallN(fn, addr, uintptr(unsafe.Pointer(&info)))
	return info.fbase, r != 0
}
