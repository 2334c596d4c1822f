// The symbol register, a C keyword, as an alias of the Go export register_ (see register.go).
extern void register_(void *in, void *out);

__attribute__((visibility("default"))) void virgil_conformance_register(void *in, void *out) __asm__("register");

void virgil_conformance_register(void *in, void *out) { register_(in, out); }
