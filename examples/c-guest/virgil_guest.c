/* virgil_guest.c: see virgil_guest.h. */
#include "virgil_guest.h"

#include <stdatomic.h>
#include <stdlib.h>

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
    write_str_entry(w, "function", f->function);
    write_str_entry(w, "file", f->file != NULL ? f->file : "");
    mpl_write_cstr(w, "line");
    mpl_write_int(w, f->line);
    mpl_write_cstr(w, "column");
    mpl_write_int(w, 0);
}

void vg_write_exception_head(mpl_writer *w, const char *name, const char *message,
                             const vg_frame *frames, size_t nframes)
{
    mpl_write_map(w, 5);
    write_str_entry(w, "name", name);
    write_str_entry(w, "message", message);
    write_str_entry(w, "language", "c");
    mpl_write_cstr(w, "traceback");
    mpl_write_array(w, nframes);
    for (size_t i = 0; i < nframes; i++)
        write_frame(w, &frames[i]);
    mpl_write_cstr(w, "cause");
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
    vg_write_ok(w);
    mpl_write_map(w, 5);
    mpl_write_cstr(w, "abi");
    mpl_write_int(w, abi);
    write_str_entry(w, "library", library);
    write_str_entry(w, "language", "c");
    write_str_entry(w, "version", version);
    mpl_write_cstr(w, "functions");
    mpl_write_array(w, nfunctions);
    for (size_t i = 0; i < nfunctions; i++)
        write_function(w, &functions[i]);
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
