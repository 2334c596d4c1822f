/* A plain C function, not a Virgil one: the purego baselines of internal/bench call it with
 * SyscallN and RegisterLibFunc, so a Virgil call can be read against a bare foreign call. */
#include <stdint.h>

int64_t add(int64_t a, int64_t b);

int64_t add(int64_t a, int64_t b) { return a + b; }
