/*
 * callbacks.c: the closure functions (cabi/ABI.md section 15, cabi/conformance/callbacks.json):
 * apply, map_ints, fold, register, fire and unregister, and calling a closure with integer
 * arguments.  The closure register keeps is behind a mutex: every function may be called from
 * many threads at once, and a callback may itself call register, fire or unregister.
 */
#include "call.h"

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>

/* `register` is a C keyword, so its C name is register_closure and the assembler label gives the
 * symbol its name. */
void apply(const virgil_box *in, virgil_box *out);
void map_ints(const virgil_box *in, virgil_box *out);
void fold(const virgil_box *in, virgil_box *out);
void register_closure(const virgil_box *in, virgil_box *out) __asm__("register");
void fire(const virgil_box *in, virgil_box *out);
void unregister(const virgil_box *in, virgil_box *out);

/* ---- Calling closures ------------------------------------------------------------------ */

/* Replies the failure of a callback: an exception of this function's, CallbackFailed, whose
 * cause is the callback's record copied as it came, so the caller sees this level and then the
 * closure's side's (ABI.md section 15).  A chain that has no room for another level (section 6)
 * is replied as it came. */
static void callback_failed(call *c, vg_frame where, const vg_callback *cb)
{
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
static bool call_int(call *c, vg_frame where, const vg_closure *f, const int64_t *args,
                     size_t nargs, int64_t *result)
{
    uint8_t buf[32]; /* [a, b]: at most 1 + 2 * 9 bytes */
    mpl_writer w;
    mpl_writer_init(&w, vg_realloc, buf, sizeof buf);
    mpl_write_array(&w, nargs);
    for (size_t i = 0; i < nargs; i++)
        mpl_write_int(&w, args[i]);
    if (mpl_writer_error(&w) != MPL_OK) {
        fail(c, where, vg_error_name(mpl_writer_error(&w), VG_INTERNAL_ERROR),
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
            fail(c, where, VG_RESULT_ERROR,
                 "%s: the callback's result: expected int, got %s", c->function,
                 mpl_type_name(got));
        else
            fail(c, where, VG_RESULT_ERROR, "%s: the callback's result: %s",
                 c->function, mpl_strerror(err));
        break;
    }
    case VG_CALL_ERROR:
        callback_failed(c, where, &cb);
        break;
    case VG_CALL_BROKEN:
        fail(c, where, cb.problem_name, "%s: %s", c->function, cb.problem);
        break;
    }
    vg_callback_done(&cb);
    mpl_writer_destroy(&w);
    return done;
}

#define CALL_INT(c, f, args, nargs, result)                                                       \
    call_int((c), VG_HERE(), (f), (args), (nargs), (result))


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
