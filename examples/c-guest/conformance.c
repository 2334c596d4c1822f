/*
 * conformance.c: the Virgil conformance library (cabi/ABI.md section 9) in plain C11.
 *
 * Every exported function has the one ABI signature and follows the same steps:
 *   1. call_init:  look at the caller's scratch buffer and the argument bytes;
 *   2. take_args:  check that `in` is exactly one well-formed array of the right length;
 *   3. arg_*:      lift each argument, replying virgil.ArgumentError when it has the wrong type;
 *   4. do the work, then write {"ok": value}, or {"error": record} with FAIL;
 *   5. call_finish: hand the reply over, in the scratch buffer or in virgil_realloc memory.
 * The reply is written straight into the scratch buffer while it fits, and moves to memory from
 * virgil_realloc only when it outgrows it, so small calls allocate nothing.  The allocator, the
 * reply handover, exception records and the manifest and stats replies come from
 * virgil_guest.c, shared with the Go host's C test guests.  Nothing has mutable state apart from
 * the allocation counters, which are atomic: every function may be called from many threads at
 * once.
 */
#define _POSIX_C_SOURCE 200809L /* nanosleep */

#include "mpack_lite.h"
#include "virgil.h"
#include "virgil_guest.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#define EXPORT __attribute__((visibility("default")))

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

#define ARGUMENT_ERROR "virgil.ArgumentError"

/* ---- Allocation and tracebacks --------------------------------------------------------- */

EXPORT void *virgil_realloc(void *ptr, size_t size)
{
    return vg_realloc(ptr, size);
}

/* The frames of this file's tracebacks name it without its directory. */
static vg_frame frame_at(const char *function, int line)
{
    const char *slash = strrchr(__FILE__, '/');
    return (vg_frame){function, slash != NULL ? slash + 1 : __FILE__, line};
}

static void write_key(mpl_writer *w, const char *key)
{
    mpl_write_cstr(w, key);
}

/* ---- One call -------------------------------------------------------------------------- */

typedef struct call {
    const char *function; /* the exported name, for messages */
    mpl_reader args;      /* the argument bytes not read yet */
    unsigned next;        /* position (from 1) of the next argument */
    mpl_writer reply;     /* the reply envelope */
    virgil_box *out;
} call;

static void call_init(call *c, const char *function, const virgil_box *in, virgil_box *out)
{
    c->function = function;
    vg_args_init(&c->args, in);
    c->next = 1;
    vg_reply_start(&c->reply, in, out);
    c->out = out;
}

/* Starts the envelope {"ok": ...}; the caller writes the value. */
static void ok(call *c)
{
    vg_write_ok(&c->reply);
}

/* Replaces whatever was written with {"error": record}, a record with one frame and no cause.
 * Use it through FAIL, which names the C function and line where the failure happens. */
__attribute__((format(printf, 5, 6))) static void fail(call *c, const char *function, int line,
                                                        const char *name, const char *format, ...)
{
    char message[256];
    va_list ap;
    va_start(ap, format);
    vsnprintf(message, sizeof message, format, ap);
    va_end(ap);

    const vg_frame where = frame_at(function, line);
    mpl_writer_reset(&c->reply);
    vg_write_error(&c->reply);
    vg_write_exception_head(&c->reply, name, message, &where, 1);
    mpl_write_nil(&c->reply);
}

#define FAIL(c, name, ...) fail((c), __func__, __LINE__, (name), __VA_ARGS__)

/* Hands the reply to the caller (ABI.md section 3). */
static void call_finish(call *c)
{
    mpl_writer *w = &c->reply;
    mpl_error err = mpl_writer_error(w);
    if (err != MPL_OK) /* try to say so; a small record often fits where the reply did not */
        FAIL(c, "virgil.InternalError", "%s: could not write the reply: %s", c->function,
             mpl_strerror(err));
    vg_reply_finish(w, c->out);
}

/* ---- Arguments ------------------------------------------------------------------------- */

static bool malformed(call *c, mpl_error err)
{
    FAIL(c, ARGUMENT_ERROR, "%s: malformed arguments: %s", c->function, mpl_strerror(err));
    return false;
}

/* Checks that `in` is one well-formed array of `arity` values with nothing after it, and leaves
 * c->args at its first element.  Checking the whole structure first means that the typed reads
 * after it can only meet values of the wrong type, never broken ones. */
static bool take_args(call *c, uint32_t arity)
{
    uint32_t count;
    mpl_type got;
    if (mpl_reader_remaining(&c->args) == 0) {
        FAIL(c, ARGUMENT_ERROR, "%s: malformed arguments: empty input, expected an array",
             c->function);
        return false;
    }
    mpl_error err = mpl_read_array(&c->args, &count);
    if (err == MPL_ERR_TYPE && mpl_peek_type(&c->args, &got) == MPL_OK) {
        FAIL(c, ARGUMENT_ERROR, "%s: arguments must be an array, got %s", c->function,
             mpl_type_name(got));
        return false;
    }
    if (err != MPL_OK)
        return malformed(c, err);

    mpl_reader rest = c->args;
    for (uint32_t i = 0; i < count; i++)
        if ((err = mpl_skip(&rest)) != MPL_OK)
            return malformed(c, err);
    if (mpl_reader_remaining(&rest) != 0) {
        size_t n = mpl_reader_remaining(&rest);
        FAIL(c, ARGUMENT_ERROR, "%s: malformed arguments: %zu trailing byte%s after the array",
             c->function, n, n == 1 ? "" : "s");
        return false;
    }
    if (count != arity) {
        FAIL(c, ARGUMENT_ERROR, "%s: expected %u argument%s, got %u", c->function,
             (unsigned)arity, arity == 1 ? "" : "s", (unsigned)count);
        return false;
    }
    return true;
}

/* Replies the ArgumentError for the value at c->args, which was not a `want`.  `element` is the
 * position (from 1) inside a list argument, or 0 for the argument itself. */
static bool bad_value(call *c, uint32_t element, const char *want, mpl_error err)
{
    char where[64];
    mpl_type got;
    if (element > 0)
        snprintf(where, sizeof where, "argument %u: element %u", c->next, (unsigned)element);
    else
        snprintf(where, sizeof where, "argument %u", c->next);

    if (err == MPL_ERR_TYPE && mpl_peek_type(&c->args, &got) == MPL_OK)
        FAIL(c, ARGUMENT_ERROR, "%s: %s: expected %s, got %s", c->function, where, want,
             mpl_type_name(got));
    else if (err == MPL_ERR_RANGE)
        FAIL(c, ARGUMENT_ERROR, "%s: %s: %s out of range", c->function, where, want);
    else
        FAIL(c, ARGUMENT_ERROR, "%s: %s: %s", c->function, where, mpl_strerror(err));
    return false;
}

/* Ends the lifting of one argument: on to the next one, or the error. */
static bool lifted(call *c, const char *want, mpl_error err)
{
    if (err != MPL_OK)
        return bad_value(c, 0, want, err);
    c->next++;
    return true;
}

static bool arg_int(call *c, int64_t *value)
{
    return lifted(c, "int", mpl_read_int(&c->args, value));
}

/* A float parameter also accepts integers (ABI.md section 5). */
static bool arg_float(call *c, double *value)
{
    return lifted(c, "float", mpl_read_number(&c->args, value));
}

static bool arg_str(call *c, const char **str, size_t *len)
{
    return lifted(c, "str", mpl_read_str(&c->args, str, len));
}

static bool arg_bin(call *c, const uint8_t **bin, size_t *len)
{
    return lifted(c, "bin", mpl_read_bin(&c->args, bin, len));
}

/* Any one value, as a view of its encoded bytes. */
static bool arg_any(call *c, const uint8_t **bytes, size_t *len)
{
    size_t start = c->args.pos;
    if (!lifted(c, "any", mpl_skip(&c->args)))
        return false;
    *bytes = c->args.data + start;
    *len = c->args.pos - start;
    return true;
}

/* ---- The conformance functions --------------------------------------------------------- */

/* The bytes of {"ok": before the value. */
#define OK_HEAD_SIZE 4

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

/* The argument is already one well-formed value (take_args skipped it), so its bytes are copied
 * as they are: the value comes back unchanged whatever its type, extensions included. */
EXPORT void echo(const virgil_box *in, virgil_box *out)
{
    call c;
    const uint8_t *value;
    size_t len;
    call_init(&c, "echo", in, out);
    if (take_args(&c, 1) && arg_any(&c, &value, &len)) {
        mpl_writer_reserve(&c.reply, OK_HEAD_SIZE + len);
        ok(&c);
        mpl_write_raw(&c.reply, value, len);
    }
    call_finish(&c);
}

EXPORT void echo_bytes(const virgil_box *in, virgil_box *out)
{
    call c;
    const uint8_t *bytes;
    size_t len;
    call_init(&c, "echo_bytes", in, out);
    if (take_args(&c, 1) && arg_bin(&c, &bytes, &len)) {
        /* One allocation of the exact size when the scratch buffer is too small: 64 MiB
         * replies are neither grown step by step nor copied twice. */
        mpl_writer_reserve(&c.reply, OK_HEAD_SIZE + mpl_bin_header_size(len) + len);
        ok(&c);
        mpl_write_bin(&c.reply, bytes, len);
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
        FAIL(&c, "virgil.Panic", "crash requested");
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
    {"crash", 0, NULL, "nil", "crash replies virgil.Panic."},
    {"divide", 2, (const vg_param[]){{"a", "float"}, {"b", "float"}}, "float",
     "divide returns a / b; b == 0 raises ZeroDivisionError."},
    {"echo", 1, (const vg_param[]){{"v", "any"}}, "any", "echo returns v unchanged."},
    {"echo_bytes", 1, (const vg_param[]){{"b", "bytes"}}, "bytes", "echo_bytes returns b."},
    {"fail_chain", 1, (const vg_param[]){{"depth", "int"}}, "nil",
     "fail_chain raises ChainLevel{depth}, caused by ChainLevel{depth-1}, ... down to "
     "ChainLevel1; depth must be 1 to 100."},
    {"greet", 1, (const vg_param[]){{"name", "str"}}, "str",
     "greet returns \"Hello, \" + name + \"!\"."},
    {"sleep_ms", 1, (const vg_param[]){{"ms", "int"}}, "nil",
     "sleep_ms sleeps ms milliseconds (0 to 10000)."},
    {"stats", 1, (const vg_param[]){{"xs", "[float]"}},
     "{\"count\": int, \"mean\": float, \"min\": float, \"max\": float}",
     "stats summarizes xs; an empty list raises ValueError."},
};

EXPORT void virgil_manifest(const virgil_box *in, virgil_box *out)
{
    call c;
    (void)in; /* ignored, as the ABI says */
    call_init(&c, "virgil_manifest", NULL, out);
    vg_write_manifest(&c.reply, VIRGIL_ABI_VERSION, "conformance", "1.0.0", functions,
                      sizeof functions / sizeof functions[0]);
    call_finish(&c);
}

EXPORT void virgil_stats(const virgil_box *in, virgil_box *out)
{
    (void)in; /* ignored, as the ABI says */
    vg_reply_stats(out);
}
