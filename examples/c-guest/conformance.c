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
 * virgil_guest.c, shared with the Go host's C test guests, and so does calling closures
 * (section 15) for apply, map_ints, fold and fire.  The only mutable state is the allocation
 * counters, which are atomic, and the closure register keeps, behind a mutex: every function
 * may be called from many threads at once.
 */
#define _POSIX_C_SOURCE 200809L /* nanosleep */

#include "mpack_lite.h"
#include "virgil.h"
#include "virgil_guest.h"

#include <ctype.h>
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
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

/* Errors of ordinary code (ABI.md section 9, cabi/conformance/errors.json). */
void read_file(const virgil_box *in, virgil_box *out);
void load_config(const virgil_box *in, virgil_box *out);
void parse_int(const virgil_box *in, virgil_box *out);
void fail_plain(const virgil_box *in, virgil_box *out);
void fail_attrs(const virgil_box *in, virgil_box *out);

/* The closure functions (ABI.md section 15, cabi/conformance/callbacks.json).  `register` is a C
 * keyword, so its C name is register_closure and the assembler label gives the symbol its name. */
void apply(const virgil_box *in, virgil_box *out);
void map_ints(const virgil_box *in, virgil_box *out);
void fold(const virgil_box *in, virgil_box *out);
void register_closure(const virgil_box *in, virgil_box *out) __asm__("register");
void fire(const virgil_box *in, virgil_box *out);
void unregister(const virgil_box *in, virgil_box *out);

#define ARGUMENT_ERROR VG_ARGUMENT_ERROR

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

/* ---- One call -------------------------------------------------------------------------- */

typedef struct call {
    const char *function; /* the exported name, for messages */
    mpl_reader args;      /* the argument bytes not read yet */
    unsigned next;        /* position (from 1) of the next argument */
    mpl_writer reply;     /* the reply envelope */
    virgil_box *out;
    bool broken_in;       /* in is {NULL, n > 0}: a broken box, never read (ABI.md section 2) */
} call;

static void call_init(call *c, const char *function, const virgil_box *in, virgil_box *out)
{
    c->function = function;
    c->broken_in = in != NULL && in->ptr == NULL && in->len > 0;
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

/* Replaces whatever was written with {"error": chain}: the levels outermost first, each the
 * cause of the one before. */
static void raise_chain(call *c, const vg_exception *levels, size_t n)
{
    mpl_writer_reset(&c->reply);
    vg_write_error(&c->reply);
    vg_write_exception_chain(&c->reply, levels, n);
}

/* The length of the longest start of s[0..len) that ends on a UTF-8 character boundary, so that
 * text cut to fit a buffer stays valid UTF-8 (a record's message is a str). */
static size_t utf8_cut(const char *s, size_t len)
{
    size_t start = len;
    while (start > 0 && ((unsigned char)s[start - 1] & 0xC0) == 0x80)
        start--; /* back over continuation bytes to the last lead byte */
    if (start == 0)
        return len;
    unsigned char lead = (unsigned char)s[start - 1];
    size_t need = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : lead >= 0xC0 ? 2 : 1;
    return len - (start - 1) >= need ? len : start - 1;
}

/* vsnprintf into message[size], cutting a message too long at a character boundary. */
static void format_message(char *message, size_t size, const char *format, va_list ap)
{
    int n = vsnprintf(message, size, format, ap);
    if (n < 0)
        message[0] = '\0';
    else if ((size_t)n >= size)
        message[utf8_cut(message, size - 1)] = '\0';
}

/* Replaces whatever was written with {"error": record}, a record with one frame and no cause.
 * Use it through FAIL, which names the C function and line where the failure happens. */
__attribute__((format(printf, 5, 6))) static void fail(call *c, const char *function, int line,
                                                        const char *name, const char *format, ...)
{
    char message[256];
    va_list ap;
    va_start(ap, format);
    format_message(message, sizeof message, format, ap);
    va_end(ap);

    const vg_frame where = frame_at(function, line);
    const vg_exception e = {name, message, &where, 1, NULL, 0};
    raise_chain(c, &e, 1);
}

#define FAIL(c, name, ...) fail((c), __func__, __LINE__, (name), __VA_ARGS__)

/* Hands the reply to the caller (ABI.md section 3). */
static void call_finish(call *c)
{
    mpl_writer *w = &c->reply;
    mpl_error err = mpl_writer_error(w);
    if (err != MPL_OK) /* try to say so; a small record often fits where the reply did not */
        FAIL(c, vg_error_name(err, VG_INTERNAL_ERROR), "%s: could not write the reply: %s",
             c->function, mpl_strerror(err));
    vg_reply_finish(w, c->out);
}

/* ---- Arguments ------------------------------------------------------------------------- */

/* Replies the failure to read the arguments: virgil.LimitExceeded for nesting deeper than 512,
 * virgil.OutOfMemory when checking them needed memory there was not, else malformed arguments,
 * virgil.ArgumentError. */
static bool malformed(call *c, mpl_error err)
{
    const char *name = vg_error_name(err, ARGUMENT_ERROR);
    if (strcmp(name, ARGUMENT_ERROR) == 0)
        FAIL(c, name, "%s: malformed arguments: %s", c->function, mpl_strerror(err));
    else
        FAIL(c, name, "%s: arguments: %s", c->function, mpl_strerror(err));
    return false;
}

/* Checks that `in` is one well-formed array of `arity` values with nothing after it, and leaves
 * c->args at its first element.  Every argument is checked whole against the edges of ABI.md
 * section 5 (mpl_copy: UTF-8, timestamps, scalar and distinct map keys, nesting at most 512 deep
 * counted from the argument itself), so the typed reads after it can only meet values of the
 * wrong type, never broken ones. */
static bool take_args(call *c, uint32_t arity)
{
    uint32_t count;
    mpl_type got;
    if (c->broken_in) {
        FAIL(c, VG_PROTOCOL_ERROR, "%s: protocol error: the argument box is NULL with a length",
             c->function);
        return false;
    }
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
        if ((err = mpl_copy(&rest, NULL, vg_realloc)) != MPL_OK)
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

    mpl_reader at = c->args;
    int8_t ext;
    const uint8_t *body;
    size_t len;
    if (err == MPL_ERR_TYPE && mpl_read_ext(&at, &ext, &body, &len) == MPL_OK)
        FAIL(c, ARGUMENT_ERROR, "%s: %s: expected %s, got ext %d", c->function, where, want,
             (int)ext); /* ABI.md section 5: `expected int, got ext 1` */
    else if (err == MPL_ERR_TYPE && mpl_peek_type(&c->args, &got) == MPL_OK)
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

/* A closure (ABI.md section 15).  Any other value, an ext of another type included, is
 * `expected fn, got ...`; a closure whose function pointers are NULL could never be called. */
static bool arg_fn(call *c, vg_closure *f)
{
    mpl_error err = vg_read_closure(&c->args, f);
    if (err != MPL_OK)
        return bad_value(c, 0, "fn", err);
    if (f->call == NULL || f->realloc == NULL || f->retain == NULL || f->release == NULL) {
        FAIL(c, ARGUMENT_ERROR, "%s: argument %u: a closure with a NULL function pointer",
             c->function, c->next);
        return false;
    }
    c->next++;
    return true;
}

/* An [int] argument (nil is the empty list), checked whole before any of it is used, so that
 * a bad element is an ArgumentError before any callback has run.  `items` is left at the first
 * element: mpl_read_int on it then cannot fail. */
typedef struct int_list {
    mpl_reader items;
    uint32_t count;
} int_list;

static bool arg_int_list(call *c, int_list *xs)
{
    xs->count = 0;
    if (mpl_read_nil(&c->args) != MPL_OK) {
        mpl_error err = mpl_read_array(&c->args, &xs->count);
        if (err != MPL_OK)
            return bad_value(c, 0, "array", err);
    }
    xs->items = c->args;
    for (uint32_t i = 0; i < xs->count; i++) {
        int64_t x;
        mpl_error err = mpl_read_int(&c->args, &x);
        if (err != MPL_OK)
            return bad_value(c, i + 1, "int", err);
    }
    c->next++;
    return true;
}

static int64_t next_int(int_list *xs)
{
    int64_t x = 0;
    (void)mpl_read_int(&xs->items, &x); /* checked by arg_int_list */
    return x;
}

/* ---- Calling closures ------------------------------------------------------------------ */

/* Replies the failure of a callback: an exception of this function's, CallbackFailed, whose
 * cause is the callback's record copied as it came, so the caller sees this level and then the
 * closure's side's (ABI.md section 15).  A chain that has no room for another level (section 6)
 * is replied as it came.  Use it through CALLBACK_FAILED. */
static void callback_failed(call *c, const char *function, int line, const vg_callback *cb)
{
    const vg_frame where = frame_at(function, line);
    char message[128];
    snprintf(message, sizeof message, "%s: the callback failed", c->function);
    mpl_writer_reset(&c->reply);
    vg_write_error(&c->reply);
    if (cb->chain < VG_MAX_CHAIN)
        vg_write_exception_head(&c->reply, "CallbackFailed", message, &where, 1);
    mpl_reader record; /* checked whole by vg_callback_call: written back canonically */
    mpl_reader_init(&record, cb->value, cb->value_len);
    (void)mpl_copy(&record, &c->reply, vg_realloc); /* a writer failure is sticky: call_finish */
}

/* Calls `f` with the integer arguments and lifts its int result.  When the call fails, or its
 * reply is not an int, the reply is the error and the result false.  Use it through CALL_INT,
 * which names the C function and line for the traceback. */
static bool call_int(call *c, const char *function, int line, const vg_closure *f,
                     const int64_t *args, size_t nargs, int64_t *result)
{
    uint8_t buf[32]; /* [a, b]: at most 1 + 2 * 9 bytes */
    mpl_writer w;
    mpl_writer_init(&w, vg_realloc, buf, sizeof buf);
    mpl_write_array(&w, nargs);
    for (size_t i = 0; i < nargs; i++)
        mpl_write_int(&w, args[i]);
    if (mpl_writer_error(&w) != MPL_OK) {
        fail(c, function, line, vg_error_name(mpl_writer_error(&w), VG_INTERNAL_ERROR),
             "%s: could not write the arguments: %s",
             c->function, mpl_strerror(mpl_writer_error(&w)));
        mpl_writer_destroy(&w);
        return false;
    }

    vg_callback cb;
    bool done = false;
    switch (vg_callback_call(&cb, f, w.buf, w.len)) {
    case VG_CALL_OK: {
        mpl_reader value;
        mpl_type got;
        mpl_reader_init(&value, cb.value, cb.value_len);
        mpl_error err = mpl_read_int(&value, result);
        if (err == MPL_OK)
            done = true;
        else if (err == MPL_ERR_TYPE && mpl_peek_type(&value, &got) == MPL_OK)
            fail(c, function, line, VG_RESULT_ERROR,
                 "%s: the callback's result: expected int, got %s", c->function,
                 mpl_type_name(got));
        else
            fail(c, function, line, VG_RESULT_ERROR, "%s: the callback's result: %s",
                 c->function, mpl_strerror(err));
        break;
    }
    case VG_CALL_ERROR:
        callback_failed(c, function, line, &cb);
        break;
    case VG_CALL_BROKEN:
        fail(c, function, line, cb.problem_name, "%s: %s", c->function, cb.problem);
        break;
    }
    vg_callback_done(&cb);
    mpl_writer_destroy(&w);
    return done;
}

#define CALL_INT(c, f, args, nargs, result)                                                       \
    call_int((c), __func__, __LINE__, (f), (args), (nargs), (result))

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

/* The argument comes back as the same value in its canonical encoding (ABI.md section 5):
 * integers, strings, byte strings, arrays and maps in their smallest form, timestamps by the
 * timestamp rule, other extensions as they came.  The canonical form is never longer than the
 * argument, so the reply needs one allocation at most. */
EXPORT void echo(const virgil_box *in, virgil_box *out)
{
    call c;
    const uint8_t *value;
    size_t len;
    call_init(&c, "echo", in, out);
    if (take_args(&c, 1) && arg_any(&c, &value, &len)) {
        mpl_reader v;
        mpl_reader_init(&v, value, len);
        mpl_writer_reserve(&c.reply, OK_HEAD_SIZE + len);
        ok(&c);
        mpl_error err = mpl_copy(&v, &c.reply, vg_realloc);
        if (err != MPL_OK) /* take_args checked it: only the writer can fail here */
            FAIL(&c, vg_error_name(err, VG_INTERNAL_ERROR), "echo: could not write the reply: %s",
                 mpl_strerror(err));
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

/* ---- Errors of ordinary code ---------------------------------------------------------- */

/* These fail the way plain C fails: through errno and strtoll, and through a user's own error
 * struct.  Each failure names the C function that raised it (VG_HERE), never the glue. */

/* A NUL-terminated copy of s[0..len) in vg_realloc memory, or NULL with errno ENOMEM. */
static char *copy_cstr(const char *s, size_t len)
{
    char *copy = len < SIZE_MAX ? vg_realloc(NULL, len + 1) : NULL;
    if (copy == NULL) {
        errno = ENOMEM;
        return NULL;
    }
    memcpy(copy, s, len);
    copy[len] = '\0';
    return copy;
}

static void free_cstr(char *s)
{
    vg_realloc(s, 0);
}

/* A str argument as a C string (freed with free_cstr).  C strings cannot hold a NUL byte: one
 * inside the text is a ValueError, as in Python ("embedded null byte"). */
static bool arg_cstr(call *c, char **s, size_t *len)
{
    const char *text;
    if (!arg_str(c, &text, len))
        return false;
    if (memchr(text, '\0', *len) != NULL) {
        FAIL(c, "ValueError", "%s: argument %u: embedded null byte", c->function, c->next - 1);
        return false;
    }
    if ((*s = copy_cstr(text, *len)) == NULL) {
        FAIL(c, VG_OUT_OF_MEMORY, "%s: argument %u: out of memory", c->function, c->next - 1);
        return false;
    }
    return true;
}

/* Replaces the reply with an OS error (ABI.md section 7.1): named by `errnum`, the system's
 * text as its message, the attributes errno and filename. */
static void fail_os(call *c, int errnum, const char *path, size_t len, const vg_frame *frames,
                    size_t nframes)
{
    vg_os_error e;
    vg_os_error_init(&e, errnum, path, len, frames, nframes);
    raise_chain(c, &e.level, 1);
}

/* Replaces the reply with a level of its own around `cause`, the way a transparent wrapper
 * (Go's fmt.Errorf("...: %w", err)) adds context: named like its cause, its own message and the
 * frame where it was added. */
static void raise_wrapped(call *c, vg_frame where, const char *message, const vg_exception *cause)
{
    const vg_exception chain[] = {{cause->name, message, &where, 1, NULL, 0}, *cause};
    raise_chain(c, chain, 2);
}

/* A file's bytes, in vg_realloc memory. */
typedef struct file_bytes {
    uint8_t *data;
    size_t len;
} file_bytes;

/* Reads the whole file at `path` with fopen and fread, into fb (free fb->data with
 * vg_realloc(fb->data, 0)).  On failure it returns false with errno set and nothing to free, and
 * the traceback of the failure in traceback[2]: `caller` (the caller's VG_HERE(), the line of
 * this call), then the line here that failed.  A directory opens, and its first fread fails
 * with EISDIR. */
static bool read_file_contents(const char *path, file_bytes *fb, vg_frame caller,
                               vg_frame traceback[2])
{
    vg_frame *where = &traceback[1];
    traceback[0] = caller;
    *fb = (file_bytes){NULL, 0};
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        *where = VG_HERE();
        return false;
    }
    size_t cap = 0;
    for (;;) {
        if (fb->len == cap) {
            size_t grown = cap == 0 ? 4096 : cap * 2;
            uint8_t *data = grown > cap ? vg_realloc(fb->data, grown) : NULL;
            if (data == NULL) {
                *where = VG_HERE();
                vg_realloc(fb->data, 0);
                fclose(f);
                errno = ENOMEM;
                return false;
            }
            fb->data = data;
            cap = grown;
        }
        errno = 0;
        size_t want = cap - fb->len, got = fread(fb->data + fb->len, 1, want, f);
        fb->len += got;
        if (got == want)
            continue;
        if (ferror(f)) {
            int err = errno != 0 ? errno : EIO; /* fread sets errno from read(2) */
            *where = VG_HERE();
            vg_realloc(fb->data, 0);
            *fb = (file_bytes){NULL, 0};
            fclose(f);
            errno = err;
            return false;
        }
        break; /* end of file */
    }
    fclose(f); /* opened for reading only: nothing can be lost if it fails */
    return true;
}

/* Replies {"ok": bytes} and frees them. */
static void reply_file(call *c, file_bytes *fb)
{
    mpl_writer_reserve(&c->reply, OK_HEAD_SIZE + mpl_bin_header_size(fb->len) + fb->len);
    ok(c);
    mpl_write_bin(&c->reply, fb->data, fb->len);
    vg_realloc(fb->data, 0);
}

EXPORT void read_file(const virgil_box *in, virgil_box *out)
{
    call c;
    char *path = NULL;
    size_t len;
    call_init(&c, "read_file", in, out);
    if (take_args(&c, 1) && arg_cstr(&c, &path, &len)) {
        file_bytes fb;
        vg_frame traceback[2];
        if (read_file_contents(path, &fb, VG_HERE(), traceback))
            reply_file(&c, &fb);
        else
            fail_os(&c, errno, path, len, traceback, 2);
    }
    free_cstr(path);
    call_finish(&c);
}

/* read_file's failure wrapped in a level of its own, as Go's fmt.Errorf("load config: %w", err)
 * would: named like its cause (C has no wrapper type to name it), message "load config". */
EXPORT void load_config(const virgil_box *in, virgil_box *out)
{
    call c;
    char *path = NULL;
    size_t len;
    call_init(&c, "load_config", in, out);
    if (take_args(&c, 1) && arg_cstr(&c, &path, &len)) {
        file_bytes fb;
        vg_frame traceback[2];
        if (read_file_contents(path, &fb, VG_HERE(), traceback)) {
            reply_file(&c, &fb);
        } else {
            vg_os_error cause;
            vg_os_error_init(&cause, errno, path, len, traceback, 2);
            raise_wrapped(&c, VG_HERE(), "load config", &cause.level);
        }
    }
    free_cstr(path);
    call_finish(&c);
}

/* At most the first `max` bytes of s[0..len), cut at a character boundary: for quoting input
 * in messages with "%.*s". */
static int quote_len(const char *s, size_t len, size_t max)
{
    return (int)(len <= max ? len : utf8_cut(s, max));
}

/* s parsed as a decimal int64 with strtoll, the whole string: an optional sign and digits,
 * nothing before or after them (strtoll itself would skip leading white space and stop at
 * the first non-digit). */
EXPORT void parse_int(const virgil_box *in, virgil_box *out)
{
    call c;
    const char *s;
    size_t len;
    call_init(&c, "parse_int", in, out);
    if (take_args(&c, 1) && arg_str(&c, &s, &len)) {
        char *text = copy_cstr(s, len);
        int q = quote_len(s, len, 64);
        const char *more = (size_t)q < len ? "..." : "";
        if (text == NULL) {
            FAIL(&c, VG_OUT_OF_MEMORY, "parse_int: out of memory");
        } else {
            char *end;
            errno = 0;
            long long value = strtoll(text, &end, 10);
            if (len == 0 || isspace((unsigned char)text[0]) || end != text + len) {
                FAIL(&c, "ValueError", "parse_int: not a decimal integer: \"%.*s%s\"", q, s,
                     more);
            } else if (errno == ERANGE) {
                FAIL(&c, "OverflowError", "parse_int: out of the 64-bit range: \"%.*s%s\"", q,
                     s, more);
            } else {
                ok(&c);
                mpl_write_int(&c.reply, value);
            }
        }
        free_cstr(text);
    }
    call_finish(&c);
}

/* Replies the plainest error: a message, named "Exception". */
static void raise_plain(call *c, vg_frame where, const char *message)
{
    const vg_exception e = {"Exception", message, &where, 1, NULL, 0};
    raise_chain(c, &e, 1);
}

/* The plainest failure C code has: a message.  It crosses as "Exception" (ABI.md section 7.1,
 * like Go's errors.New), the message whole, however long. */
EXPORT void fail_plain(const virgil_box *in, virgil_box *out)
{
    call c;
    char *message = NULL;
    size_t len;
    call_init(&c, "fail_plain", in, out);
    if (take_args(&c, 1) && arg_cstr(&c, &message, &len)) {
        raise_plain(&c, VG_HERE(), message);
    }
    free_cstr(message);
    call_finish(&c);
}

/* A user's own error type: the struct a quota check returns.  It crosses as a record named after
 * it whose attributes are its fields (ABI.md section 6). */
typedef struct quota_error {
    int64_t code;
    const char *reason; /* reason_len bytes of UTF-8, not NUL-terminated */
    size_t reason_len;
} quota_error;

/* Replies `q` as its record, with the frame where it was raised. */
static void raise_quota_error(call *c, const quota_error *q, vg_frame where)
{
    char message[256];
    snprintf(message, sizeof message, "quota exceeded: %.*s (code %lld)",
             quote_len(q->reason, q->reason_len, 160), q->reason, (long long)q->code);
    const vg_attr fields[] = {VG_INT_ATTR("code", q->code),
                              VG_STR_ATTR("reason", q->reason, q->reason_len)};
    const vg_exception e = {"QuotaError", message, &where, 1, fields, 2};
    raise_chain(c, &e, 1);
}

EXPORT void fail_attrs(const virgil_box *in, virgil_box *out)
{
    call c;
    quota_error q;
    call_init(&c, "fail_attrs", in, out);
    if (take_args(&c, 2) && arg_int(&c, &q.code) && arg_str(&c, &q.reason, &q.reason_len))
        raise_quota_error(&c, &q, VG_HERE());
    call_finish(&c);
}

/* ---- Closures ------------------------------------------------------------------------- */

EXPORT void apply(const virgil_box *in, virgil_box *out)
{
    call c;
    vg_closure f;
    int64_t x, y;
    call_init(&c, "apply", in, out);
    if (take_args(&c, 2) && arg_fn(&c, &f) && arg_int(&c, &x) && CALL_INT(&c, &f, &x, 1, &y)) {
        ok(&c);
        mpl_write_int(&c.reply, y);
    }
    call_finish(&c);
}

/* The results are written as they come, after the array's header: the length is known. */
EXPORT void map_ints(const virgil_box *in, virgil_box *out)
{
    call c;
    vg_closure f;
    int_list xs;
    call_init(&c, "map_ints", in, out);
    if (take_args(&c, 2) && arg_fn(&c, &f) && arg_int_list(&c, &xs)) {
        ok(&c);
        mpl_write_array(&c.reply, xs.count);
        for (uint32_t i = 0; i < xs.count; i++) {
            int64_t x = next_int(&xs), y;
            if (!CALL_INT(&c, &f, &x, 1, &y))
                break; /* the reply is now the error */
            mpl_write_int(&c.reply, y);
        }
    }
    call_finish(&c);
}

EXPORT void fold(const virgil_box *in, virgil_box *out)
{
    call c;
    vg_closure f;
    int64_t acc[2];
    int_list xs;
    call_init(&c, "fold", in, out);
    if (take_args(&c, 3) && arg_fn(&c, &f) && arg_int(&c, &acc[0]) && arg_int_list(&c, &xs)) {
        bool failed = false;
        for (uint32_t i = 0; i < xs.count && !failed; i++) {
            acc[1] = next_int(&xs);
            failed = !CALL_INT(&c, &f, acc, 2, &acc[0]);
        }
        if (!failed) {
            ok(&c);
            mpl_write_int(&c.reply, acc[0]);
        }
    }
    call_finish(&c);
}

/* The closure register keeps for fire, retained (ABI.md section 15), and its lock.  The lock is
 * held only to read or swap the closure, never while calling into the closure's side beyond
 * one retain: a callback may itself call register, fire or unregister. */
static pthread_mutex_t registered_lock = PTHREAD_MUTEX_INITIALIZER;
static vg_closure registered;
static bool has_registered;

/* Takes the registered closure out (has_registered becomes false), if there is one. */
static bool take_registered(vg_closure *f)
{
    pthread_mutex_lock(&registered_lock);
    bool had = has_registered;
    *f = registered;
    has_registered = false;
    pthread_mutex_unlock(&registered_lock);
    return had;
}

/* register(f): keeps f for fire, retaining it before this call returns; the closure it replaces
 * is released. */
EXPORT void register_closure(const virgil_box *in, virgil_box *out)
{
    call c;
    vg_closure f, old;
    call_init(&c, "register", in, out);
    if (take_args(&c, 1) && arg_fn(&c, &f)) {
        f.retain(f.env);
        pthread_mutex_lock(&registered_lock);
        bool had = has_registered;
        old = registered;
        registered = f;
        has_registered = true;
        pthread_mutex_unlock(&registered_lock);
        if (had)
            old.release(old.env);
        ok(&c);
        mpl_write_nil(&c.reply);
    }
    call_finish(&c);
}

/* fire(x): the registered closure's f(x).  fire takes a retain of its own for the call, so an
 * unregister on another thread meanwhile cannot invalidate the closure under it. */
EXPORT void fire(const virgil_box *in, virgil_box *out)
{
    call c;
    vg_closure f;
    int64_t x, y;
    call_init(&c, "fire", in, out);
    if (take_args(&c, 1) && arg_int(&c, &x)) {
        pthread_mutex_lock(&registered_lock);
        bool have = has_registered;
        f = registered;
        if (have)
            f.retain(f.env);
        pthread_mutex_unlock(&registered_lock);
        if (!have) {
            FAIL(&c, "ValueError", "fire: no callback registered");
        } else {
            if (CALL_INT(&c, &f, &x, 1, &y)) {
                ok(&c);
                mpl_write_int(&c.reply, y);
            }
            f.release(f.env);
        }
    }
    call_finish(&c);
}

/* unregister(): releases the registered closure; nothing to do when there is none. */
EXPORT void unregister(const virgil_box *in, virgil_box *out)
{
    call c;
    vg_closure f;
    call_init(&c, "unregister", in, out);
    if (take_args(&c, 0)) {
        if (take_registered(&f))
            f.release(f.env);
        ok(&c);
        mpl_write_nil(&c.reply);
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
    vg_write_manifest(&c.reply, VIRGIL_ABI_VERSION, "conformance", "1.0.0", functions,
                      sizeof functions / sizeof functions[0]);
    call_finish(&c);
}

EXPORT void virgil_stats(const virgil_box *in, virgil_box *out)
{
    (void)in; /* ignored, as the ABI says */
    vg_reply_stats(out);
}
