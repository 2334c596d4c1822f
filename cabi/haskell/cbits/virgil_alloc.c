/*
 * The allocator side of a Haskell Virgil guest (cabi/ABI.md sections 2, 3 and 10):
 * virgil_realloc with counters, virgil_stats, and the count of calls in flight that the
 * runtime's destructor (virgil_rts.c) consults.
 *
 * The Haskell code calls virgil_hs_realloc, a hidden symbol bound inside this library at link
 * time, never the exported virgil_realloc: every guest exports that same name, and another
 * library's global symbol must never stand in for ours (ABI.md section 12).
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "virgil.h"

/* From HsFFI.h: frees the runtime's record of the calling OS thread. */
extern void hs_thread_done(void);

#define VIRGIL_HIDDEN __attribute__((visibility("hidden")))

static atomic_uint_fast64_t allocations;
static atomic_uint_fast64_t frees;
static atomic_long in_flight;

/* Tests only (the kit's test binary links this file): while non-zero, every allocation or
 * growth fails, so that the kit's answer to a failed allocation (virgil.OutOfMemory, or
 * {NULL, 0}) can be tested. Not exported from a guest library. */
static atomic_int failing;

VIRGIL_HIDDEN void virgil_hs_fail_allocations(int on)
{
    atomic_store_explicit(&failing, on, memory_order_relaxed);
}

VIRGIL_HIDDEN void *virgil_hs_realloc(void *ptr, size_t size)
{
    if (size == 0) {
        if (ptr != NULL) {
            free(ptr);
            atomic_fetch_add_explicit(&frees, 1, memory_order_relaxed);
        }
        return NULL;
    }
    if (atomic_load_explicit(&failing, memory_order_relaxed)) {
        return NULL;
    }
    void *p = realloc(ptr, size);
    if (p != NULL && ptr == NULL) {
        atomic_fetch_add_explicit(&allocations, 1, memory_order_relaxed);
    }
    return p;
}

void *virgil_realloc(void *ptr, size_t size)
{
    return virgil_hs_realloc(ptr, size);
}

/* The runtime keeps a record (a Task) for every OS thread that has called into Haskell, until the
 * thread says it is done. Host threads do not know they called Haskell, so the first call from a
 * thread registers a thread-exit hook that says so for it: hosts that start and stop threads
 * (a Python thread per request) leak nothing. */
static pthread_key_t thread_key;
static pthread_once_t thread_key_once = PTHREAD_ONCE_INIT;
static int thread_key_ok;

/* Set by the library's destructor (virgil_rts.c) before it stops the runtime: a thread that
 * exits afterwards must not touch it. */
VIRGIL_HIDDEN atomic_int virgil_hs_stopped;

static void thread_exit(void *value)
{
    (void)value;
    if (!atomic_load_explicit(&virgil_hs_stopped, memory_order_acquire)) {
        hs_thread_done();
    }
}

static void make_thread_key(void)
{
    thread_key_ok = pthread_key_create(&thread_key, thread_exit) == 0;
}

VIRGIL_HIDDEN void virgil_hs_enter(void)
{
    atomic_fetch_add_explicit(&in_flight, 1, memory_order_acq_rel);
    pthread_once(&thread_key_once, make_thread_key);
    if (thread_key_ok && pthread_getspecific(thread_key) == NULL) {
        pthread_setspecific(thread_key, (void *)1);
    }
}

VIRGIL_HIDDEN void virgil_hs_leave(void)
{
    atomic_fetch_sub_explicit(&in_flight, 1, memory_order_acq_rel);
}

VIRGIL_HIDDEN long virgil_hs_in_flight(void)
{
    return atomic_load_explicit(&in_flight, memory_order_acquire);
}

/* Appends the smallest MessagePack encoding of a non-negative integer. */
static size_t put_uint(uint8_t *b, uint64_t v)
{
    if (v < 0x80) {
        b[0] = (uint8_t)v;
        return 1;
    }
    size_t n;
    if (v < 0x100) {
        b[0] = 0xcc;
        n = 1;
    } else if (v < 0x10000) {
        b[0] = 0xcd;
        n = 2;
    } else if (v < 0x100000000ull) {
        b[0] = 0xce;
        n = 4;
    } else {
        b[0] = 0xcf;
        n = 8;
    }
    for (size_t i = 0; i < n; i++) {
        b[1 + i] = (uint8_t)(v >> (8 * (n - 1 - i)));
    }
    return 1 + n;
}

static size_t put_str(uint8_t *b, const char *s)
{
    size_t n = strlen(s); /* all short: fixstr */
    b[0] = (uint8_t)(0xa0 | n);
    memcpy(b + 1, s, n);
    return 1 + n;
}

/* Writes a reply by the scratch-buffer protocol of ABI.md section 3. */
VIRGIL_HIDDEN void virgil_hs_write_reply(virgil_box *out, const uint8_t *reply, size_t n)
{
    if (out == NULL) {
        return;
    }
    if (out->ptr != NULL && n <= out->len) {
        memcpy(out->ptr, reply, n);
        out->len = n;
        return;
    }
    uint8_t *p = virgil_hs_realloc(NULL, n);
    if (p == NULL) {
        out->ptr = NULL;
        out->len = 0;
        return;
    }
    memcpy(p, reply, n);
    out->ptr = p;
    out->len = n;
}

/* {"ok": {"allocations": int, "frees": int, "live": int}}, counted before this reply's own
 * allocation. */
void virgil_stats(const virgil_box *in, virgil_box *out)
{
    (void)in;
    uint64_t a = atomic_load_explicit(&allocations, memory_order_relaxed);
    uint64_t f = atomic_load_explicit(&frees, memory_order_relaxed);
    uint8_t b[64];
    size_t n = 0;
    b[n++] = 0x81;
    n += put_str(b + n, "ok");
    b[n++] = 0x83;
    n += put_str(b + n, "allocations");
    n += put_uint(b + n, a);
    n += put_str(b + n, "frees");
    n += put_uint(b + n, f);
    n += put_str(b + n, "live");
    n += put_uint(b + n, a >= f ? a - f : 0);
    virgil_hs_write_reply(out, b, n);
}
