/*
 * call.h: internal to the conformance library (not installed, not part of the ABI): one call of
 * an exported function, shared by conformance.c, ordinary.c and callbacks.c.
 *
 * Every exported function has the one ABI signature and follows the same steps:
 *   1. call_init:  look at the caller's scratch buffer and the argument bytes;
 *   2. take_args:  check that `in` is exactly one well-formed array of the right length;
 *   3. arg_*:      lift each argument, replying virgil.ArgumentError when it has the wrong type;
 *   4. do the work, then write {"ok": value} after ok(), or {"error": record} with FAIL;
 *   5. call_finish: hand the reply over, in the scratch buffer or in virgil_realloc memory.
 * Everything declared here has hidden visibility: the library exports only the ABI's symbols.
 */
#ifndef VIRGIL_C_GUEST_CALL_H
#define VIRGIL_C_GUEST_CALL_H

#include "mpack_lite.h"
#include "virgil.h"
#include "virgil_guest.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Marks an exported ABI function. */
#define EXPORT __attribute__((visibility("default")))

#define ARGUMENT_ERROR VG_ARGUMENT_ERROR

/* The bytes of {"ok": before the value. */
#define OK_HEAD_SIZE 4

/* Whether the library's functions accept borrowed byte strings and strings (ABI.md section 16):
 * its manifest says so, and every call reads its arguments with the reader's `borrow` set. */
#define LIBRARY_BORROWS true

#pragma GCC visibility push(hidden)

typedef struct call {
    const char *function; /* the exported name, for messages */
    mpl_reader args;      /* the argument bytes not read yet */
    unsigned next;        /* position (from 1) of the next argument */
    mpl_writer reply;     /* the reply envelope */
    virgil_box *out;
    bool broken_in;       /* in is {NULL, n > 0}: a broken box, never read (ABI.md section 2) */
} call;

/* An [int] argument (nil is the empty list), checked whole before any of it is used, so that
 * a bad element is an ArgumentError before any callback has run.  `items` is left at the first
 * element: mpl_read_int on it then cannot fail. */
typedef struct int_list {
    mpl_reader items;
    uint32_t count;
} int_list;

void call_init(call *c, const char *function, const virgil_box *in, virgil_box *out);
/* Starts the envelope {"ok": ...}; the caller writes the value. */
void ok(call *c);
/* Replaces whatever was written with {"error": chain}: the levels outermost first, each the
 * cause of the one before. */
void raise_chain(call *c, const vg_exception *levels, size_t n);
/* Replaces whatever was written with {"error": record}, a record with the one frame `where` and
 * no cause.  Use it through FAIL, which names the C function and line where the failure happens. */
__attribute__((format(printf, 4, 5))) void fail(call *c, vg_frame where, const char *name,
                                                const char *format, ...);
#define FAIL(c, name, ...) fail((c), VG_HERE(), (name), __VA_ARGS__)
/* Hands the reply to the caller (ABI.md section 3). */
void call_finish(call *c);

/* The length of the longest start of s[0..len) that ends on a UTF-8 character boundary. */
size_t utf8_cut(const char *s, size_t len);

/* Argument checking and lifting: each returns false with the error replied. */
bool take_args(call *c, uint32_t arity);
bool arg_int(call *c, int64_t *value);
bool arg_float(call *c, double *value);
/* A str or bin argument, inline or borrowed (ABI.md section 16): a view of its bytes. */
bool arg_str(call *c, const char **str, size_t *len);
bool arg_bin(call *c, const uint8_t **bin, size_t *len);
bool arg_any(call *c, const uint8_t **bytes, size_t *len);
bool arg_fn(call *c, vg_closure *f);
bool arg_int_list(call *c, int_list *xs);
/* Replies the ArgumentError for the value at c->args, which was not a `want`.  `element` is the
 * position (from 1) inside a list argument, or 0 for the argument itself. */
bool bad_value(call *c, uint32_t element, const char *want, mpl_error err);
/* The next element of a list arg_int_list checked. */
int64_t next_int(int_list *xs);

#pragma GCC visibility pop

#endif
