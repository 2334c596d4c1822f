/*
 * call.c: one call of an exported function, the steps every one of them follows (see call.h):
 * starting the reply, checking and lifting the arguments, replying an error with FAIL, and
 * handing the reply over.  The box handling, records and MessagePack underneath come from
 * virgil_guest.c and mpack_lite.c.
 */
#include "call.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* ---- One call -------------------------------------------------------------------------- */

void call_init(call *c, const char *function, const virgil_box *in, virgil_box *out)
{
    c->function = function;
    c->broken_in = in != NULL && in->ptr == NULL && in->len > 0;
    vg_args_init(&c->args, in);
    c->args.borrow = LIBRARY_BORROWS;
    c->next = 1;
    vg_reply_start(&c->reply, in, out);
    c->out = out;
}

/* Starts the envelope {"ok": ...}; the caller writes the value. */
void ok(call *c)
{
    vg_write_ok(&c->reply);
}

/* Replaces whatever was written with {"error": chain}: the levels outermost first, each the
 * cause of the one before. */
void raise_chain(call *c, const vg_exception *levels, size_t n)
{
    mpl_writer_reset(&c->reply);
    vg_write_error(&c->reply);
    vg_write_exception_chain(&c->reply, levels, n);
}

/* The length of the longest start of s[0..len) that ends on a UTF-8 character boundary, so that
 * text cut to fit a buffer stays valid UTF-8 (a record's message is a str). */
size_t utf8_cut(const char *s, size_t len)
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

void fail(call *c, vg_frame where, const char *name, const char *format, ...)
{
    char message[256];
    va_list ap;
    va_start(ap, format);
    format_message(message, sizeof message, format, ap);
    va_end(ap);

    const vg_exception e = {name, message, &where, 1, NULL, 0};
    raise_chain(c, &e, 1);
}

/* Hands the reply to the caller (ABI.md section 3). */
void call_finish(call *c)
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

/* Borrowed values are the caller's memory and read-only, as `in` is (ABI.md section 16): a scratch
 * buffer that overlaps what they lend is not used, as vg_reply_start does for `in`, so that the
 * reply never writes over bytes still to be read.  Before anything is written. */
static void keep_off(call *c, uintptr_t lo, uintptr_t hi)
{
    mpl_writer *w = &c->reply;
    uintptr_t s = (uintptr_t)w->buf;
    if (!w->owned && w->len == 0 && w->cap > 0 && lo < hi && s < hi && lo < s + w->cap)
        mpl_writer_init(w, w->alloc, NULL, 0);
}

/* Checks that `in` is one well-formed array of `arity` values with nothing after it, and leaves
 * c->args at its first element.  Every argument is checked whole against the edges of ABI.md
 * section 5 (mpl_copy: UTF-8, timestamps, scalar and distinct map keys, nesting at most 512 deep
 * counted from the argument itself), so the typed reads after it can only meet values of the
 * wrong type, never broken ones. */
bool take_args(call *c, uint32_t arity)
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
    keep_off(c, rest.lent_lo, rest.lent_hi);
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
bool bad_value(call *c, uint32_t element, const char *want, mpl_error err)
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

bool arg_int(call *c, int64_t *value)
{
    return lifted(c, "int", mpl_read_int(&c->args, value));
}

/* A float parameter also accepts integers (ABI.md section 5). */
bool arg_float(call *c, double *value)
{
    return lifted(c, "float", mpl_read_number(&c->args, value));
}

bool arg_str(call *c, const char **str, size_t *len)
{
    return lifted(c, "str", mpl_read_str(&c->args, str, len));
}

bool arg_bin(call *c, const uint8_t **bin, size_t *len)
{
    return lifted(c, "bin", mpl_read_bin(&c->args, bin, len));
}

/* Any one value, as a view of its encoded bytes. */
bool arg_any(call *c, const uint8_t **bytes, size_t *len)
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
bool arg_fn(call *c, vg_closure *f)
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

bool arg_int_list(call *c, int_list *xs)
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

int64_t next_int(int_list *xs)
{
    int64_t x = 0;
    (void)mpl_read_int(&xs->items, &x); /* checked by arg_int_list */
    return x;
}
