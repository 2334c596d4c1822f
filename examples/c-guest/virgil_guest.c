/* virgil_guest.c: see virgil_guest.h. One file on purpose: the test guests in host/testdata and
 * test/records_test.c #include it whole (with mpack_lite.c), so the glue a hand-written guest
 * needs stays a single drop-in unit: the counting allocator, the reply writer over the scratch
 * buffer, exception records, and the checks of a callback's reply box. */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L /* the XSI strerror_r */
#endif

#include "virgil_guest.h"

#include <errno.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- Framework exception names --------------------------------------------------------- */

const char *vg_error_name(mpl_error err, const char *otherwise)
{
    switch (err) {
    case MPL_ERR_DEPTH:
    case MPL_ERR_TOO_LONG:
    case MPL_ERR_BORROWED_LENGTH:
        return VG_LIMIT_EXCEEDED;
    case MPL_ERR_BORROWED_POINTER:
        return VG_PROTOCOL_ERROR;
    case MPL_ERR_NOMEM:
        return VG_OUT_OF_MEMORY;
    default:
        return otherwise;
    }
}

/* ---- Allocation ------------------------------------------------------------------------ */

static _Atomic uint64_t vg_allocation_count;
static _Atomic uint64_t vg_free_count;

void *vg_realloc(void *ptr, size_t size)
{
    if (size == 0) { /* plain realloc(p, 0) need not free */
        if (ptr != NULL) {
            free(ptr);
            atomic_fetch_add(&vg_free_count, 1);
        }
        return NULL;
    }
    void *p = realloc(ptr, size); /* on failure `ptr` stays valid, as realloc promises */
    if (p != NULL && ptr == NULL)
        atomic_fetch_add(&vg_allocation_count, 1);
    return p;
}

vg_alloc_stats vg_alloc_counts(void)
{
    vg_alloc_stats s;
    s.frees = atomic_load(&vg_free_count);
    s.allocations = atomic_load(&vg_allocation_count);
    return s;
}

/* ---- Replying -------------------------------------------------------------------------- */

void vg_args_init(mpl_reader *r, const virgil_box *in)
{
    if (in != NULL && in->ptr != NULL && in->len <= SIZE_MAX)
        mpl_reader_init(r, in->ptr, (size_t)in->len);
    else
        mpl_reader_init(r, NULL, 0);
}

void vg_reply_start(mpl_writer *w, const virgil_box *in, const virgil_box *out)
{
    uint8_t *scratch = NULL;
    size_t cap = 0;
    if (out != NULL && out->ptr != NULL && out->len > 0) {
        scratch = out->ptr;
        cap = out->len > SIZE_MAX ? SIZE_MAX : (size_t)out->len;
        /* A reply written over the arguments could destroy those still to be read. */
        mpl_reader args;
        vg_args_init(&args, in);
        uintptr_t s = (uintptr_t)scratch, a = (uintptr_t)args.data;
        if (args.len > 0 && s < a + args.len && a < s + cap) {
            scratch = NULL;
            cap = 0;
        }
    }
    mpl_writer_init(w, vg_realloc, scratch, cap);
}

void vg_reply_finish(mpl_writer *w, virgil_box *out)
{
    if (out == NULL || mpl_writer_error(w) != MPL_OK) {
        mpl_writer_destroy(w);
        if (out != NULL) {
            out->ptr = NULL;
            out->len = 0;
        }
        return;
    }
    if (w->owned)
        out->ptr = w->buf; /* vg_realloc memory: the caller frees it */
    out->len = w->len;     /* else in the scratch buffer, where out->ptr already points */
}

void vg_write_ok(mpl_writer *w)
{
    mpl_write_map(w, 1);
    mpl_write_cstr(w, "ok");
}

void vg_write_error(mpl_writer *w)
{
    mpl_write_map(w, 1);
    mpl_write_cstr(w, "error");
}

/* A map entry whose value is a string. */
static void write_str_entry(mpl_writer *w, const char *key, const char *value)
{
    mpl_write_cstr(w, key);
    mpl_write_cstr(w, value);
}

/* ---- Exception records ----------------------------------------------------------------- */

static void write_frame(mpl_writer *w, const vg_frame *f)
{
    mpl_write_map(w, 4);
    write_str_entry(w, "function", f->function != NULL ? f->function : "");
    write_str_entry(w, "file", f->file != NULL ? f->file : "");
    mpl_write_cstr(w, "line");
    mpl_write_int(w, f->line);
    mpl_write_cstr(w, "column");
    mpl_write_int(w, 0);
}

/* The notes a record gets when the writer had to cut it to the limits of ABI.md section 6;
 * `notes` has room for three.  Returns how many. */
static size_t limit_notes(const vg_exception *e, bool chain_cut, const char **notes)
{
    size_t n = 0;
    if (chain_cut)
        notes[n++] = "chain cut to 256 records";
    if (e->nframes > VG_MAX_FRAMES)
        notes[n++] = "traceback cut to its last 4096 frames";
    if (e->nattrs > VG_MAX_ATTRIBUTES)
        notes[n++] = "attributes cut to the first 256";
    return n;
}

/* Writes a record up to and including the key "cause"; `chain_cut` adds the note that the chain
 * it heads was cut.  `notes_allowed` is false for vg_write_exception_head, which is never
 * closed: its record then has no notes key, and a traceback too long is cut silently. */
static void open_record(mpl_writer *w, const vg_exception *e, bool chain_cut, bool notes_allowed)
{
    const char *notes[3];
    size_t nnotes = notes_allowed ? limit_notes(e, chain_cut, notes) : 0;
    size_t nframes = e->nframes, first = 0;
    if (nframes > VG_MAX_FRAMES) { /* keep the newest: the last frame is where it was raised */
        first = nframes - VG_MAX_FRAMES;
        nframes = VG_MAX_FRAMES;
    }
    mpl_write_map(w, (size_t)5 + (nnotes > 0 ? 1 : 0) + (e->nattrs > 0 ? 1 : 0));
    write_str_entry(w, "name", e->name);
    write_str_entry(w, "message", e->message != NULL ? e->message : "");
    write_str_entry(w, "language", "c");
    mpl_write_cstr(w, "traceback");
    mpl_write_array(w, nframes);
    for (size_t i = 0; i < nframes; i++)
        write_frame(w, &e->frames[first + i]);
    mpl_write_cstr(w, "cause");
}

static void write_attr_value(mpl_writer *w, const vg_attr *a)
{
    switch (a->kind) {
    case VG_ATTR_INT:
        mpl_write_int(w, a->i);
        return;
    case VG_ATTR_STR:
        mpl_write_str(w, a->bytes, a->len);
        return;
    case VG_ATTR_RAW:
        mpl_write_raw(w, a->bytes, a->len);
        return;
    }
    mpl_write_nil(w); /* not a kind: nil stands for an absent value */
}

/* Writes the attributes as a map with keys ascending by their bytes (strcmp compares them as
 * unsigned char), the first of equal keys only. */
static void write_attributes(mpl_writer *w, const vg_attr *attrs, size_t nattrs)
{
    const vg_attr *sorted[VG_MAX_ATTRIBUTES];
    size_t n = nattrs > VG_MAX_ATTRIBUTES ? VG_MAX_ATTRIBUTES : nattrs, distinct = 0;
    for (size_t i = 0; i < n; i++) { /* insertion sort: stable, and n is small */
        const vg_attr *a = &attrs[i];
        size_t j = i;
        for (; j > 0 && strcmp(sorted[j - 1]->key, a->key) > 0; j--)
            sorted[j] = sorted[j - 1];
        sorted[j] = a;
    }
    for (size_t i = 0; i < n; i++)
        distinct += i == 0 || strcmp(sorted[i - 1]->key, sorted[i]->key) != 0;
    mpl_write_map(w, distinct);
    for (size_t i = 0; i < n; i++) {
        if (i > 0 && strcmp(sorted[i - 1]->key, sorted[i]->key) == 0)
            continue;
        mpl_write_cstr(w, sorted[i]->key);
        write_attr_value(w, sorted[i]);
    }
}

/* Writes what follows a record's cause: its notes and attributes, when it has any. */
static void close_record(mpl_writer *w, const vg_exception *e, bool chain_cut)
{
    const char *notes[3];
    size_t nnotes = limit_notes(e, chain_cut, notes);
    if (nnotes > 0) {
        mpl_write_cstr(w, "notes");
        mpl_write_array(w, nnotes);
        for (size_t i = 0; i < nnotes; i++)
            mpl_write_cstr(w, notes[i]);
    }
    if (e->nattrs > 0) {
        mpl_write_cstr(w, "attributes");
        write_attributes(w, e->attrs, e->nattrs);
    }
}

void vg_write_exception_open(mpl_writer *w, const vg_exception *e)
{
    open_record(w, e, false, true);
}

void vg_write_exception_close(mpl_writer *w, const vg_exception *e)
{
    close_record(w, e, false);
}

void vg_write_exception_chain(mpl_writer *w, const vg_exception *levels, size_t n)
{
    bool cut = n > VG_MAX_CHAIN;
    if (cut)
        n = VG_MAX_CHAIN;
    for (size_t i = 0; i < n; i++)
        open_record(w, &levels[i], cut && i == 0, true);
    mpl_write_nil(w); /* the innermost level has no cause */
    for (size_t i = n; i-- > 0;)
        close_record(w, &levels[i], cut && i == 0);
}

void vg_write_exception_head(mpl_writer *w, const char *name, const char *message,
                             const vg_frame *frames, size_t nframes)
{
    const vg_exception e = {name, message, frames, nframes, NULL, 0};
    open_record(w, &e, false, false);
}

/* ---- Errors from the OS ---------------------------------------------------------------- */

/* PEP 3151's table, as ABI.md section 7.1 gives it.  Linux numbers these as the section does. */
static const struct {
    int errnum;
    const char *name;
} errno_names[] = {
    {ENOENT, "FileNotFoundError"},
    {EEXIST, "FileExistsError"},
    {EACCES, "PermissionError"},
    {EPERM, "PermissionError"},
    {EISDIR, "IsADirectoryError"},
    {ENOTDIR, "NotADirectoryError"},
    {ETIMEDOUT, "TimeoutError"},
    {EINTR, "InterruptedError"},
    {EAGAIN, "BlockingIOError"},
    {EWOULDBLOCK, "BlockingIOError"}, /* EAGAIN again on Linux; not everywhere */
    {EALREADY, "BlockingIOError"},
    {EINPROGRESS, "BlockingIOError"},
    {EPIPE, "BrokenPipeError"},
    {ESHUTDOWN, "BrokenPipeError"},
    {ECONNREFUSED, "ConnectionRefusedError"},
    {ECONNRESET, "ConnectionResetError"},
    {ECONNABORTED, "ConnectionAbortedError"},
    {ECHILD, "ChildProcessError"},
    {ESRCH, "ProcessLookupError"},
};

const char *vg_errno_name(int errnum)
{
    for (size_t i = 0; i < sizeof errno_names / sizeof errno_names[0]; i++)
        if (errno_names[i].errnum == errnum)
            return errno_names[i].name;
    return "OSError";
}

void vg_os_error_init(vg_os_error *e, int errnum, const char *filename, size_t filename_len,
                      const vg_frame *frames, size_t nframes)
{
    /* strerror_r, thread-safe unlike strerror: the XSI one (_POSIX_C_SOURCE above), or GNU's
     * in a file compiled with _GNU_SOURCE, which may return a static string instead. */
#ifdef _GNU_SOURCE
    const char *text = strerror_r(errnum, e->message, sizeof e->message);
    if (text != e->message)
        snprintf(e->message, sizeof e->message, "%s", text);
#else
    if (strerror_r(errnum, e->message, sizeof e->message) != 0)
        snprintf(e->message, sizeof e->message, "Unknown error %d", errnum);
#endif
    e->attrs[0] = VG_INT_ATTR("errno", errnum);
    e->attrs[1] = VG_STR_ATTR("filename", filename, filename_len);
    e->level = (vg_exception){vg_errno_name(errnum), e->message, frames, nframes, e->attrs,
                              filename != NULL ? 2 : 1};
}

/* ---- Closures ------------------------------------------------------------------------- */

_Static_assert(sizeof(void *) == 8 && sizeof(void (*)(void)) == 8,
               "a closure's words are 64-bit pointers");
_Static_assert(sizeof(vg_closure) == VG_CLOSURE_SIZE, "vg_closure is the closure payload");

mpl_error vg_read_closure(mpl_reader *r, vg_closure *f)
{
    mpl_reader at = *r;
    int8_t type;
    const uint8_t *body;
    size_t len;
    mpl_error err = mpl_read_ext(&at, &type, &body, &len);
    if (err != MPL_OK)
        return err;
    if (type != VG_CLOSURE_EXT || len != VG_CLOSURE_SIZE)
        return MPL_ERR_TYPE;
    /* Five words in the platform's byte order, in the order of vg_closure's fields; copied one
     * by one rather than as a struct, so that padding could never matter. */
    memcpy(&f->call, body, 8);
    memcpy(&f->env, body + 8, 8);
    memcpy(&f->realloc, body + 16, 8);
    memcpy(&f->retain, body + 24, 8);
    memcpy(&f->release, body + 32, 8);
    *r = at;
    return MPL_OK;
}

__attribute__((format(printf, 3, 4))) static vg_call_status broken(vg_callback *cb,
                                                                   const char *name,
                                                                   const char *format, ...)
{
    va_list ap;
    va_start(ap, format);
    vsnprintf(cb->problem, sizeof cb->problem, format, ap);
    va_end(ap);
    cb->problem_name = name;
    return VG_CALL_BROKEN;
}

static bool key_is(const char *key, size_t len, const char *want)
{
    return len == strlen(want) && memcmp(key, want, len) == 0;
}

/* The number of records in the exception chain at `r`, the outermost included: 0 when it is not
 * a record (a map with a str "name" and a nil or record "cause"), and VG_MAX_CHAIN + 1 when it
 * is longer than the ABI allows.  A loop, not recursion: the chain can be long.  The value is
 * known to be well formed (mpl_skip checked it), so only its shape is checked here. */
static size_t chain_length(mpl_reader r)
{
    for (size_t n = 1; n <= VG_MAX_CHAIN; n++) {
        uint32_t keys;
        bool named = false, caused = false;
        mpl_reader cause = r;
        if (mpl_read_map(&r, &keys) != MPL_OK)
            return 0;
        for (uint32_t i = 0; i < keys; i++) {
            const char *key, *name;
            size_t len, name_len;
            mpl_type type;
            if (mpl_read_str(&r, &key, &len) != MPL_OK) { /* a key of another type: unknown */
                if (mpl_skip(&r) != MPL_OK)
                    return 0;
            } else if (key_is(key, len, "name")) {
                if (mpl_read_str(&r, &name, &name_len) != MPL_OK)
                    return 0;
                named = true;
                continue;
            } else if (key_is(key, len, "cause") && mpl_peek_type(&r, &type) == MPL_OK &&
                       type != MPL_NIL) {
                if (type != MPL_MAP)
                    return 0;
                cause = r;
                caused = true;
            }
            /* The value of a key not looked at: "traceback", "notes", "attributes" (a map, or
             * anything else, which a reader ignores), keys unknown to this reader. */
            if (mpl_skip(&r) != MPL_OK)
                return 0;
        }
        if (!named)
            return 0;
        if (!caused)
            return n;
        r = cause;
    }
    return VG_MAX_CHAIN + 1;
}

/* Checks the envelope in cb->reply (known to be readable: a non-empty view of memory). */
static vg_call_status check_envelope(vg_callback *cb)
{
    mpl_reader r;
    uint32_t entries;
    const char *key;
    size_t len;
    mpl_type type;
    mpl_reader_init(&r, cb->reply.ptr, (size_t)cb->reply.len);

    mpl_error err = mpl_read_map(&r, &entries);
    if (err == MPL_ERR_TYPE && mpl_peek_type(&r, &type) == MPL_OK)
        return broken(cb, VG_RESULT_ERROR, "the callback replied a %s, not an envelope",
                      mpl_type_name(type));
    if (err != MPL_OK)
        return broken(cb, vg_error_name(err, VG_RESULT_ERROR),
                      "the callback's reply is malformed: %s", mpl_strerror(err));
    if (entries != 1)
        return broken(cb, VG_RESULT_ERROR,
                      "the callback replied a map of %u entries, not an envelope",
                      (unsigned)entries);
    if ((err = mpl_read_str(&r, &key, &len)) != MPL_OK && err != MPL_ERR_TYPE)
        return broken(cb, vg_error_name(err, VG_RESULT_ERROR),
                      "the callback's reply is malformed: %s", mpl_strerror(err));
    bool ok = err == MPL_OK && key_is(key, len, "ok");
    if (!ok && !(err == MPL_OK && key_is(key, len, "error")))
        return broken(cb, VG_RESULT_ERROR,
                      "the callback's reply is not an envelope: its key is not \"ok\" or "
                      "\"error\"");
    size_t start = r.pos;
    /* The whole value checked against the edges of ABI.md section 5 (UTF-8, timestamps, keys),
     * since an error record is passed on as it came. */
    if ((err = mpl_copy(&r, NULL, vg_realloc)) != MPL_OK)
        return broken(cb, vg_error_name(err, VG_RESULT_ERROR),
                      "the callback's reply is malformed: %s", mpl_strerror(err));
    if (mpl_reader_remaining(&r) != 0)
        return broken(cb, VG_RESULT_ERROR,
                      "the callback's reply has %zu trailing bytes after the envelope",
                      mpl_reader_remaining(&r));
    cb->value = r.data + start;
    cb->value_len = r.pos - start;
    if (ok)
        return VG_CALL_OK;

    mpl_reader record;
    mpl_reader_init(&record, cb->value, cb->value_len);
    cb->chain = chain_length(record);
    if (cb->chain == 0)
        return broken(cb, VG_RESULT_ERROR,
                      "the callback's error is not an exception record");
    if (cb->chain > VG_MAX_CHAIN)
        return broken(cb, VG_RESULT_ERROR,
                      "the callback's exception chain is longer than %d records", VG_MAX_CHAIN);
    return VG_CALL_ERROR;
}

/* Whether `p` points inside the `n` bytes at `base` (ABI.md section 2, check 4: such a reply is
 * the caller's own memory, whatever length comes with it). */
static bool inside(const void *p, const void *base, size_t n)
{
    uintptr_t a = (uintptr_t)p, b = (uintptr_t)base;
    return a >= b && a - b < n; /* a difference, never a sum that could wrap */
}

vg_call_status vg_callback_call(vg_callback *cb, const vg_closure *f, const uint8_t *args,
                                size_t len)
{
    const virgil_box in = {(uint8_t *)args, len}; /* borrowed by the callback, never written */
    cb->f = f;
    /* An unwritten reply is detectable for free (ABI.md section 2): the box stays the scratch
     * buffer and its capacity, and its first byte 0xc1, which MessagePack never uses. */
    cb->scratch[0] = 0xc1;
    cb->reply = (virgil_box){cb->scratch, sizeof cb->scratch};
    cb->free_reply = false;
    cb->value = NULL;
    cb->value_len = 0;
    cb->chain = 0;
    cb->problem_name = NULL;
    cb->problem[0] = '\0';

    f->call(f->env, &in, &cb->reply);

    /* The reply box, before a byte of it is read or anything freed (ABI.md section 2). */
    const uint8_t *ptr = cb->reply.ptr;
    uint64_t rlen = cb->reply.len;
    if (ptr == NULL && rlen == 0)
        return broken(cb, VG_OUT_OF_MEMORY, "the callback could not allocate its reply");
    if (ptr == NULL)
        return broken(cb, VG_PROTOCOL_ERROR,
                      "the callback replied a NULL pointer with length %llu",
                      (unsigned long long)rlen);
    if (rlen == 0)
        return broken(cb, VG_PROTOCOL_ERROR, "the callback replied a pointer without a length");
    if (ptr == cb->scratch && rlen > sizeof cb->scratch)
        return broken(cb, VG_PROTOCOL_ERROR,
                      "the callback claims %llu bytes of a %zu-byte scratch buffer",
                      (unsigned long long)rlen, sizeof cb->scratch);
    if (ptr != cb->scratch && (inside(ptr, cb->scratch, sizeof cb->scratch) ||
                               inside(ptr, args, len)))
        return broken(cb, VG_PROTOCOL_ERROR,
                      "the callback's reply points into the caller's own memory");
    cb->free_reply = ptr != cb->scratch;
    if (rlen > VG_MAX_REPLY || rlen > SIZE_MAX)
        return broken(cb, VG_LIMIT_EXCEEDED,
                      "the callback's reply of %llu bytes is larger than %llu bytes",
                      (unsigned long long)rlen, (unsigned long long)VG_MAX_REPLY);
    if (ptr == cb->scratch && rlen == sizeof cb->scratch && cb->scratch[0] == 0xc1)
        return broken(cb, VG_PROTOCOL_ERROR, "the callback wrote no reply");
    return check_envelope(cb);
}

void vg_callback_done(vg_callback *cb)
{
    if (cb->free_reply && cb->f->realloc != NULL)
        cb->f->realloc(cb->reply.ptr, 0);
    cb->free_reply = false;
    cb->reply = (virgil_box){NULL, 0};
    cb->value = NULL;
    cb->value_len = 0;
}

/* ---- Manifest and diagnostics ---------------------------------------------------------- */

static void write_function(mpl_writer *w, const vg_function *f)
{
    mpl_write_map(w, 4);
    write_str_entry(w, "name", f->name);
    mpl_write_cstr(w, "params");
    mpl_write_array(w, f->nparams);
    for (size_t i = 0; i < f->nparams; i++) {
        mpl_write_map(w, 2);
        write_str_entry(w, "name", f->params[i].name);
        write_str_entry(w, "type", f->params[i].type);
    }
    write_str_entry(w, "result", f->result);
    write_str_entry(w, "doc", f->doc);
}

void vg_write_manifest(mpl_writer *w, int64_t abi, const char *library, const char *version,
                       const vg_function *functions, size_t nfunctions)
{
    vg_write_manifest_with(w, abi, library, version, functions, nfunctions,
                           (vg_manifest_keys){false});
}

void vg_write_manifest_with(mpl_writer *w, int64_t abi, const char *library,
                            const char *version, const vg_function *functions,
                            size_t nfunctions, vg_manifest_keys keys)
{
    vg_write_ok(w);
    mpl_write_map(w, 5 + (keys.borrow ? 1 : 0));
    mpl_write_cstr(w, "abi");
    mpl_write_int(w, abi);
    write_str_entry(w, "library", library);
    write_str_entry(w, "language", "c");
    write_str_entry(w, "version", version);
    mpl_write_cstr(w, "functions");
    mpl_write_array(w, nfunctions);
    for (size_t i = 0; i < nfunctions; i++)
        write_function(w, &functions[i]);
    if (keys.borrow) { /* the optional keys follow `functions`, only when true */
        mpl_write_cstr(w, "borrow");
        mpl_write_bool(w, true);
    }
}

void vg_reply_stats(virgil_box *out)
{
    vg_alloc_stats s = vg_alloc_counts(); /* before the reply is allocated */
    mpl_writer w;
    vg_reply_start(&w, NULL, out);
    vg_write_ok(&w);
    mpl_write_map(&w, 3);
    mpl_write_cstr(&w, "allocations");
    mpl_write_uint(&w, s.allocations);
    mpl_write_cstr(&w, "frees");
    mpl_write_uint(&w, s.frees);
    mpl_write_cstr(&w, "live");
    mpl_write_uint(&w, s.allocations - s.frees);
    vg_reply_finish(&w, out);
}
