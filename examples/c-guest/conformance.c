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
 * virgil_realloc only when it outgrows it, so small calls allocate nothing.  Nothing here has
 * mutable state apart from the allocation counters, which are atomic: every function may be
 * called from many threads at once.
 */
#define _POSIX_C_SOURCE 200809L /* nanosleep */

#include "mpack_lite.h"
#include "virgil.h"

#include <errno.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
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

/* ---- Allocation ------------------------------------------------------------------------ */

static _Atomic uint64_t allocation_count;
static _Atomic uint64_t free_count;

/* virgil_realloc's implementation.  The library's own code calls this static function, never the
 * exported symbol: a process that has loaded several guests globally could otherwise bind our
 * calls to another library's virgil_realloc, mixing allocators. */
static void *counted_realloc(void *ptr, size_t size)
{
    if (size == 0) {
        if (ptr != NULL) {
            free(ptr);
            atomic_fetch_add(&free_count, 1);
        }
        return NULL;
    }
    void *p = realloc(ptr, size); /* on failure `ptr` stays valid, as realloc promises */
    if (p != NULL && ptr == NULL)
        atomic_fetch_add(&allocation_count, 1);
    return p;
}

EXPORT void *virgil_realloc(void *ptr, size_t size)
{
    return counted_realloc(ptr, size);
}

/* ---- Exception records ----------------------------------------------------------------- */

typedef struct frame {
    const char *function;
    int line;
} frame;

static const char *source_file(void)
{
    const char *slash = strrchr(__FILE__, '/');
    return slash != NULL ? slash + 1 : __FILE__;
}

static void write_key(mpl_writer *w, const char *key)
{
    mpl_write_cstr(w, key);
}

static void write_frame(mpl_writer *w, const frame *f)
{
    mpl_write_map(w, 4);
    write_key(w, "function");
    mpl_write_cstr(w, f->function);
    write_key(w, "file");
    mpl_write_cstr(w, source_file());
    write_key(w, "line");
    mpl_write_int(w, f->line);
    write_key(w, "column");
    mpl_write_int(w, 0);
}

/* Writes an exception record (ABI.md section 6, canonical key order, no notes) up to and
 * including the key "cause"; the caller then writes the cause: a record, or nil. */
static void write_record_head(mpl_writer *w, const char *name, const char *message,
                              const frame *frames, size_t nframes)
{
    mpl_write_map(w, 5);
    write_key(w, "name");
    mpl_write_cstr(w, name);
    write_key(w, "message");
    mpl_write_cstr(w, message);
    write_key(w, "language");
    mpl_write_cstr(w, "c");
    write_key(w, "traceback");
    mpl_write_array(w, nframes);
    for (size_t i = 0; i < nframes; i++)
        write_frame(w, &frames[i]);
    write_key(w, "cause");
}

/* ---- One call -------------------------------------------------------------------------- */

typedef struct call {
    const char *function; /* the exported name, for messages */
    mpl_reader args;      /* the argument bytes not read yet */
    unsigned next;        /* position (from 1) of the next argument */
    mpl_writer reply;     /* the reply envelope */
    virgil_box *out;
} call;

/* The caller's scratch buffer, unless there is none or it overlaps the arguments (a reply
 * written there could overwrite arguments still to be read).  Sets *buf to NULL when unusable. */
static void usable_scratch(const virgil_box *out, const uint8_t *args, size_t args_len,
                           uint8_t **buf, size_t *cap)
{
    *buf = NULL;
    *cap = 0;
    if (out == NULL || out->ptr == NULL || out->len == 0)
        return;
    size_t n = out->len > SIZE_MAX ? SIZE_MAX : (size_t)out->len;
    uintptr_t s = (uintptr_t)out->ptr, a = (uintptr_t)args;
    if (args_len > 0 && s < a + args_len && a < s + n)
        return;
    *buf = out->ptr;
    *cap = n;
}

static void call_init(call *c, const char *function, const virgil_box *in, virgil_box *out)
{
    const uint8_t *data = NULL;
    size_t len = 0;
    if (in != NULL && in->ptr != NULL && in->len <= SIZE_MAX) {
        data = in->ptr;
        len = (size_t)in->len;
    }
    uint8_t *scratch;
    size_t cap;
    usable_scratch(out, data, len, &scratch, &cap);

    c->function = function;
    mpl_reader_init(&c->args, data, len);
    c->next = 1;
    mpl_writer_init(&c->reply, counted_realloc, scratch, cap);
    c->out = out;
}

/* Starts the envelope {"ok": ...}; the caller writes the value. */
static void ok(call *c)
{
    mpl_write_map(&c->reply, 1);
    write_key(&c->reply, "ok");
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

    const frame where = {function, line};
    mpl_writer_reset(&c->reply);
    mpl_write_map(&c->reply, 1);
    write_key(&c->reply, "error");
    write_record_head(&c->reply, name, message, &where, 1);
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
    if (c->out == NULL) {
        mpl_writer_destroy(w);
        return;
    }
    if (mpl_writer_error(w) != MPL_OK) {
        mpl_writer_destroy(w);
        c->out->ptr = NULL; /* the host reports virgil.InternalError */
        c->out->len = 0;
    } else if (w->owned) {
        c->out->ptr = w->buf; /* virgil_realloc memory: the caller frees it */
        c->out->len = w->len;
    } else {
        c->out->len = w->len; /* in the scratch buffer, where out->ptr already points */
    }
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
        const frame traceback[] = {{"fail_chain", called_at}, {__func__, __LINE__}};
        write_record_head(w, name, message, traceback, 2);
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
            mpl_write_map(&c.reply, 1);
            write_key(&c.reply, "error");
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

typedef struct param_info {
    const char *name;
    const char *type;
} param_info;

typedef struct function_info {
    const char *name;
    size_t nparams;
    param_info params[2];
    const char *result;
    const char *doc;
} function_info;

/* Sorted by name, as the manifest requires (ABI.md section 8). */
static const function_info functions[] = {
    {"add", 2, {{"a", "int"}, {"b", "int"}}, "int",
     "add returns a + b; a sum outside int64 raises OverflowError."},
    {"crash", 0, {{NULL, NULL}, {NULL, NULL}}, "nil", "crash replies virgil.Panic."},
    {"divide", 2, {{"a", "float"}, {"b", "float"}}, "float",
     "divide returns a / b; b == 0 raises ZeroDivisionError."},
    {"echo", 1, {{"v", "any"}, {NULL, NULL}}, "any", "echo returns v unchanged."},
    {"echo_bytes", 1, {{"b", "bytes"}, {NULL, NULL}}, "bytes", "echo_bytes returns b."},
    {"fail_chain", 1, {{"depth", "int"}, {NULL, NULL}}, "nil",
     "fail_chain raises ChainLevel{depth}, caused by ChainLevel{depth-1}, ... down to "
     "ChainLevel1; depth must be 1 to 100."},
    {"greet", 1, {{"name", "str"}, {NULL, NULL}}, "str",
     "greet returns \"Hello, \" + name + \"!\"."},
    {"sleep_ms", 1, {{"ms", "int"}, {NULL, NULL}}, "nil",
     "sleep_ms sleeps ms milliseconds (0 to 10000)."},
    {"stats", 1, {{"xs", "[float]"}, {NULL, NULL}},
     "{\"count\": int, \"mean\": float, \"min\": float, \"max\": float}",
     "stats summarizes xs; an empty list raises ValueError."},
};

static void write_function_info(mpl_writer *w, const function_info *f)
{
    mpl_write_map(w, 4);
    write_key(w, "name");
    mpl_write_cstr(w, f->name);
    write_key(w, "params");
    mpl_write_array(w, f->nparams);
    for (size_t i = 0; i < f->nparams; i++) {
        mpl_write_map(w, 2);
        write_key(w, "name");
        mpl_write_cstr(w, f->params[i].name);
        write_key(w, "type");
        mpl_write_cstr(w, f->params[i].type);
    }
    write_key(w, "result");
    mpl_write_cstr(w, f->result);
    write_key(w, "doc");
    mpl_write_cstr(w, f->doc);
}

EXPORT void virgil_manifest(const virgil_box *in, virgil_box *out)
{
    const size_t n = sizeof functions / sizeof functions[0];
    call c;
    (void)in; /* ignored, as the ABI says */
    call_init(&c, "virgil_manifest", NULL, out);
    ok(&c);
    mpl_write_map(&c.reply, 5);
    write_key(&c.reply, "abi");
    mpl_write_int(&c.reply, VIRGIL_ABI_VERSION);
    write_key(&c.reply, "library");
    mpl_write_cstr(&c.reply, "conformance");
    write_key(&c.reply, "language");
    mpl_write_cstr(&c.reply, "c");
    write_key(&c.reply, "version");
    mpl_write_cstr(&c.reply, "1.0.0");
    write_key(&c.reply, "functions");
    mpl_write_array(&c.reply, n);
    for (size_t i = 0; i < n; i++)
        write_function_info(&c.reply, &functions[i]);
    call_finish(&c);
}

EXPORT void virgil_stats(const virgil_box *in, virgil_box *out)
{
    call c;
    (void)in;
    /* Frees are read first: every free follows its allocation, so even with other threads
     * allocating and freeing meanwhile, `live` never comes out negative. */
    uint64_t frees = atomic_load(&free_count);
    uint64_t allocations = atomic_load(&allocation_count);
    call_init(&c, "virgil_stats", NULL, out);
    ok(&c);
    mpl_write_map(&c.reply, 3);
    write_key(&c.reply, "allocations");
    mpl_write_uint(&c.reply, allocations);
    write_key(&c.reply, "frees");
    mpl_write_uint(&c.reply, frees);
    write_key(&c.reply, "live");
    mpl_write_uint(&c.reply, allocations - frees);
    call_finish(&c);
}
