/*
 * conformance.c: the Virgil conformance library (cabi/ABI.md section 9) in plain C11: the core
 * functions (add, greet, divide, echo, echo_bytes, stats, fail_chain, crash, sleep_ms), the
 * manifest and the diagnostics.  The errors of ordinary code are in ordinary.c, the closure
 * functions in callbacks.c, and the steps every call follows in call.c (call.h).
 *
 * The reply is written straight into the scratch buffer while it fits, and moves to memory from
 * virgil_realloc only when it outgrows it, so small calls allocate nothing.  The allocator, the
 * reply handover, exception records and the manifest and stats replies come from
 * virgil_guest.c, shared with the Go host's C test guests, and so does calling closures
 * (section 15).  The only mutable state is the allocation counters, which are atomic, and the
 * closure register keeps (callbacks.c), behind a mutex: every function may be called from many
 * threads at once.
 */
#define _POSIX_C_SOURCE 200809L /* nanosleep */

#include "call.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

/* The conformance functions (ABI.md section 9); virgil.h declares the other exports. */
void add(const virgil_box *in, virgil_box *out);
void greet(const virgil_box *in, virgil_box *out);
void divide(const virgil_box *in, virgil_box *out);
void echo(const virgil_box *in, virgil_box *out);
void echo_bytes(const virgil_box *in, virgil_box *out);
void stats(const virgil_box *in, virgil_box *out);
void fail_chain(const virgil_box *in, virgil_box *out);
void crash(const virgil_box *in, virgil_box *out);
void sleep_ms(const virgil_box *in, virgil_box *out);

/* ---- Allocation and tracebacks --------------------------------------------------------- */

EXPORT void *virgil_realloc(void *ptr, size_t size)
{
    return vg_realloc(ptr, size);
}

/* A frame of this file: `file` is __FILE__ as the compiler gives it, relative to the
 * repository root when built from there (examples/c-guest/conformance.c). */
static vg_frame frame_at(const char *function, int line)
{
    return (vg_frame){function, __FILE__, line};
}

static void write_key(mpl_writer *w, const char *key)
{
    mpl_write_cstr(w, key);
}

/* ---- The conformance functions --------------------------------------------------------- */

EXPORT void add(const virgil_box *in, virgil_box *out)
{
    call c;
    int64_t a, b;
    call_init(&c, "add", in, out);
    if (take_args(&c, 2) && arg_int(&c, &a) && arg_int(&c, &b)) {
        if ((b > 0 && a > INT64_MAX - b) || (b < 0 && a < INT64_MIN - b)) {
            FAIL(&c, "OverflowError", "integer overflow");
        } else {
            ok(&c);
            mpl_write_int(&c.reply, a + b);
        }
    }
    call_finish(&c);
}

EXPORT void greet(const virgil_box *in, virgil_box *out)
{
    static const char hello[] = "Hello, ";
    call c;
    const char *name;
    size_t len;
    call_init(&c, "greet", in, out);
    if (take_args(&c, 1) && arg_str(&c, &name, &len)) {
        ok(&c);
        mpl_write_str_header(&c.reply, strlen(hello) + len + 1);
        mpl_write_raw(&c.reply, hello, strlen(hello));
        mpl_write_raw(&c.reply, name, len);
        mpl_write_raw(&c.reply, "!", 1);
    }
    call_finish(&c);
}

EXPORT void divide(const virgil_box *in, virgil_box *out)
{
    call c;
    double a, b;
    call_init(&c, "divide", in, out);
    if (take_args(&c, 2) && arg_float(&c, &a) && arg_float(&c, &b)) {
        if (b == 0.0) {
            FAIL(&c, "ZeroDivisionError", "division by zero");
        } else {
            ok(&c);
            mpl_write_double(&c.reply, a / b);
        }
    }
    call_finish(&c);
}

/* The argument comes back as the same value in its canonical encoding (ABI.md section 5):
 * integers, strings, byte strings, arrays and maps in their smallest form, timestamps by the
 * timestamp rule, other extensions as they came, borrowed values as the inline byte strings and
 * strings they read as (section 16).  Without borrowed values the canonical form is never longer
 * than the argument, so the reply needs one allocation at most. */
EXPORT void echo(const virgil_box *in, virgil_box *out)
{
    call c;
    const uint8_t *value;
    size_t len;
    call_init(&c, "echo", in, out);
    if (take_args(&c, 1) && arg_any(&c, &value, &len)) {
        mpl_reader v;
        mpl_reader_init(&v, value, len);
        v.borrow = c.args.borrow;
        mpl_writer_reserve(&c.reply, OK_HEAD_SIZE + len);
        ok(&c);
        mpl_error err = mpl_copy(&v, &c.reply, vg_realloc);
        if (err != MPL_OK) /* take_args checked it: only the writer can fail here */
            FAIL(&c, vg_error_name(err, VG_INTERNAL_ERROR), "echo: could not write the reply: %s",
                 mpl_strerror(err));
    }
    call_finish(&c);
}

/* Replies the byte string `bytes`: as a view of it again when it was borrowed (ABI.md section
 * 16: memory the caller lent to this call, so no byte is copied), else inline.  An empty one is
 * written inline. */
static void reply_bytes(call *c, const uint8_t *bytes, size_t len, bool borrowed)
{
    if (borrowed && len > 0) {
        ok(c);
        mpl_write_borrowed(&c->reply, MPL_BORROWED_BIN, bytes, len);
        return;
    }
    /* One allocation of the exact size when the scratch buffer is too small: 64 MiB replies
     * are neither grown step by step nor copied twice. */
    mpl_writer_reserve(&c->reply, OK_HEAD_SIZE + mpl_bin_header_size(len) + len);
    ok(c);
    mpl_write_bin(&c->reply, bytes, len);
}

EXPORT void echo_bytes(const virgil_box *in, virgil_box *out)
{
    call c;
    const uint8_t *bytes;
    size_t len;
    call_init(&c, "echo_bytes", in, out);
    if (take_args(&c, 1)) {
        bool borrowed = mpl_peek_borrowed(&c.args);
        if (arg_bin(&c, &bytes, &len))
            reply_bytes(&c, bytes, len, borrowed);
    }
    call_finish(&c);
}

typedef struct summary {
    uint32_t count;
    double sum, min, max;
} summary;

/* Lifts a [float] argument (nil is the empty list), summarizing it on the way. */
static bool arg_summary(call *c, summary *s)
{
    uint32_t n = 0;
    *s = (summary){0, 0.0, 0.0, 0.0};
    if (mpl_read_nil(&c->args) != MPL_OK) {
        mpl_error err = mpl_read_array(&c->args, &n);
        if (err != MPL_OK)
            return bad_value(c, 0, "array", err);
    }
    for (uint32_t i = 0; i < n; i++) {
        double x;
        mpl_error err = mpl_read_number(&c->args, &x);
        if (err != MPL_OK)
            return bad_value(c, i + 1, "float", err);
        s->sum += x;
        s->min = i == 0 || x < s->min ? x : s->min;
        s->max = i == 0 || x > s->max ? x : s->max;
        s->count++;
    }
    c->next++;
    return true;
}

EXPORT void stats(const virgil_box *in, virgil_box *out)
{
    call c;
    summary s;
    call_init(&c, "stats", in, out);
    if (take_args(&c, 1) && arg_summary(&c, &s)) {
        if (s.count == 0) {
            FAIL(&c, "ValueError", "stats: empty list");
        } else {
            ok(&c);
            mpl_write_map(&c.reply, 4);
            write_key(&c.reply, "count");
            mpl_write_uint(&c.reply, s.count);
            write_key(&c.reply, "mean");
            mpl_write_double(&c.reply, s.sum / s.count);
            write_key(&c.reply, "min");
            mpl_write_double(&c.reply, s.min);
            write_key(&c.reply, "max");
            mpl_write_double(&c.reply, s.max);
        }
    }
    call_finish(&c);
}

/* Writes the records ChainLevel{depth} ... ChainLevel1, each the cause of the one before.  The
 * cause is a record's last key, so the chain is written front to back without recursion. */
static void write_chain(mpl_writer *w, int depth, int called_at)
{
    for (int level = depth; level >= 1; level--) {
        char name[32], message[32];
        snprintf(name, sizeof name, "ChainLevel%d", level);
        snprintf(message, sizeof message, "level %d", level);
        const vg_frame traceback[] = {frame_at("fail_chain", called_at),
                                      frame_at(__func__, __LINE__)};
        vg_write_exception_head(w, name, message, traceback, 2);
    }
    mpl_write_nil(w); /* ChainLevel1 has no cause */
}

EXPORT void fail_chain(const virgil_box *in, virgil_box *out)
{
    call c;
    int64_t depth;
    call_init(&c, "fail_chain", in, out);
    if (take_args(&c, 1) && arg_int(&c, &depth)) {
        if (depth < 1 || depth > 100) {
            FAIL(&c, "ValueError", "fail_chain: depth must be between 1 and 100, got %lld",
                 (long long)depth);
        } else {
            vg_write_error(&c.reply);
            write_chain(&c.reply, (int)depth, __LINE__);
        }
    }
    call_finish(&c);
}

/* C has no panics: crash replies the record a panic becomes in the other kits. */
EXPORT void crash(const virgil_box *in, virgil_box *out)
{
    call c;
    call_init(&c, "crash", in, out);
    if (take_args(&c, 0))
        FAIL(&c, VG_PANIC, "crash requested");
    call_finish(&c);
}

static void sleep_for_ms(int64_t ms)
{
    struct timespec left = {.tv_sec = (time_t)(ms / 1000), .tv_nsec = (long)(ms % 1000) * 1000000L};
    while (nanosleep(&left, &left) != 0 && errno == EINTR)
        ; /* interrupted by a signal: sleep what is left */
}

EXPORT void sleep_ms(const virgil_box *in, virgil_box *out)
{
    call c;
    int64_t ms;
    call_init(&c, "sleep_ms", in, out);
    if (take_args(&c, 1) && arg_int(&c, &ms)) {
        if (ms < 0 || ms > 10000) {
            FAIL(&c, "ValueError", "sleep_ms: ms must be between 0 and 10000, got %lld",
                 (long long)ms);
        } else {
            sleep_for_ms(ms);
            ok(&c);
            mpl_write_nil(&c.reply);
        }
    }
    call_finish(&c);
}

/* ---- Manifest and diagnostics ---------------------------------------------------------- */

/* Sorted by name, as the manifest requires (ABI.md section 8). */
static const vg_function functions[] = {
    {"add", 2, (const vg_param[]){{"a", "int"}, {"b", "int"}}, "int",
     "add returns a + b; a sum outside int64 raises OverflowError."},
    {"apply", 2, (const vg_param[]){{"f", "fn(int) -> int"}, {"x", "int"}}, "int",
     "apply returns f(x)."},
    {"crash", 0, NULL, "nil", "crash replies virgil.Panic."},
    {"divide", 2, (const vg_param[]){{"a", "float"}, {"b", "float"}}, "float",
     "divide returns a / b; b == 0 raises ZeroDivisionError."},
    {"echo", 1, (const vg_param[]){{"v", "any"}}, "any", "echo returns v unchanged."},
    {"echo_bytes", 1, (const vg_param[]){{"b", "bytes"}}, "bytes", "echo_bytes returns b."},
    {"fail_attrs", 2, (const vg_param[]){{"code", "int"}, {"reason", "str"}}, "nil",
     "fail_attrs raises QuotaError whose attributes code and reason hold the arguments."},
    {"fail_chain", 1, (const vg_param[]){{"depth", "int"}}, "nil",
     "fail_chain raises ChainLevel{depth}, caused by ChainLevel{depth-1}, ... down to "
     "ChainLevel1; depth must be 1 to 100."},
    {"fail_plain", 1, (const vg_param[]){{"message", "str"}}, "nil",
     "fail_plain raises Exception with the message."},
    {"fire", 1, (const vg_param[]){{"x", "int"}}, "int",
     "fire returns f(x) for the f that register keeps; without one it raises ValueError."},
    {"fold", 3, (const vg_param[]){{"f", "fn(int, int) -> int"}, {"init", "int"}, {"xs", "[int]"}},
     "int", "fold returns f(...f(f(init, x0), x1)..., xn)."},
    {"greet", 1, (const vg_param[]){{"name", "str"}}, "str",
     "greet returns \"Hello, \" + name + \"!\"."},
    {"load_config", 1, (const vg_param[]){{"path", "str"}}, "bytes",
     "load_config returns read_file(path), its failure wrapped in a level \"load config\"."},
    {"map_ints", 2, (const vg_param[]){{"f", "fn(int) -> int"}, {"xs", "[int]"}}, "[int]",
     "map_ints returns [f(x) for x in xs]."},
    {"parse_int", 1, (const vg_param[]){{"s", "str"}}, "int",
     "parse_int parses s as a decimal int64 with strtoll: ValueError, or OverflowError."},
    {"read_file", 1, (const vg_param[]){{"path", "str"}}, "bytes",
     "read_file returns the file's bytes (fopen, fread); failures are OS errors by errno."},
    {"register", 1, (const vg_param[]){{"f", "fn(int) -> int"}}, "nil",
     "register keeps f (retained) for fire, releasing the one it replaces."},
    {"sleep_ms", 1, (const vg_param[]){{"ms", "int"}}, "nil",
     "sleep_ms sleeps ms milliseconds (0 to 10000)."},
    {"stats", 1, (const vg_param[]){{"xs", "[float]"}},
     "{\"count\": int, \"mean\": float, \"min\": float, \"max\": float}",
     "stats summarizes xs; an empty list raises ValueError."},
    {"unregister", 0, NULL, "nil", "unregister releases the f that register keeps, if any."},
};

EXPORT void virgil_manifest(const virgil_box *in, virgil_box *out)
{
    call c;
    (void)in; /* ignored, as the ABI says */
    call_init(&c, "virgil_manifest", NULL, out);
    vg_write_manifest_with(&c.reply, VIRGIL_ABI_VERSION, "conformance", "1.0.0", functions,
                           sizeof functions / sizeof functions[0],
                           (vg_manifest_keys){.borrow = LIBRARY_BORROWS});
    call_finish(&c);
}

EXPORT void virgil_stats(const virgil_box *in, virgil_box *out)
{
    (void)in; /* ignored, as the ABI says */
    vg_reply_stats(out);
}
