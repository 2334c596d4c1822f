/*
 * host_check: a plain C host that loads a Haskell guest library the way Virgil hosts do
 * (dlopen RTLD_NOW | RTLD_LOCAL) and checks what only a real process can show:
 *
 *   - the runtime starts on load and keeps the host's SIGINT handler (and SIGINT still works);
 *   - a GHCRTS variable meant for some other Haskell program (here an invalid one, on which an
 *     RTS that read it would exit the process) is ignored;
 *   - the scratch-buffer protocol: a reply that fits lands in the scratch buffer, one that does
 *     not (or no scratch at all) is allocated with the guest's virgil_realloc;
 *   - virgil_stats: no buffer leaks over many calls;
 *   - lazy errors and `error` come back as exceptions, the host survives;
 *   - the errors of ordinary code (read_file, load_config, parse_int, fail_plain, fail_attrs)
 *     come back with their standard names, errno/filename and user attributes, the user's
 *     frame and no frame of the kit's Virgil.* modules (the full checks against
 *     cabi/conformance/errors.json are in test/Main.hs; these see the built library's bytes);
 *   - 16 threads calling concurrently get correct answers, and their sleeps overlap;
 *   - threads that call once and exit leave no per-thread records behind (malloc'd memory stays
 *     flat);
 *   - a second Haskell library (a copy of the first) shares the runtime, and both survive
 *     major garbage collections;
 *   - the process exits normally (the destructor stops the runtime).
 *
 * Usage: host_check path/to/libconformance_haskell.so path/to/copy_of_it.so
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <malloc.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "virgil.h"

typedef void *(*realloc_fn)(void *, size_t);

static int failures, checks;

#define CHECK(cond, ...)                                                                           \
    do {                                                                                           \
        checks++;                                                                                  \
        if (!(cond)) {                                                                             \
            failures++;                                                                            \
            fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__);                                   \
            fprintf(stderr, __VA_ARGS__);                                                          \
            fputc('\n', stderr);                                                                   \
        }                                                                                          \
    } while (0)

typedef struct {
    void *handle;
    realloc_fn realloc;
    virgil_fn add, greet, echo_bytes, crash, lazy_error, lazy_div, sleep_ms, stats, manifest;
    virgil_fn read_file, load_config, parse_int, fail_plain, fail_attrs;
} guest;

static void *sym(void *h, const char *name)
{
    void *p = dlsym(h, name);
    if (p == NULL) {
        fprintf(stderr, "missing symbol %s: %s\n", name, dlerror());
        exit(2);
    }
    return p;
}

static guest load(const char *path)
{
    guest g;
    g.handle = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (g.handle == NULL) {
        fprintf(stderr, "dlopen %s: %s\n", path, dlerror());
        exit(2);
    }
    g.realloc = (realloc_fn)sym(g.handle, "virgil_realloc");
    g.add = (virgil_fn)sym(g.handle, "add");
    g.greet = (virgil_fn)sym(g.handle, "greet");
    g.echo_bytes = (virgil_fn)sym(g.handle, "echo_bytes");
    g.crash = (virgil_fn)sym(g.handle, "crash");
    g.lazy_error = (virgil_fn)sym(g.handle, "lazy_error");
    g.lazy_div = (virgil_fn)sym(g.handle, "lazy_div");
    g.sleep_ms = (virgil_fn)sym(g.handle, "sleep_ms");
    g.stats = (virgil_fn)sym(g.handle, "virgil_stats");
    g.manifest = (virgil_fn)sym(g.handle, "virgil_manifest");
    g.read_file = (virgil_fn)sym(g.handle, "read_file");
    g.load_config = (virgil_fn)sym(g.handle, "load_config");
    g.parse_int = (virgil_fn)sym(g.handle, "parse_int");
    g.fail_plain = (virgil_fn)sym(g.handle, "fail_plain");
    g.fail_attrs = (virgil_fn)sym(g.handle, "fail_attrs");
    return g;
}

/* A reply, copied out; `scratch` says whether it came back in the scratch buffer. */
typedef struct {
    uint8_t *bytes;
    size_t len;
    int scratch;
} reply;

static reply call(const guest *g, virgil_fn fn, const uint8_t *args, size_t n, size_t capacity)
{
    uint8_t *scratch = capacity ? malloc(capacity) : NULL;
    virgil_box in = {(uint8_t *)args, n};
    virgil_box out = {scratch, capacity};
    fn(&in, &out);
    reply r = {malloc(out.len ? out.len : 1), out.len, out.ptr != NULL && out.ptr == scratch};
    if (out.len) {
        memcpy(r.bytes, out.ptr, out.len);
    }
    if (out.ptr != NULL && out.ptr != scratch) {
        g->realloc(out.ptr, 0);
    }
    free(scratch);
    return r;
}

static int contains(reply r, const char *needle)
{
    return memmem(r.bytes, r.len, needle, strlen(needle)) != NULL;
}

static int equals(reply r, const uint8_t *want, size_t n)
{
    return r.len == n && memcmp(r.bytes, want, n) == 0;
}

/* Reads virgil_stats' "live" (the last integer of the reply). */
static uint64_t live(const guest *g)
{
    static const uint8_t none[] = {0x90};
    reply r = call(g, g->stats, none, 1, 256);
    const uint8_t *p = memmem(r.bytes, r.len, "\xa4live", 5);
    uint64_t v = 0;
    if (p != NULL) {
        p += 5;
        if (*p < 0x80) {
            v = *p;
        } else {
            int n = *p == 0xcc ? 1 : *p == 0xcd ? 2 : *p == 0xce ? 4 : 8;
            for (int i = 1; i <= n; i++) {
                v = v << 8 | p[i];
            }
        }
    }
    free(r.bytes);
    return v;
}

/* Calls fn with one string argument (shorter than 256 bytes). */
static reply call_str(const guest *g, virgil_fn fn, const char *s)
{
    uint8_t args[260];
    size_t n = strlen(s);
    args[0] = 0x91;
    args[1] = 0xd9;
    args[2] = (uint8_t)n;
    memcpy(args + 3, s, n);
    return call(g, fn, args, n + 3, 0);
}

/* An error reply of the errors of ordinary code: the name, the user's frame (a function
 * qualified by the guest's module) and no kit frames. */
static int ordinary_error(reply r, const char *name, const char *user_function)
{
    return contains(r, "\xa5" "error") && contains(r, name) && contains(r, user_function) &&
           contains(r, "examples/haskell-guest/Conformance.hs") && !contains(r, "Virgil.") &&
           !contains(r, "cabi/haskell/src");
}

static volatile sig_atomic_t got_sigint;

static void on_sigint(int sig)
{
    (void)sig;
    got_sigint = 1;
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Bytes in use from malloc: the runtime's per-thread records live there (its heap does not). */
static long malloc_kib(void)
{
    return (long)(mallinfo2().uordblks / 1024);
}

/* ------------------------------------------------------------------------------------------ */

typedef struct {
    const guest *g;
    int id;
    int bad;
} worker_arg;

static void *adder(void *p)
{
    worker_arg *w = p;
    for (int i = 0; i < 2000; i++) {
        uint8_t a = (uint8_t)(i % 64), b = (uint8_t)w->id;
        uint8_t args[] = {0x92, a, b};
        uint8_t want[] = {0x81, 0xa2, 'o', 'k', (uint8_t)(a + b)};
        reply r = call(w->g, w->g->add, args, sizeof args, (i % 2) ? 64 : 0);
        if (!equals(r, want, sizeof want)) {
            w->bad++;
        }
        free(r.bytes);
    }
    return NULL;
}

static void *sleeper(void *p)
{
    worker_arg *w = p;
    static const uint8_t args[] = {0x91, 0xcc, 200}; /* sleep_ms(200) */
    static const uint8_t want[] = {0x81, 0xa2, 'o', 'k', 0xc0};
    reply r = call(w->g, w->g->sleep_ms, args, sizeof args, 64);
    if (!equals(r, want, sizeof want)) {
        w->bad++;
    }
    free(r.bytes);
    return NULL;
}

static void *once(void *p)
{
    worker_arg *w = p;
    static const uint8_t args[] = {0x92, 0x01, 0x02};
    reply r = call(w->g, w->g->add, args, sizeof args, 64);
    if (r.len != 5) {
        w->bad++;
    }
    free(r.bytes);
    return NULL;
}

static int run_threads(const guest *g, int n, void *(*fn)(void *))
{
    pthread_t t[64];
    worker_arg w[64];
    int bad = 0;
    for (int i = 0; i < n; i++) {
        w[i] = (worker_arg){g, i, 0};
        pthread_create(&t[i], NULL, fn, &w[i]);
    }
    for (int i = 0; i < n; i++) {
        pthread_join(t[i], NULL);
        bad += w[i].bad;
    }
    return bad;
}

/* echo_bytes of n bytes, checked; large enough payloads force major collections. */
static int echo_ok(const guest *g, size_t n)
{
    size_t head = n < 256 ? 2 : n < 65536 ? 3 : 5;
    uint8_t *args = malloc(1 + head + n);
    args[0] = 0x91;
    if (head == 2) {
        args[1] = 0xc4;
        args[2] = (uint8_t)n;
    } else if (head == 3) {
        args[1] = 0xc5;
        args[2] = (uint8_t)(n >> 8);
        args[3] = (uint8_t)n;
    } else {
        args[1] = 0xc6;
        for (int i = 0; i < 4; i++) {
            args[2 + i] = (uint8_t)(n >> (8 * (3 - i)));
        }
    }
    for (size_t i = 0; i < n; i++) {
        args[1 + head + i] = (uint8_t)(i % 251);
    }
    reply r = call(g, g->echo_bytes, args, 1 + head + n, 16384);
    int ok = r.len == 4 + head + n && memcmp(r.bytes + 4, args + 1, head + n) == 0;
    free(r.bytes);
    free(args);
    return ok;
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: %s libconformance_haskell.so copy.so\n", argv[0]);
        return 2;
    }
    struct sigaction sa, after;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_sigint;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);

    setenv("GHCRTS", "-N1 --no-such-rts-option", 1);
    guest g = load(argv[1]);
    unsetenv("GHCRTS");

    /* The runtime started in the constructor and left SIGINT alone. */
    sigaction(SIGINT, NULL, &after);
    CHECK(after.sa_handler == on_sigint, "SIGINT handler replaced on load");

    static const uint8_t add12[] = {0x92, 0x01, 0x02};
    static const uint8_t ok3[] = {0x81, 0xa2, 'o', 'k', 0x03};
    uint64_t live0 = live(&g);

    /* Scratch-buffer protocol. */
    reply r = call(&g, g.add, add12, 3, 64);
    CHECK(equals(r, ok3, 5) && r.scratch, "add(1, 2) into a 64-byte scratch buffer");
    free(r.bytes);
    r = call(&g, g.add, add12, 3, 5);
    CHECK(equals(r, ok3, 5) && r.scratch, "add(1, 2) into an exactly fitting scratch buffer");
    free(r.bytes);
    r = call(&g, g.add, add12, 3, 4);
    CHECK(equals(r, ok3, 5) && !r.scratch, "add(1, 2) with a too-small scratch buffer");
    free(r.bytes);
    r = call(&g, g.add, add12, 3, 0);
    CHECK(equals(r, ok3, 5) && !r.scratch, "add(1, 2) with no scratch buffer");
    free(r.bytes);
    r = call(&g, g.add, NULL, 0, 64);
    CHECK(contains(r, "virgil.ArgumentError"), "add with an empty box");
    free(r.bytes);
    static const uint8_t greet_world[] = {0x91, 0xa5, 'W', 'o', 'r', 'l', 'd'};
    r = call(&g, g.greet, greet_world, sizeof greet_world, 64);
    CHECK(contains(r, "Hello, World!"), "greet");
    free(r.bytes);

    /* Failures the Haskell way: the host survives them all. */
    static const uint8_t none[] = {0x90};
    r = call(&g, g.crash, none, 1, 0);
    CHECK(contains(r, "\xa5" "error") && contains(r, "ErrorCall") && contains(r, "Conformance.hs"),
          "crash() comes back as ErrorCall with its location");
    free(r.bytes);
    r = call(&g, g.lazy_error, none, 1, 64);
    CHECK(contains(r, "ErrorCall") && contains(r, "hidden in the result"), "lazy_error()");
    free(r.bytes);
    static const uint8_t div10[] = {0x92, 0x01, 0x00};
    r = call(&g, g.lazy_div, div10, 3, 64);
    CHECK(contains(r, "ZeroDivisionError") && contains(r, "divide by zero"), "lazy_div(1, 0)");
    free(r.bytes);

    /* Errors of ordinary code (ABI.md section 9). */
    static const char missing[] = "/nonexistent-virgil-conformance/config.toml";
    r = call_str(&g, g.read_file, missing);
    CHECK(ordinary_error(r, "\xb1" "FileNotFoundError", "Conformance.read_file") &&
              contains(r, "\xa5" "errno\x02") && contains(r, "\xa8" "filename\xd9\x2b") && contains(r, missing),
          "read_file(missing): FileNotFoundError, errno 2, filename");
    free(r.bytes);
    r = call_str(&g, g.read_file, "/");
    CHECK(ordinary_error(r, "\xb1" "IsADirectoryError", "Conformance.read_file") &&
              contains(r, "\xa5" "errno\x15") && contains(r, "\xa8" "filename\xa1/"),
          "read_file(/): IsADirectoryError, errno 21");
    free(r.bytes);
    r = call_str(&g, g.read_file, "/dev/null");
    CHECK(equals(r, (const uint8_t *)"\x81\xa2ok\xc4\x00", 6), "read_file(/dev/null) is empty bytes");
    free(r.bytes);
    r = call_str(&g, g.load_config, missing);
    CHECK(ordinary_error(r, "\xab" "load config", "Conformance.loadConfig") && contains(r, "\xa5" "cause\x86"),
          "load_config(missing): a context level over the FileNotFoundError");
    free(r.bytes);
    r = call_str(&g, g.parse_int, "forty-two");
    CHECK(ordinary_error(r, "\xaa" "ValueError", "Conformance.parseInt"), "parse_int(forty-two): ValueError");
    free(r.bytes);
    r = call_str(&g, g.parse_int, "99999999999999999999");
    CHECK(ordinary_error(r, "\xad" "OverflowError", "Conformance.parse_int"), "parse_int(1e20): OverflowError");
    free(r.bytes);
    r = call_str(&g, g.parse_int, "-42");
    CHECK(equals(r, (const uint8_t *)"\x81\xa2ok\xd0\xd6", 6), "parse_int(-42)");
    free(r.bytes);
    r = call_str(&g, g.fail_plain, "plain failure");
    CHECK(ordinary_error(r, "\xa9" "Exception", "Conformance.fail_plain") && contains(r, "\xad" "plain failure"),
          "fail_plain: Exception with its message");
    free(r.bytes);
    static const uint8_t quota[] = {0x92, 0x07, 0xa9, 'd', 'i', 's', 'k', ' ', 'f', 'u', 'l', 'l'};
    r = call(&g, g.fail_attrs, quota, sizeof quota, 0);
    CHECK(ordinary_error(r, "\xaa" "QuotaError", "Conformance.fail_attrs") &&
              contains(r, "\xaa" "attributes\x82\xa4" "code\x07\xa6" "reason\xa9" "disk full"),
          "fail_attrs: QuotaError with attributes code and reason, in canonical order");
    free(r.bytes);
    r = call(&g, g.manifest, NULL, 0, 0);
    CHECK(contains(r, "conformance") && contains(r, "lazy_error"), "virgil_manifest");
    free(r.bytes);

    /* No leaks over many calls, in and out of the scratch buffer. */
    for (int i = 0; i < 20000; i++) {
        r = call(&g, i % 3 ? g.add : g.crash, i % 3 ? add12 : none, i % 3 ? 3 : 1, (i % 2) ? 64 : 0);
        free(r.bytes);
    }
    CHECK(live(&g) == live0, "live buffers after 20000 calls: %llu, before: %llu",
          (unsigned long long)live(&g), (unsigned long long)live0);

    /* 16 threads at once. */
    CHECK(run_threads(&g, 16, adder) == 0, "16 threads x 2000 adds");
    double t0 = now();
    CHECK(run_threads(&g, 16, sleeper) == 0, "16 concurrent sleep_ms(200)");
    double slept = now() - t0;
    CHECK(slept < 1.6, "16 concurrent sleeps of 200 ms took %.2f s: they do not overlap", slept);

    /* Threads that call once and exit: the runtime's per-thread records are freed. */
    run_threads(&g, 64, once);
    long heap0 = malloc_kib();
    int bad = 0;
    for (int round = 0; round < 50; round++) {
        bad += run_threads(&g, 64, once);
    }
    long grown = malloc_kib() - heap0;
    CHECK(bad == 0, "short-lived threads");
    CHECK(grown < 128, "malloc'd memory grew by %ld KiB over 3200 short-lived calling threads", grown);

    /* A second Haskell library in the same process: one runtime, both keep working through
     * major collections (8 MiB payloads). */
    guest g2 = load(argv[2]);
    CHECK(g2.add != g.add, "the copy is a separate library");
    for (int i = 0; i < 12; i++) {
        const guest *which = i % 2 ? &g : &g2;
        CHECK(echo_ok(which, 8u << 20), "echo_bytes(8 MiB) #%d", i);
        r = call(which, which->add, add12, 3, 64);
        CHECK(equals(r, ok3, 5), "add after a collection #%d", i);
        free(r.bytes);
        r = call(which, which->manifest, none, 1, 0);
        CHECK(contains(r, "conformance"), "manifest after a collection #%d", i);
        free(r.bytes);
    }
    CHECK(run_threads(&g2, 16, adder) == 0, "16 threads x 2000 adds on the second library");

    /* SIGINT still reaches the host's handler. */
    sigaction(SIGINT, NULL, &after);
    CHECK(after.sa_handler == on_sigint, "SIGINT handler replaced after calls");
    raise(SIGINT);
    CHECK(got_sigint == 1, "the host's SIGINT handler ran");

    printf("host_check: %d checks, %d failed (16 sleeps of 200 ms in %.2f s; malloc'd memory %+ld KiB "
           "over 3200 short-lived threads)\n",
           checks, failures, slept, grown);
    return failures ? 1 : 0;
}
