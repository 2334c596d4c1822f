/*
 * hostile_test: the C guest (build/libconformance_c.so, loaded with dlopen as a host would) against
 * a hostile host and hostile closures.
 *
 *   - every case of cabi/testdata/edges.json through `echo`: the reply value is the case's
 *     canonical bytes, or the error the case names (virgil.LimitExceeded, or virgil.ArgumentError
 *     for `malformed`), once without a scratch buffer and once with one;
 *   - every fault of cabi/conformance/hostile.json's host_faults (each name must be covered
 *     here, so a fault added there fails this test until it is);
 *   - borrowed bytes (ABI.md section 16, cabi/testdata/borrowed.json): the `encoding` cases through
 *     mpack_lite's writer and reader, every `arguments` case (broken borrowed values, refused
 *     before a lent byte is read) and every `arguments_lent` case (real memory lent), echo_bytes
 *     replying a view of exactly the lent bytes, borrowed values inside `any` copied inline, and a
 *     lent str that overlaps the scratch buffer;
 *   - closures whose replies break ABI.md section 2 (NULL, pointers into the guest's own
 *     memory, lengths beyond the scratch buffer or the maximum, an unwritten scratch buffer):
 *     each the error the section names, and only a reply that is the closure's own memory freed,
 *     exactly once;
 *   - virgil_stats' `live` back where it started at the end.
 *
 * Usage: hostile_test LIBRARY EDGES_JSON HOSTILE_JSON BORROWED_JSON.  Run under valgrind by the
 * Makefile.
 */
#define _POSIX_C_SOURCE 200809L

#include "../mpack_lite.h"
#include "virgil.h"

#include <dlfcn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef void (*abi_fn)(const virgil_box *in, virgil_box *out);
typedef void *(*realloc_fn)(void *ptr, size_t size);

static void *lib;
static realloc_fn guest_realloc;
static int failures, checks;

__attribute__((format(printf, 2, 3))) static void check(int ok, const char *format, ...)
{
    checks++;
    if (ok)
        return;
    failures++;
    va_list ap;
    va_start(ap, format);
    fprintf(stderr, "FAIL: ");
    vfprintf(stderr, format, ap);
    fprintf(stderr, "\n");
    va_end(ap);
}

static abi_fn symbol(const char *name)
{
    abi_fn f;
    void *p = dlsym(lib, name);
    if (p == NULL) {
        fprintf(stderr, "hostile_test: %s: %s\n", name, dlerror());
        exit(2);
    }
    memcpy(&f, &p, sizeof f); /* object pointer to function pointer, as POSIX allows */
    return f;
}

/* ---- Calling the guest ----------------------------------------------------------------- */

/* A reply copied out of the guest's box. */
typedef struct reply {
    uint8_t *bytes; /* malloc'd; NULL when the guest left {NULL, 0} */
    size_t len;
} reply;

/* Calls `name` with `in` (the bytes, or a NULL box when `null_in`), lending a scratch buffer
 * of `cap` bytes (none when 0), checks the reply box as a host must, copies the reply and frees
 * the guest's buffer with its virgil_realloc. */
static reply call_with(const char *name, const void *in, size_t in_len, size_t cap, int null_in)
{
    uint8_t *scratch = cap > 0 ? malloc(cap) : NULL;
    uint8_t *args = in_len > 0 ? malloc(in_len) : NULL; /* the guest's in, owned here */
    if (in_len > 0)
        memcpy(args, in, in_len);
    virgil_box inbox = {args, in_len};
    virgil_box out = {scratch, cap};
    if (scratch != NULL)
        scratch[0] = 0xc1;
    symbol(name)(null_in ? NULL : &inbox, &out);
    reply r = {NULL, 0};
    check(!(out.ptr == NULL && out.len > 0) && !(out.ptr != NULL && out.len == 0),
          "%s: reply box {%p, %llu}", name, (void *)out.ptr, (unsigned long long)out.len);
    check(!(out.ptr == scratch && out.len > cap), "%s: reply beyond the scratch buffer", name);
    check(!(args != NULL && out.ptr >= args && out.ptr < args + in_len),
          "%s: reply points into in", name);
    if (out.ptr != NULL && out.len > 0 && !(out.ptr == scratch && out.len > cap)) {
        r.bytes = malloc(out.len);
        memcpy(r.bytes, out.ptr, out.len);
        r.len = out.len;
        if (out.ptr != scratch)
            guest_realloc(out.ptr, 0);
    }
    free(scratch);
    free(args);
    return r;
}

static reply call(const char *name, const void *in, size_t in_len)
{
    return call_with(name, in, in_len, 0, 0);
}

/* The error name of an error envelope, into name[size]; "" when the reply is no error. */
static const char *error_name(const reply *r, char *name, size_t size)
{
    mpl_reader rd;
    uint32_t n;
    const char *key, *s;
    size_t len, slen;
    name[0] = '\0';
    mpl_reader_init(&rd, r->bytes, r->len);
    if (mpl_read_map(&rd, &n) != MPL_OK || n != 1 || mpl_read_str(&rd, &key, &len) != MPL_OK ||
        len != 5 || memcmp(key, "error", 5) != 0 || mpl_read_map(&rd, &n) != MPL_OK || n == 0 ||
        mpl_read_str(&rd, &key, &len) != MPL_OK || len != 4 || memcmp(key, "name", 4) != 0 ||
        mpl_read_str(&rd, &s, &slen) != MPL_OK)
        return name;
    snprintf(name, size, "%.*s", (int)slen, s);
    return name;
}

/* The value of an {"ok": value} reply (a view into r), or NULL. */
static const uint8_t *ok_value(const reply *r, size_t *len)
{
    static const uint8_t head[] = {0x81, 0xa2, 'o', 'k'};
    if (r->len < sizeof head || memcmp(r->bytes, head, sizeof head) != 0)
        return NULL;
    *len = r->len - sizeof head;
    return r->bytes + sizeof head;
}

static int64_t live(void)
{
    reply r = call("virgil_stats", "\x90", 1);
    size_t len;
    const uint8_t *v = ok_value(&r, &len);
    int64_t result = -1;
    mpl_reader rd;
    uint32_t n;
    mpl_reader_init(&rd, v, v != NULL ? len : 0);
    if (mpl_read_map(&rd, &n) == MPL_OK)
        for (uint32_t i = 0; i < n; i++) {
            const char *key;
            size_t klen;
            int64_t x;
            if (mpl_read_str(&rd, &key, &klen) != MPL_OK || mpl_read_int(&rd, &x) != MPL_OK)
                break;
            if (klen == 4 && memcmp(key, "live", 4) == 0)
                result = x;
        }
    free(r.bytes);
    return result;
}

/* ---- A small reader of the JSON files: strings, objects and arrays ----------------------- */

/* One object of the file: its string members, and its number and boolean members as their text
 * (nested objects and arrays are skipped). */
typedef struct json_obj {
    char *keys[8], *values[8];
    int n;
    int depth; /* of the object: 1 for the top level */
} json_obj;

static char *read_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        perror(path);
        exit(2);
    }
    size_t cap = 1 << 16, len = 0, got;
    char *buf = malloc(cap);
    while ((got = fread(buf + len, 1, cap - len - 1, f)) > 0) {
        len += got;
        if (cap - len - 1 == 0)
            buf = realloc(buf, cap *= 2);
    }
    fclose(f);
    buf[len] = '\0';
    return buf;
}

/* A JSON string at *p (after its opening quote), unescaped into malloc'd text; \u escapes of
 * ASCII only (the files have no others in the strings read here). */
static char *json_string(const char **p)
{
    const char *s = *p;
    size_t cap = 64, n = 0;
    char *out = malloc(cap);
    while (*s != '"' && *s != '\0') {
        char c = *s++;
        if (c == '\\') {
            c = *s++;
            if (c == 'n')
                c = '\n';
            else if (c == 't')
                c = '\t';
            else if (c == 'u') {
                c = (char)strtol((char[]){s[0], s[1], s[2], s[3], 0}, NULL, 16);
                s += 4;
            }
        }
        if (n + 2 > cap)
            out = realloc(out, cap *= 2);
        out[n++] = c;
    }
    out[n] = '\0';
    *p = *s == '"' ? s + 1 : s;
    return out;
}

/* Calls `each` for every object of the array that is the value of the top-level member
 * `member`, with the object's string members. */
static int json_objects(const char *text, const char *member, void (*each)(const json_obj *))
{
    const char *p = text;
    int depth = 0, in_member = 0, count = 0;
    json_obj obj = {.n = 0};
    char *last = NULL; /* the last string, a key when a ':' follows */
    while (*p != '\0') {
        char c = *p++;
        if (c == '"') {
            char *s = json_string(&p);
            while (*p == ' ' || *p == '\n' || *p == '\t' || *p == '\r')
                p++;
            if (*p == ':') {
                free(last);
                last = s;
                if (depth == 1)
                    in_member = strcmp(s, member) == 0;
            } else {
                if (in_member && depth == 3 && last != NULL && obj.n < 8) {
                    obj.keys[obj.n] = last;
                    obj.values[obj.n++] = s;
                    last = NULL;
                } else {
                    free(s);
                }
            }
        } else if (c == '{' || c == '[') {
            depth++;
            if (c == '{' && in_member && depth == 3)
                obj.n = 0;
        } else if (c == '}' || c == ']') {
            if (c == '}' && in_member && depth == 3) {
                each(&obj);
                count++;
                for (int i = 0; i < obj.n; i++) {
                    free(obj.keys[i]);
                    free(obj.values[i]);
                }
                obj.n = 0;
            }
            depth--;
        } else if (in_member && depth == 3 && last != NULL && obj.n < 8 &&
                   (c == '-' || (c >= '0' && c <= '9') || c == 't' || c == 'f')) {
            const char *start = p - 1;
            while (*p != '\0' && *p != ',' && *p != '}' && *p != ']' && *p != ' ' && *p != '\n')
                p++;
            obj.keys[obj.n] = last;
            obj.values[obj.n++] = strndup(start, (size_t)(p - start));
            last = NULL;
        }
    }
    free(last);
    return count;
}

static const char *member(const json_obj *o, const char *key)
{
    for (int i = 0; i < o->n; i++)
        if (strcmp(o->keys[i], key) == 0)
            return o->values[i];
    return NULL;
}

static size_t unhex(const char *hex, uint8_t *out)
{
    size_t n = strlen(hex) / 2;
    for (size_t i = 0; i < n; i++) {
        unsigned b;
        sscanf(hex + 2 * i, "%2x", &b);
        out[i] = (uint8_t)b;
    }
    return n;
}

/* ---- edges.json through echo ----------------------------------------------------------- */

static int edges_passed, edges_total;

static void edge_case(const json_obj *o)
{
    const char *name = member(o, "name"), *hex = member(o, "hex");
    const char *canonical = member(o, "canonical_hex"), *error = member(o, "error");
    if (name == NULL || hex == NULL)
        return;
    size_t n = strlen(hex) / 2;
    uint8_t *in = malloc(n + 1), *want = malloc(n + 1);
    in[0] = 0x91; /* echo's argument array */
    unhex(hex, in + 1);
    size_t want_len = unhex(canonical != NULL ? canonical : hex, want);
    int passed = 1;
    for (size_t cap = 0; cap <= 64; cap += 64) { /* without and with a scratch buffer */
        reply r = call_with("echo", in, n + 1, cap, 0);
        char got[64];
        if (error != NULL) {
            const char *expect =
                strcmp(error, "malformed") == 0 ? "virgil.ArgumentError" : error;
            error_name(&r, got, sizeof got);
            check(strcmp(got, expect) == 0, "edges.json %s: echo replied %s, want %s", name,
                  got[0] ? got : "no error", expect);
            passed &= strcmp(got, expect) == 0;
        } else {
            size_t len = 0;
            const uint8_t *v = ok_value(&r, &len);
            int same = v != NULL && len == want_len && memcmp(v, want, len) == 0;
            check(same, "edges.json %s: echo replied %s instead of the canonical value", name,
                  v == NULL ? error_name(&r, got, sizeof got) : "other bytes");
            passed &= same;
        }
        free(r.bytes);
    }
    edges_total++;
    edges_passed += passed;
    printf("%s edges.json: %s\n", passed ? "ok  " : "FAIL", name);
    free(in);
    free(want);
}

/* ---- hostile.json's host faults -------------------------------------------------------- */

/* Calls `fn` and checks the error name of its reply ("ok" for a success). */
static void expect_reply(const char *fault, const char *fn, const void *in, size_t len,
                         size_t cap, const char *want)
{
    reply r = call_with(fn, in, len, cap, 0);
    char got[64];
    error_name(&r, got, sizeof got);
    if (strcmp(want, "ok") == 0) {
        size_t vlen;
        check(ok_value(&r, &vlen) != NULL, "%s: %s replied %s, want ok", fault, fn, got);
    } else {
        check(strcmp(got, want) == 0, "%s: %s replied %s, want %s", fault, fn,
              got[0] ? got : "no error", want);
    }
    free(r.bytes);
}

/* A closure payload: ext 8, type 64, five words. */
static size_t closure_arg(uint8_t *buf, const void *words[5], int64_t x)
{
    size_t n = 0;
    buf[n++] = 0x92;
    buf[n++] = 0xc7;
    buf[n++] = 40;
    buf[n++] = 64;
    for (int i = 0; i < 5; i++) {
        memcpy(buf + n, &words[i], 8);
        n += 8;
    }
    buf[n++] = (uint8_t)x; /* a positive fixint */
    return n;
}

/* The closure side for the hostile replies: `env` is the number of the fault; frees counts the
 * replies given back. */
static int closure_frees;
static uint8_t far_reply[16]; /* a reply in memory the closure pretends is its own */

enum fault {
    REPLY_GOOD,       /* {"ok": 42} in its own memory */
    REPLY_NULL,       /* {NULL, 0} */
    REPLY_NULL_LEN,   /* {NULL, 5} */
    REPLY_PTR_NO_LEN, /* {scratch, 0} */
    REPLY_PAST_CAP,   /* {scratch, 1000} */
    REPLY_INTO_IN,    /* {in->ptr, 1} */
    REPLY_INSIDE,     /* {scratch + 1, 4} */
    REPLY_HUGE,       /* its own memory, with a length of 2^40 */
    REPLY_UNWRITTEN,  /* returns without touching out */
    REPLY_GARBAGE,    /* c1 in the scratch */
    REPLY_NFAULTS
};

static void hostile_call(void *env, const virgil_box *in, virgil_box *out)
{
    static const uint8_t good[] = {0x81, 0xa2, 'o', 'k', 42};
    uint8_t *own;
    switch ((enum fault)(uintptr_t)env) {
    case REPLY_GOOD:
        own = malloc(sizeof good);
        memcpy(own, good, sizeof good);
        *out = (virgil_box){own, sizeof good};
        break;
    case REPLY_NULL:
        *out = (virgil_box){NULL, 0};
        break;
    case REPLY_NULL_LEN:
        *out = (virgil_box){NULL, 5};
        break;
    case REPLY_PTR_NO_LEN:
        out->len = 0;
        break;
    case REPLY_PAST_CAP:
        out->len = 1000;
        break;
    case REPLY_INTO_IN:
        *out = (virgil_box){in->ptr, 1};
        break;
    case REPLY_INSIDE:
        *out = (virgil_box){out->ptr + 1, 4};
        break;
    case REPLY_HUGE:
        own = malloc(sizeof good);
        memcpy(own, good, sizeof good);
        *out = (virgil_box){own, (uint64_t)1 << 40};
        break;
    case REPLY_UNWRITTEN:
        break;
    case REPLY_GARBAGE:
        out->ptr[0] = 0xc1;
        out->len = 1;
        break;
    case REPLY_NFAULTS:
        break;
    }
}

static void *hostile_realloc(void *ptr, size_t size)
{
    if (size == 0 && ptr != NULL) {
        closure_frees++;
        if (ptr != (void *)far_reply)
            free(ptr);
        return NULL;
    }
    return realloc(ptr, size);
}

static void hostile_ref(void *env)
{
    (void)env;
}

static void closure_faults(void)
{
    static const struct {
        enum fault fault;
        const char *name, *want;
        int frees;
    } cases[] = {
        {REPLY_GOOD, "a good reply", "ok", 1},
        {REPLY_NULL, "{NULL, 0}", "virgil.OutOfMemory", 0},
        {REPLY_NULL_LEN, "NULL with a length", "virgil.ProtocolError", 0},
        {REPLY_PTR_NO_LEN, "a pointer without a length", "virgil.ProtocolError", 0},
        {REPLY_PAST_CAP, "a length beyond the scratch", "virgil.ProtocolError", 0},
        {REPLY_INTO_IN, "a pointer into in", "virgil.ProtocolError", 0},
        {REPLY_INSIDE, "a pointer inside the scratch", "virgil.ProtocolError", 0},
        {REPLY_HUGE, "2^40 bytes", "virgil.LimitExceeded", 1},
        {REPLY_UNWRITTEN, "no reply written", "virgil.ProtocolError", 0},
        {REPLY_GARBAGE, "garbage", "virgil.ResultError", 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        void (*call_fn)(void *, const virgil_box *, virgil_box *) = hostile_call;
        void *(*realloc_word)(void *, size_t) = hostile_realloc;
        void (*ref)(void *) = hostile_ref;
        const void *words[5];
        memcpy(&words[0], &call_fn, 8);
        words[1] = (void *)(uintptr_t)cases[i].fault;
        memcpy(&words[2], &realloc_word, 8);
        memcpy(&words[3], &ref, 8);
        memcpy(&words[4], &ref, 8);
        uint8_t in[64];
        size_t n = closure_arg(in, words, 21);
        char fault[96];
        snprintf(fault, sizeof fault, "closure reply: %s", cases[i].name);
        closure_frees = 0;
        expect_reply(fault, "apply", in, n, 0, cases[i].want);
        check(closure_frees == cases[i].frees, "%s: the guest freed the reply %d times, want %d",
              fault, closure_frees, cases[i].frees);
        printf("ok   closure reply: %s -> %s\n", cases[i].name, cases[i].want);
    }
}

static const char *host_fault_names[] = {
    "null in", "empty in", "null out", "garbage", "truncated",
    "array32 header claiming 2^32-1 elements", "str32 header claiming 4 GiB", "wrong arity",
    "wrong type", "not an array", "nesting 513", "nesting 512",
    "closure with a NULL call word", "closure with a short payload",
    "scratch smaller than the reply", "broken borrowed arguments", "borrowed str not UTF-8",
};
static int host_faults_missing;

static void host_fault_listed(const json_obj *o)
{
    const char *name = member(o, "name");
    for (size_t i = 0; name != NULL && i < sizeof host_fault_names / sizeof *host_fault_names;
         i++)
        if (strcmp(name, host_fault_names[i]) == 0)
            return;
    host_faults_missing++;
    check(0, "hostile.json host fault \"%s\" has no check here", name ? name : "?");
}

static void host_faults(void)
{
    /* null in, empty in: the box pointer NULL, and {NULL, 0}. */
    {
        reply r = call_with("add", NULL, 0, 0, 1);
        char got[64];
        check(strcmp(error_name(&r, got, sizeof got), "virgil.ArgumentError") == 0,
              "null in: add replied %s", got);
        free(r.bytes);
    }
    expect_reply("empty in", "add", NULL, 0, 0, "virgil.ArgumentError");
    { /* null out: nothing to write to; the guest must just return (and leak nothing) */
        virgil_box in = {(uint8_t *)"\x92\x01\x02", 3};
        int64_t before = live();
        symbol("add")(&in, NULL);
        symbol("echo")(&(virgil_box){(uint8_t *)"\x91\xa1x", 3}, NULL);
        check(live() == before, "null out: live changed");
    }
    expect_reply("garbage", "add", "\xc1\xc1", 2, 0, "virgil.ArgumentError");
    expect_reply("truncated", "add", "\x92\x01", 2, 0, "virgil.ArgumentError");
    expect_reply("array32 header claiming 2^32-1 elements", "add", "\xdd\xff\xff\xff\xff\x01", 6,
                 0, "virgil.ArgumentError");
    expect_reply("str32 header claiming 4 GiB", "greet", "\x91\xdb\xff\xff\xff\xff\x61", 7, 0,
                 "virgil.ArgumentError");
    expect_reply("wrong arity", "add", "\x91\x01", 2, 0, "virgil.ArgumentError");
    expect_reply("wrong type", "add", "\x92\x01\xa1\x32", 4, 0, "virgil.ArgumentError");
    expect_reply("not an array", "add", "\x81\xa1\x61\x01", 4, 0, "virgil.ArgumentError");
    for (int depth = 512; depth <= 513; depth++) {
        uint8_t in[600];
        size_t n = 0;
        in[n++] = 0x91;
        for (int i = 0; i < depth; i++)
            in[n++] = 0x91;
        in[n++] = 0x01;
        char fault[32];
        snprintf(fault, sizeof fault, "nesting %d", depth);
        if (depth == 512) {
            reply r = call("echo", in, n);
            size_t len;
            const uint8_t *v = ok_value(&r, &len);
            check(v != NULL && len == n - 1 && memcmp(v, in + 1, len) == 0,
                  "nesting 512: echo did not reply the same value");
            free(r.bytes);
        } else {
            expect_reply(fault, "echo", in, n, 0, "virgil.LimitExceeded");
        }
    }
    { /* closures: a NULL call word, and ext 64 of 8 bytes */
        const void *words[5] = {NULL, (void *)1, (void *)hostile_realloc, NULL, NULL};
        void (*ref)(void *) = hostile_ref;
        memcpy(&words[3], &ref, 8);
        memcpy(&words[4], &ref, 8);
        uint8_t in[64];
        size_t n = closure_arg(in, words, 21);
        expect_reply("closure with a NULL call word", "apply", in, n, 0,
                     "virgil.ArgumentError");
        static const uint8_t shorter[] = {0x92, 0xd7, 0x40, 1, 2, 3, 4, 5, 6, 7, 8, 21};
        expect_reply("closure with a short payload", "apply", shorter, sizeof shorter, 0,
                     "virgil.ArgumentError");
    }
    { /* scratch smaller than the reply: greet("x" * 100) with 4 bytes lent */
        uint8_t in[110];
        in[0] = 0x91;
        in[1] = 0xd9;
        in[2] = 100;
        memset(in + 3, 'x', 100);
        expect_reply("scratch smaller than the reply", "greet", in, 103, 4, "ok");
    }
    /* More of the same kind: invalid UTF-8 in a typed str, a bin for a str, trailing bytes. */
    expect_reply("greet of invalid UTF-8", "greet", "\x91\xa2\xc3\x28", 4, 0,
                 "virgil.ArgumentError");
    expect_reply("trailing bytes", "add", "\x92\x01\x02\x03", 4, 0, "virgil.ArgumentError");
    expect_reply("duplicate keys in any", "echo", "\x91\x82\x01\x01\x01\x02", 6, 0,
                 "virgil.ArgumentError");
    expect_reply("echo_bytes of empty bin, non-canonical", "echo_bytes", "\x91\xc5\x00\x00", 4,
                 16, "ok");
    {
        reply r = call("echo_bytes", "\x91\xc5\x00\x00", 4);
        size_t len;
        const uint8_t *v = ok_value(&r, &len);
        check(v != NULL && len == 2 && v[0] == 0xc4 && v[1] == 0,
              "echo_bytes of c5 00 00 did not reply c4 00");
        free(r.bytes);
    }
}

/* ---- borrowed.json: borrowed bytes (ABI.md section 16) ----------------------------------- */

/* An argument array of one borrowed value, ext `ext`, lending `len` bytes at `ptr`. */
static size_t lend_arg(uint8_t buf[19], int ext, const void *ptr, size_t len)
{
    mpl_writer w;
    mpl_writer_init(&w, NULL, buf, 19);
    mpl_write_array(&w, 1);
    mpl_write_borrowed(&w, (int8_t)ext, ptr, len);
    return w.len;
}

/* `encoding`: mpack_lite writes each case's kind, pointer and length as exactly its bytes, and a
 * reader with `borrow` set reads them back without following the pointer (a reader without it
 * sees the extension). */
static void borrowed_encoding(const json_obj *o)
{
    const char *name = member(o, "name"), *hex = member(o, "hex");
    const char *ext = member(o, "ext"), *ptr = member(o, "ptr"), *len = member(o, "len");
    uint8_t want[64], got[64];
    size_t n = unhex(hex, want);
    mpl_writer w;
    mpl_writer_init(&w, NULL, got, sizeof got);
    mpl_reader r;
    mpl_reader_init(&r, want, n);
    r.borrow = true;
    mpl_type type;
    const uint8_t *p;
    size_t plen;
    int64_t one;
    uint32_t count;
    if (member(o, "args") != NULL) { /* [bytes at 0x1000, 70000 long; 1] */
        int read = mpl_read_array(&r, &count) == MPL_OK && count == 2 &&
                   mpl_read_lent(&r, &type, &p, &plen) == MPL_OK && type == MPL_BIN &&
                   mpl_read_int(&r, &one) == MPL_OK && one == 1 && mpl_reader_remaining(&r) == 0;
        check(read, "borrowed.json encoding %s: not read back", name);
        if (read) {
            mpl_write_array(&w, 2);
            mpl_write_borrowed(&w, MPL_BORROWED_BIN, p, plen);
            mpl_write_int(&w, 1);
        }
    } else {
        uint64_t want_ptr = strtoull(ptr, NULL, 10), want_len = strtoull(len, NULL, 10);
        int e = atoi(ext);
        mpl_write_borrowed(&w, (int8_t)e, (const void *)(uintptr_t)want_ptr, (size_t)want_len);
        int read = mpl_read_lent(&r, &type, &p, &plen) == MPL_OK &&
                   type == (e == MPL_BORROWED_BIN ? MPL_BIN : MPL_STR) &&
                   (uintptr_t)p == want_ptr && plen == want_len && mpl_reader_remaining(&r) == 0;
        check(read, "borrowed.json encoding %s: not read back as ext %d, %s, %s", name, e, ptr,
              len);
        mpl_reader raw;
        int8_t t;
        const uint8_t *body;
        mpl_reader_init(&raw, want, n);
        check(mpl_read_ext(&raw, &t, &body, &plen) == MPL_OK && t == e && plen == 16,
              "borrowed.json encoding %s: a reader without borrow does not see ext %d", name, e);
    }
    check(w.len == n && memcmp(got, want, n) == 0, "borrowed.json encoding %s: written otherwise",
          name);
    printf("ok   borrowed.json encoding: %s\n", name);
}

/* `arguments` (the host fault "broken borrowed arguments"): refused with the case's error
 * before a lent byte is read (their pointers lead nowhere), with and without a scratch buffer. */
static void borrowed_argument(const json_obj *o)
{
    const char *name = member(o, "name"), *hex = member(o, "hex");
    const char *fn = member(o, "function"), *want = member(o, "expect");
    uint8_t in[64];
    size_t n = unhex(hex, in);
    char fault[128];
    snprintf(fault, sizeof fault, "broken borrowed arguments: %s", name);
    expect_reply(fault, fn, in, n, 0, want);
    expect_reply(fault, fn, in, n, 64, want);
    printf("ok   borrowed.json arguments: %s -> %s\n", name, want);
}

/* `arguments_lent`: the bytes lent from memory of their own size (valgrind sees a read past
 * them); echo_bytes replies a view of exactly the lent bytes, greet the greeting. */
static void borrowed_lent(const json_obj *o)
{
    const char *name = member(o, "name"), *fn = member(o, "function");
    const char *want = member(o, "expect");
    int ext = atoi(member(o, "ext"));
    uint8_t buf[64], *lent = malloc(32), in[19];
    size_t n = unhex(member(o, "bytes_hex"), buf);
    memcpy(lent, buf, n);
    lent = realloc(lent, n);
    size_t in_len = lend_arg(in, ext, lent, n);
    for (size_t cap = 0; cap <= 64; cap += 64) {
        reply r = call_with(fn, in, in_len, cap, 0);
        char got[64];
        size_t vlen = 0;
        const uint8_t *v = ok_value(&r, &vlen);
        if (strcmp(want, "ok") != 0) {
            check(strcmp(error_name(&r, got, sizeof got), want) == 0,
                  "borrowed.json %s: %s replied %s, want %s", name, fn, got, want);
        } else if (strcmp(fn, "echo_bytes") == 0) {
            mpl_reader rd;
            mpl_type type;
            const uint8_t *p = NULL;
            size_t plen = 0;
            mpl_reader_init(&rd, v, v != NULL ? vlen : 0);
            rd.borrow = true;
            check(mpl_read_lent(&rd, &type, &p, &plen) == MPL_OK && type == MPL_BIN &&
                      p == lent && plen == n && mpl_reader_remaining(&rd) == 0,
                  "borrowed.json %s: echo_bytes did not reply a view of the lent bytes", name);
        } else {
            char greeting[64];
            int glen = snprintf(greeting, sizeof greeting, "Hello, %.*s!", (int)n, (char *)buf);
            const char *s;
            size_t slen;
            mpl_reader rd;
            mpl_reader_init(&rd, v, v != NULL ? vlen : 0);
            check(mpl_read_str(&rd, &s, &slen) == MPL_OK && slen == (size_t)glen &&
                      memcmp(s, greeting, slen) == 0,
                  "borrowed.json %s: greet did not reply %s", name, greeting);
        }
        free(r.bytes);
    }
    free(lent);
    printf("ok   borrowed.json arguments_lent: %s -> %s\n", name, want);
}

/* The reply value of `fn` called with `in`, the scratch buffer `scratch` of `cap` bytes lent
 * (the caller's own, so that lent values can overlap it), copied into value[size]; its length,
 * or 0 when it is no {"ok": value}. */
static size_t lent_call(const char *fn, const uint8_t *in, size_t len, uint8_t *scratch,
                        size_t cap, uint8_t *value, size_t size)
{
    virgil_box inbox = {(uint8_t *)in, len}, out = {scratch, cap};
    symbol(fn)(&inbox, &out);
    reply r = {out.ptr, out.len};
    size_t vlen = 0;
    const uint8_t *v = out.ptr != NULL ? ok_value(&r, &vlen) : NULL;
    size_t n = v != NULL && vlen <= size ? vlen : 0;
    if (n > 0)
        memcpy(value, v, n);
    if (out.ptr != NULL && out.ptr != scratch)
        guest_realloc(out.ptr, 0);
    return n;
}

/* Borrowed values beyond the vectors: inside `any` they come back inline (copied); an empty one
 * comes back inline; a lent str that overlaps the scratch buffer is not written over. */
static void borrowed_more(void)
{
    uint8_t value[128], in[64];
    size_t n;
    { /* echo([bytes 01 02 03 lent, str "hi" lent]) -> [c4 03 01 02 03, a2 68 69] */
        uint8_t *b = malloc(3), *s = malloc(2);
        memcpy(b, "\x01\x02\x03", 3);
        memcpy(s, "hi", 2);
        mpl_writer w;
        mpl_writer_init(&w, NULL, in, sizeof in);
        mpl_write_array(&w, 1);
        mpl_write_array(&w, 2);
        mpl_write_borrowed(&w, MPL_BORROWED_BIN, b, 3);
        mpl_write_borrowed(&w, MPL_BORROWED_STR, s, 2);
        static const uint8_t want[] = {0x92, 0xc4, 3, 1, 2, 3, 0xa2, 'h', 'i'};
        for (size_t cap = 0; cap <= 64; cap += 64) {
            uint8_t *scratch = cap ? malloc(cap) : NULL;
            n = lent_call("echo", in, w.len, scratch, cap, value, sizeof value);
            check(n == sizeof want && memcmp(value, want, n) == 0,
                  "echo of lent values in a list did not reply them inline");
            free(scratch);
        }
        free(b);
        free(s);
        printf("ok   borrowed values inside any come back inline\n");
    }
    { /* echo_bytes of {NULL, 0} -> c4 00 */
        n = lend_arg(in, MPL_BORROWED_BIN, NULL, 0);
        size_t got = lent_call("echo_bytes", in, n, NULL, 0, value, sizeof value);
        check(got == 2 && value[0] == 0xc4 && value[1] == 0,
              "echo_bytes of an empty lent value did not reply c4 00");
        printf("ok   an empty lent value comes back inline\n");
    }
    { /* greet of "Ada" lent from inside the scratch buffer itself */
        uint8_t *scratch = malloc(256);
        memcpy(scratch + 10, "Ada", 3);
        n = lend_arg(in, MPL_BORROWED_STR, scratch + 10, 3);
        size_t got = lent_call("greet", in, n, scratch, 256, value, sizeof value);
        check(got == 12 && memcmp(value, "\xabHello, Ada!", 12) == 0,
              "greet of a str lent inside the scratch buffer replied otherwise");
        /* echo([lent "hi"]) with "hi" where the reply's value would start */
        memcpy(scratch + 4, "hi", 2);
        mpl_writer w;
        mpl_writer_init(&w, NULL, in, sizeof in);
        mpl_write_array(&w, 1);
        mpl_write_array(&w, 1);
        mpl_write_borrowed(&w, MPL_BORROWED_STR, scratch + 4, 2);
        got = lent_call("echo", in, w.len, scratch, 256, value, sizeof value);
        check(got == 4 && memcmp(value, "\x91\xa2hi", 4) == 0,
              "echo of a str lent inside the scratch buffer replied otherwise");
        free(scratch);
        printf("ok   a lent str inside the scratch buffer is not written over\n");
    }
    { /* a borrowed value and an inline one are one map key: duplicate */
        uint8_t *k = malloc(1);
        k[0] = 'a';
        mpl_writer w;
        mpl_writer_init(&w, NULL, in, sizeof in);
        mpl_write_array(&w, 1);
        mpl_write_map(&w, 2);
        mpl_write_borrowed(&w, MPL_BORROWED_STR, k, 1);
        mpl_write_int(&w, 1);
        mpl_write_str(&w, "a", 1);
        mpl_write_int(&w, 2);
        expect_reply("a lent key equal to an inline one", "echo", in, w.len, 0,
                     "virgil.ArgumentError");
        free(k);
        printf("ok   a lent map key equal to an inline one is a duplicate\n");
    }
    { /* the host fault "borrowed str not UTF-8": greet lent ff fe */
        uint8_t *bad = malloc(2);
        memcpy(bad, "\xff\xfe", 2);
        n = lend_arg(in, MPL_BORROWED_STR, bad, 2);
        expect_reply("borrowed str not UTF-8", "greet", in, n, 0, "virgil.ArgumentError");
        free(bad);
        printf("ok   borrowed str not UTF-8 -> virgil.ArgumentError\n");
    }
}

static void manifest_borrows(void)
{
    reply r = call("virgil_manifest", "\x90", 1);
    static const uint8_t tail[] = {0xa6, 'b', 'o', 'r', 'r', 'o', 'w', 0xc3};
    check(r.len > sizeof tail && memcmp(r.bytes + r.len - sizeof tail, tail, sizeof tail) == 0,
          "the manifest does not end with \"borrow\": true");
    free(r.bytes);
}

int main(int argc, char **argv)
{
    if (argc != 5) {
        fprintf(stderr, "usage: hostile_test LIBRARY EDGES_JSON HOSTILE_JSON BORROWED_JSON\n");
        return 2;
    }
    lib = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
    if (lib == NULL) {
        fprintf(stderr, "hostile_test: %s\n", dlerror());
        return 2;
    }
    void *p = dlsym(lib, "virgil_realloc");
    memcpy(&guest_realloc, &p, sizeof guest_realloc);
    int64_t before = live();

    char *edges = read_file(argv[2]);
    int cases = json_objects(edges, "cases", edge_case);
    free(edges);
    check(cases > 0, "edges.json: no cases found");

    char *hostile = read_file(argv[3]);
    int faults = json_objects(hostile, "host_faults", host_fault_listed);
    free(hostile);
    check(faults > 0, "hostile.json: no host faults found");
    host_faults();
    closure_faults();

    char *borrowed = read_file(argv[4]);
    int encodings = json_objects(borrowed, "encoding", borrowed_encoding);
    int arguments = json_objects(borrowed, "arguments", borrowed_argument);
    int lent = json_objects(borrowed, "arguments_lent", borrowed_lent);
    free(borrowed);
    check(encodings > 0 && arguments > 0 && lent > 0, "borrowed.json: cases missing");
    borrowed_more();
    manifest_borrows();

    int64_t after = live();
    check(before >= 0 && after == before, "virgil_stats: live %lld before, %lld after",
          (long long)before, (long long)after);
    printf("hostile_test: edges.json %d/%d cases; hostile.json %d host faults (%d unchecked); "
           "borrowed.json %d encodings, %d arguments, %d lent; %d checks, %d failed\n",
           edges_passed, edges_total, faults, host_faults_missing, encodings, arguments, lent,
           checks, failures);
    /* The library stays loaded (ABI.md section 12: hosts never unload guests). */
    return failures == 0 ? 0 : 1;
}
