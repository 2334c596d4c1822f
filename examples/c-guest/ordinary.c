/*
 * ordinary.c: the errors of ordinary code (cabi/ABI.md section 9, cabi/conformance/errors.json):
 * read_file, load_config, parse_int, fail_plain and fail_attrs.
 *
 * These fail the way plain C fails: through errno and strtoll, and through a user's own error
 * struct.  Each failure names the C function that raised it (VG_HERE), never the glue.
 */
#include "call.h"

#include <ctype.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void read_file(const virgil_box *in, virgil_box *out);
void load_config(const virgil_box *in, virgil_box *out);
void parse_int(const virgil_box *in, virgil_box *out);
void fail_plain(const virgil_box *in, virgil_box *out);
void fail_attrs(const virgil_box *in, virgil_box *out);

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
