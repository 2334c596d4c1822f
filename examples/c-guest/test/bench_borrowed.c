/*
 * bench_borrowed: what borrowed bytes (cabi/ABI.md section 16) save a guest, measured from C
 * through raw boxes, for each library named on the command line: `echo_bytes` of 16 MiB written
 * inline into the argument array (the guest copies the bytes into its reply) against the same
 * bytes lent (the guest replies a 22-byte view of
 * them), each alone and as a host's whole round
 * trip (inline: the bytes copied into the argument array, echoed, copied out of the reply; lent:
 * the view's bytes copied out, as a host must before its call returns), next to one memcpy of
 * 16 MiB.  A measurement, not a test: `make -C examples/c-guest/test bench`.
 *
 * Usage: bench_borrowed LIBRARY...
 */
#define _POSIX_C_SOURCE 200809L

#include "virgil.h"

#include <dlfcn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define SIZE ((size_t)16 << 20)
#define ROUNDS 40

typedef void (*abi_fn)(const virgil_box *in, virgil_box *out);
typedef void *(*realloc_fn)(void *ptr, size_t size);

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void *sym(void *lib, const char *name)
{
    void *p = dlsym(lib, name);
    if (p == NULL) {
        fprintf(stderr, "bench_borrowed: %s\n", dlerror());
        exit(2);
    }
    return p;
}

static uint8_t *payload, *user, *inline_args, lent_args[19];
static abi_fn echo_bytes;
static realloc_fn guest_realloc;

/* The argument array of the inline form: bin 32 and the bytes. */
static void build_inline(void)
{
    inline_args[0] = 0x91;
    inline_args[1] = 0xc6;
    for (int i = 0; i < 4; i++)
        inline_args[2 + i] = (uint8_t)(SIZE >> (8 * (3 - i)));
    memcpy(inline_args + 6, payload, SIZE);
}

/* The argument array of the lent form: fixext 16 of type 65, the pointer and the length. */
static void build_lent(void)
{
    uint64_t words[2] = {(uint64_t)(uintptr_t)payload, SIZE};
    lent_args[0] = 0x91;
    lent_args[1] = 0xd8;
    lent_args[2] = VIRGIL_EXT_BORROWED_BYTES;
    memcpy(lent_args + 3, words, sizeof words);
}

/* One call with the argument array `args`; the reply's value is copied to `user` when
 * `copy_out`.  Exits on a reply that is not {"ok": the bytes} inline or as a view of exactly
 * `payload`. */
static void call(uint8_t *args, size_t args_len, int copy_out)
{
    virgil_box in = {args, args_len}, out = {NULL, 0};
    echo_bytes(&in, &out);
    const uint8_t *v = out.ptr + 4; /* after {"ok": */
    const uint8_t *bytes = NULL;
    if (out.len == 4 + 18 && v[0] == 0xd8 && v[1] == VIRGIL_EXT_BORROWED_BYTES) {
        uint64_t words[2];
        memcpy(words, v + 2, sizeof words);
        if (words[0] == (uint64_t)(uintptr_t)payload && words[1] == SIZE)
            bytes = payload;
    } else if (out.len == 4 + 5 + SIZE && v[0] == 0xc6) {
        bytes = v + 5;
    }
    if (bytes == NULL) {
        fprintf(stderr, "bench_borrowed: echo_bytes replied %llu bytes, not the payload\n",
                (unsigned long long)out.len);
        exit(1);
    }
    if (copy_out)
        memcpy(user, bytes, SIZE);
    guest_realloc(out.ptr, 0);
}

/* Seconds per run of `f`, over ROUNDS runs. */
static double per_run(void (*f)(void))
{
    double t0 = now();
    for (int i = 0; i < ROUNDS; i++)
        f();
    return (now() - t0) / ROUNDS;
}

static void copy_once(void) { memcpy(user, payload, SIZE); }
static void inline_call(void) { call(inline_args, 6 + SIZE, 0); }
static void lent_call(void) { call(lent_args, sizeof lent_args, 0); }
static void inline_round_trip(void)
{
    build_inline();
    call(inline_args, 6 + SIZE, 1);
}
static void lent_round_trip(void)
{
    build_lent();
    call(lent_args, sizeof lent_args, 1);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: bench_borrowed LIBRARY...\n");
        return 2;
    }
    payload = malloc(SIZE);
    user = malloc(SIZE);
    inline_args = malloc(SIZE + 6);
    for (size_t i = 0; i < SIZE; i++)
        payload[i] = (uint8_t)(i * 31);
    printf("%-28s %10s %10s %10s %10s %10s\n", "library (MB/s, 16 MiB)", "memcpy", "inline",
           "lent", "inline rt", "lent rt");
    for (int a = 1; a < argc; a++) {
        void *lib = dlopen(argv[a], RTLD_NOW | RTLD_LOCAL);
        if (lib == NULL) {
            fprintf(stderr, "bench_borrowed: %s\n", dlerror());
            return 2;
        }
        void *e = sym(lib, "echo_bytes"), *r = sym(lib, "virgil_realloc");
        memcpy(&echo_bytes, &e, sizeof e);
        memcpy(&guest_realloc, &r, sizeof r);
        build_inline();
        build_lent();
        /* The five measured in turn, five times over, each its best (MB/s): the machine's noise
         * falls on all of them alike. */
        void (*const runs[5])(void) = {copy_once, inline_call, lent_call, inline_round_trip,
                                       lent_round_trip};
        double best[5] = {1e30, 1e30, 1e30, 1e30, 1e30};
        for (int k = 0; k < 5; k++)
            for (int j = 0; j < 5; j++) {
                double t = per_run(runs[j]);
                best[j] = t < best[j] ? t : best[j];
            }
        double copy = (double)SIZE / best[0] / 1e6, inline_mbs = (double)SIZE / best[1] / 1e6;
        double lent_mbs = (double)SIZE / best[2] / 1e6, inline_rt = (double)SIZE / best[3] / 1e6;
        double lent_rt = (double)SIZE / best[4] / 1e6;
        const char *name = strrchr(argv[a], '/') ? strrchr(argv[a], '/') + 1 : argv[a];
        printf("%-28s %10.0f %10.0f %10.0f %10.0f %10.0f\n", name, copy, inline_mbs, lent_mbs,
               inline_rt, lent_rt);
        printf("%-28s %10s %9.2fx %9.0fx %9.2fx %9.2fx\n", "  against memcpy", "",
               inline_mbs / copy, lent_mbs / copy, inline_rt / copy, lent_rt / copy);
    }
    free(payload);
    free(user);
    free(inline_args);
    return 0;
}
