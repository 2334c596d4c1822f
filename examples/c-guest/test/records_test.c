/*
 * records_test.c: tests of the C guest glue's exception records (cabi/ABI.md sections 6 and
 * 7.1) that the conformance cases cannot reach: canonical bytes, attribute keys sorted by their
 * bytes, the limits cut with a note, the errno table with Linux's numbers, OS-error levels, and
 * reading callback records whose `attributes` is a map or not; and that virgil_guest.h defines
 * exactly the framework names of section 7's table (read from cabi/ABI.md).
 *
 * It compiles the glue into itself.  From the repository root:
 *     gcc -std=c11 -O2 -Wall -Wextra -Werror -I cabi -o build/records_test \
 *         examples/c-guest/test/records_test.c && build/records_test
 * or `make -C examples/c-guest/test`, which also runs it under valgrind when it is installed.
 * Exits 0 when every check passes.
 */
#include "../mpack_lite.c"
#include "../virgil_guest.c"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int failures, checks;

#define CHECK(cond, ...)                                                                          \
    do {                                                                                          \
        checks++;                                                                                 \
        if (!(cond)) {                                                                            \
            failures++;                                                                           \
            fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__);                                  \
            fprintf(stderr, __VA_ARGS__);                                                         \
            fputc('\n', stderr);                                                                  \
        }                                                                                         \
    } while (0)

/* ---- Reading what was written ---------------------------------------------------------- */

/* The value of `key` in the map at `r` (the reader is left at that value); false without it. */
static bool find_key(mpl_reader r, const char *key, mpl_reader *value)
{
    uint32_t n;
    if (mpl_read_map(&r, &n) != MPL_OK)
        return false;
    for (uint32_t i = 0; i < n; i++) {
        const char *k;
        size_t len;
        if (mpl_read_str(&r, &k, &len) != MPL_OK)
            return false;
        if (len == strlen(key) && memcmp(k, key, len) == 0) {
            *value = r;
            return true;
        }
        if (mpl_skip(&r) != MPL_OK)
            return false;
    }
    return false;
}

/* The keys of the map at `r`, joined by ',' into buf. */
static const char *keys_of(mpl_reader r, char *buf, size_t size)
{
    uint32_t n;
    size_t used = 0;
    buf[0] = '\0';
    if (mpl_read_map(&r, &n) != MPL_OK)
        return "(not a map)";
    for (uint32_t i = 0; i < n; i++) {
        const char *k;
        size_t len;
        if (mpl_read_str(&r, &k, &len) != MPL_OK || mpl_skip(&r) != MPL_OK)
            return "(malformed)";
        int w = snprintf(buf + used, size - used, "%s%.*s", i > 0 ? "," : "", (int)len, k);
        if (w < 0 || (size_t)w >= size - used)
            return "(too long)";
        used += (size_t)w;
    }
    return buf;
}

static bool str_is(mpl_reader r, const char *want)
{
    const char *s;
    size_t len;
    return mpl_read_str(&r, &s, &len) == MPL_OK && len == strlen(want) &&
           memcmp(s, want, len) == 0;
}

static uint32_t count_of(mpl_reader r)
{
    uint32_t n = 0;
    if (mpl_read_map(&r, &n) != MPL_OK && mpl_read_array(&r, &n) != MPL_OK)
        return UINT32_MAX;
    return n;
}

static void hex(const mpl_writer *w, char *out, size_t size)
{
    size_t i = 0;
    for (; i < w->len && 2 * i + 2 < size; i++)
        snprintf(out + 2 * i, 3, "%02x", w->buf[i]);
    out[2 * i] = '\0';
}

/* ---- The tests ------------------------------------------------------------------------- */

/* cabi/testdata/vectors.json, "exception with attributes out of order": its canonical_hex,
 * written from attributes given in the wrong order. */
static void test_canonical_bytes(void)
{
    static const char want[] =
        "86a46e616d65a74f534572726f72a76d657373616765b2636f6e6e656374696f6e2072656675736564a86c"
        "616e6775616765a163a974726163656261636b90a56361757365c0aa6174747269627574657382a56572726e"
        "6f6fa866696c656e616d65a4736f636b";
    const vg_attr attrs[] = {VG_CSTR_ATTR("filename", "sock"), VG_INT_ATTR("errno", 111)};
    const vg_exception e = {"OSError", "connection refused", NULL, 0, attrs, 2};
    mpl_writer w;
    char got[512];
    mpl_writer_init(&w, vg_realloc, NULL, 0);
    vg_write_exception_chain(&w, &e, 1);
    hex(&w, got, sizeof got);
    CHECK(strcmp(got, want) == 0, "canonical bytes:\n got %s\nwant %s", got, want);
    mpl_writer_destroy(&w);
}

/* No attributes, no notes: five keys, the old head unchanged. */
static void test_plain_record(void)
{
    const vg_frame f = VG_HERE();
    mpl_writer a, b;
    char keys[256];
    mpl_writer_init(&a, vg_realloc, NULL, 0);
    mpl_writer_init(&b, vg_realloc, NULL, 0);
    const vg_exception e = {"ValueError", "bad", &f, 1, NULL, 0};
    vg_write_exception_chain(&a, &e, 1);
    vg_write_exception_head(&b, "ValueError", "bad", &f, 1);
    mpl_write_nil(&b);
    mpl_reader r;
    mpl_reader_init(&r, a.buf, a.len);
    CHECK(strcmp(keys_of(r, keys, sizeof keys), "name,message,language,traceback,cause") == 0,
          "plain record keys %s", keys);
    CHECK(a.len == b.len && memcmp(a.buf, b.buf, a.len) == 0,
          "vg_write_exception_head writes what the chain writer does");
    mpl_reader tb;
    CHECK(find_key(r, "traceback", &tb) && count_of(tb) == 1, "one frame");
    mpl_writer_destroy(&a);
    mpl_writer_destroy(&b);
}

/* Keys ascending by their UTF-8 bytes; of equal keys the first; raw values verbatim. */
static void test_attribute_order(void)
{
    static const uint8_t array12[] = {0x92, 0x01, 0x02}; /* [1, 2] */
    const vg_attr attrs[] = {
        VG_CSTR_ATTR("\xc3\xa9t\xc3\xa9", "summer"), /* "été": 0xc3 sorts after ASCII */
        VG_INT_ATTR("b", 2),
        VG_INT_ATTR("ab", 3),
        VG_INT_ATTR("a", 1),
        VG_INT_ATTR("a", 99), /* a duplicate: dropped */
        VG_RAW_ATTR("Z", array12, sizeof array12),
    };
    const vg_exception e = {"QuotaError", "", NULL, 0, attrs, sizeof attrs / sizeof attrs[0]};
    mpl_writer w;
    char keys[256];
    mpl_writer_init(&w, vg_realloc, NULL, 0);
    vg_write_exception_chain(&w, &e, 1);
    mpl_reader r, at, v;
    mpl_reader_init(&r, w.buf, w.len);
    CHECK(strcmp(keys_of(r, keys, sizeof keys),
                 "name,message,language,traceback,cause,attributes") == 0,
          "record keys %s", keys);
    CHECK(find_key(r, "attributes", &at), "attributes written");
    CHECK(strcmp(keys_of(at, keys, sizeof keys), "Z,a,ab,b,\xc3\xa9t\xc3\xa9") == 0,
          "attribute keys %s", keys);
    int64_t x = 0;
    CHECK(find_key(at, "a", &v) && mpl_read_int(&v, &x) == MPL_OK && x == 1,
          "the first of two equal keys, got %lld", (long long)x);
    uint32_t n = 0;
    CHECK(find_key(at, "Z", &v) && mpl_read_array(&v, &n) == MPL_OK && n == 2, "raw value");
    mpl_writer_destroy(&w);
}

/* A chain, a traceback and attributes over the limits of section 6 are cut, with notes. */
static void test_limits(void)
{
    enum { LEVELS = 300, FRAMES = 5000, ATTRS = 300 };
    vg_exception *levels = calloc(LEVELS, sizeof *levels);
    vg_frame *frames = calloc(FRAMES, sizeof *frames);
    vg_attr *attrs = calloc(ATTRS, sizeof *attrs);
    char(*names)[8] = calloc(ATTRS, sizeof *names);
    if (levels == NULL || frames == NULL || attrs == NULL || names == NULL) {
        CHECK(false, "out of memory");
        return;
    }
    for (int i = 0; i < FRAMES; i++)
        frames[i] = (vg_frame){"f", "x.c", i + 1};
    for (int i = 0; i < ATTRS; i++) {
        snprintf(names[i], sizeof names[i], "k%03d", ATTRS - 1 - i); /* descending */
        attrs[i] = VG_INT_ATTR(names[i], i);
    }
    for (int i = 0; i < LEVELS; i++)
        levels[i] = (vg_exception){"Level", "", NULL, 0, NULL, 0};
    levels[0].frames = frames;
    levels[0].nframes = FRAMES;
    levels[0].attrs = attrs;
    levels[0].nattrs = ATTRS;

    mpl_writer w;
    mpl_writer_init(&w, vg_realloc, NULL, 0);
    vg_write_exception_chain(&w, levels, LEVELS);
    CHECK(mpl_writer_error(&w) == MPL_OK, "writer: %s", mpl_strerror(mpl_writer_error(&w)));
    mpl_reader r, v;
    mpl_reader_init(&r, w.buf, w.len);
    mpl_reader whole = r;
    CHECK(mpl_skip(&whole) == MPL_OK && mpl_reader_remaining(&whole) == 0, "one value");

    CHECK(find_key(r, "notes", &v) && count_of(v) == 3, "three notes on the outermost level");
    CHECK(find_key(r, "traceback", &v) && count_of(v) == VG_MAX_FRAMES, "frames cut to 4096");
    mpl_reader last = v, line;
    uint32_t n;
    (void)mpl_read_array(&last, &n);
    for (uint32_t i = 0; i + 1 < n; i++)
        (void)mpl_skip(&last);
    int64_t l = 0;
    CHECK(find_key(last, "line", &line) && mpl_read_int(&line, &l) == MPL_OK && l == FRAMES,
          "the newest frame is kept, got line %lld", (long long)l);
    CHECK(find_key(r, "attributes", &v) && count_of(v) == VG_MAX_ATTRIBUTES,
          "attributes cut to 256");
    CHECK(find_key(v, "k299", &line) && !find_key(v, "k043", &line),
          "the first 256 attributes given are kept");

    size_t chain = 1;
    mpl_reader level = r;
    while (find_key(level, "cause", &v) && mpl_read_nil(&v) != MPL_OK) {
        chain++;
        if (find_key(v, "notes", &line))
            CHECK(false, "a note on inner level %zu", chain);
        level = v;
    }
    CHECK(chain == VG_MAX_CHAIN, "chain cut to 256, got %zu", chain);
    mpl_writer_destroy(&w);
    free(levels);
    free(frames);
    free(attrs);
    free(names);
}

/* ABI.md section 7.1's table, with Linux's numbers as the section writes them. */
static void test_errno_names(void)
{
    static const struct {
        int errnum;
        const char *name;
    } table[] = {
        {2, "FileNotFoundError"},     {17, "FileExistsError"},       {13, "PermissionError"},
        {1, "PermissionError"},       {21, "IsADirectoryError"},     {20, "NotADirectoryError"},
        {110, "TimeoutError"},        {4, "InterruptedError"},       {11, "BlockingIOError"},
        {114, "BlockingIOError"},     {115, "BlockingIOError"},      {32, "BrokenPipeError"},
        {108, "BrokenPipeError"},     {111, "ConnectionRefusedError"},
        {104, "ConnectionResetError"}, {103, "ConnectionAbortedError"},
        {10, "ChildProcessError"},    {3, "ProcessLookupError"},     {34, "OSError"},
        {22, "OSError"},              {0, "OSError"},                {-1, "OSError"},
    };
    for (size_t i = 0; i < sizeof table / sizeof table[0]; i++)
        CHECK(strcmp(vg_errno_name(table[i].errnum), table[i].name) == 0, "errno %d: %s, want %s",
              table[i].errnum, vg_errno_name(table[i].errnum), table[i].name);
}

static void test_os_error(void)
{
    const vg_frame f = VG_HERE();
    vg_os_error e;
    vg_os_error_init(&e, ENOENT, "/etc/app.toml", 13, &f, 1);
    mpl_writer w;
    char keys[256];
    mpl_writer_init(&w, vg_realloc, NULL, 0);
    vg_write_exception_chain(&w, &e.level, 1);
    mpl_reader r, v, x;
    mpl_reader_init(&r, w.buf, w.len);
    CHECK(find_key(r, "name", &v) && str_is(v, "FileNotFoundError"), "ENOENT's name");
    CHECK(find_key(r, "message", &v) && str_is(v, "No such file or directory"), "its text");
    CHECK(find_key(r, "attributes", &v) &&
              strcmp(keys_of(v, keys, sizeof keys), "errno,filename") == 0,
          "errno and filename, got %s", keys);
    int64_t n = 0;
    CHECK(find_key(v, "errno", &x) && mpl_read_int(&x, &n) == MPL_OK && n == 2, "errno 2");
    CHECK(find_key(v, "filename", &x) && str_is(x, "/etc/app.toml"), "filename");
    mpl_writer_destroy(&w);

    vg_os_error_init(&e, 12345, NULL, 0, NULL, 0);
    mpl_writer_init(&w, vg_realloc, NULL, 0);
    vg_write_exception_chain(&w, &e.level, 1);
    mpl_reader_init(&r, w.buf, w.len);
    CHECK(find_key(r, "name", &v) && str_is(v, "OSError"), "an unknown errno is OSError");
    CHECK(find_key(r, "attributes", &v) && strcmp(keys_of(v, keys, sizeof keys), "errno") == 0,
          "no filename without one, got %s", keys);
    mpl_writer_destroy(&w);
}

/* A closure whose reply is the bytes in its env (a fixed record): what vg_callback_call makes of
 * a record whose attributes is a map, or something a reader ignores. */
typedef struct canned {
    const uint8_t *bytes;
    size_t len;
} canned;

static void canned_call(void *env, const virgil_box *in, virgil_box *out)
{
    const canned *c = env;
    (void)in;
    uint8_t *p = out->len >= c->len ? out->ptr : vg_realloc(NULL, c->len);
    memcpy(p, c->bytes, c->len);
    out->ptr = p;
    out->len = c->len;
}

static void nothing(void *env)
{
    (void)env;
}

static void test_reading_attributes(void)
{
    /* {"error": record} with attributes {"errno": 2}, and with attributes "not a map", each the
     * cause of a record with attributes. */
    for (int as_map = 0; as_map < 2; as_map++) {
        const vg_attr inner_attrs[] = {VG_INT_ATTR("errno", 2)};
        static const uint8_t not_a_map[] = {0xa9, 'n', 'o', 't', ' ', 'a', ' ', 'm', 'a', 'p'};
        const vg_attr odd[] = {VG_RAW_ATTR("x", not_a_map, sizeof not_a_map)};
        const vg_exception chain[] = {{"Outer", "out", NULL, 0, odd, 1},
                                      {"Inner", "in", NULL, 0, inner_attrs, 1}};
        mpl_writer w;
        mpl_writer_init(&w, vg_realloc, NULL, 0);
        vg_write_error(&w);
        if (as_map) {
            vg_write_exception_chain(&w, chain, 2);
        } else { /* "attributes": "not a map", written by hand */
            static const char *const keys[] = {"name", "message", "language"};
            static const char *const values[] = {"Odd", "", "python"};
            mpl_write_map(&w, 6);
            for (int i = 0; i < 3; i++) {
                mpl_write_cstr(&w, keys[i]);
                mpl_write_cstr(&w, values[i]);
            }
            mpl_write_cstr(&w, "traceback");
            mpl_write_array(&w, 0);
            mpl_write_cstr(&w, "cause");
            mpl_write_nil(&w);
            mpl_write_cstr(&w, "attributes");
            mpl_write_raw(&w, not_a_map, sizeof not_a_map);
        }
        canned c = {w.buf, w.len};
        vg_closure f = {canned_call, &c, vg_realloc, nothing, nothing};
        vg_callback cb;
        vg_call_status st = vg_callback_call(&cb, &f, (const uint8_t *)"\x90", 1);
        CHECK(st == VG_CALL_ERROR, "attributes %s: status %d (%s)", as_map ? "map" : "str",
              (int)st, cb.problem);
        CHECK(cb.chain == (as_map ? 2u : 1u), "chain %zu", cb.chain);
        vg_callback_done(&cb);
        mpl_writer_destroy(&w);
    }
}

/* ---- Framework names (ABI.md section 7) ------------------------------------------------ */

#define MAX_NAMES 64

/* The whole file at `path`, NUL-terminated, in malloc memory; NULL (with a failed check) when it
 * cannot be read. */
static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        CHECK(false, "%s: %s", path, strerror(errno));
        return NULL;
    }
    size_t len = 0, cap = 1 << 16;
    char *text = malloc(cap);
    for (;;) {
        if (text == NULL) {
            CHECK(false, "%s: out of memory", path);
            fclose(f);
            return NULL;
        }
        len += fread(text + len, 1, cap - 1 - len, f);
        if (len < cap - 1)
            break;
        char *grown = realloc(text, cap * 2);
        if (grown == NULL)
            free(text);
        text = grown;
        cap *= 2;
    }
    bool bad = ferror(f) != 0;
    fclose(f);
    CHECK(!bad, "%s: read failed", path);
    text[len] = '\0';
    return text;
}

/* The next line of *p (cut at its '\n', which is overwritten), or NULL at the end. */
static char *next_line(char **p)
{
    char *line = *p;
    if (*line == '\0')
        return NULL;
    char *nl = strchr(line, '\n');
    *p = nl != NULL ? nl + 1 : line + strlen(line);
    if (nl != NULL)
        *nl = '\0';
    return line;
}

/* The first column's `virgil.*` names of ABI.md section 7's table, in order, into names[]. */
static size_t abi_names(char *abi, const char *names[MAX_NAMES])
{
    size_t n = 0;
    bool in7 = false;
    for (char *line, *p = abi; (line = next_line(&p)) != NULL;) {
        if (strncmp(line, "## ", 3) == 0 || strncmp(line, "### ", 4) == 0) {
            if (in7)
                break; /* the table ends with the section (7.1 is another table) */
            in7 = strncmp(line, "## 7. ", 6) == 0;
        } else if (in7 && strncmp(line, "| `virgil.", 10) == 0 && n < MAX_NAMES) {
            char *name = line + 3, *end = strchr(name, '`');
            if (end != NULL) {
                *end = '\0';
                names[n++] = name;
            }
        }
    }
    return n;
}

/* The values of the header's `#define VG_<NAME> "virgil.<...>"` lines, in order, into names[]. */
static size_t header_names(char *header, const char *names[MAX_NAMES])
{
    size_t n = 0;
    for (char *line, *p = header; (line = next_line(&p)) != NULL;) {
        char *q = strchr(line, '"');
        if (strncmp(line, "#define VG_", 11) != 0 || q == NULL || strncmp(q, "\"virgil.", 8) != 0)
            continue;
        char *end = strchr(q + 1, '"');
        if (end != NULL && n < MAX_NAMES) {
            *end = '\0';
            names[n++] = q + 1;
        }
    }
    return n;
}

/* virgil_guest.h defines every name of section 7's table, once, in the table's order, and no
 * other virgil.* name: the header's #define lines as read from the file, and the macros as the
 * compiler sees them. */
static void test_framework_names(const char *abi_path, const char *header_path)
{
    static const char *const macros[] = {
        VG_ARGUMENT_ERROR, VG_RESULT_ERROR,   VG_UNKNOWN_FUNCTION, VG_PANIC,
        VG_INTERNAL_ERROR, VG_PROTOCOL_ERROR, VG_OUT_OF_MEMORY,    VG_LIMIT_EXCEEDED,
        VG_ABI_MISMATCH,   VG_RELEASED_CLOSURE,
    };
    const size_t nmacros = sizeof macros / sizeof macros[0];
    char *abi = slurp(abi_path), *header = slurp(header_path);
    if (abi != NULL && header != NULL) {
        const char *want[MAX_NAMES], *got[MAX_NAMES];
        size_t nwant = abi_names(abi, want), ngot = header_names(header, got);
        CHECK(nwant > 0, "%s: no `virgil.*` names in section 7's table", abi_path);
        CHECK(ngot == nwant, "%s defines %zu virgil.* names, %s section 7 has %zu", header_path,
              ngot, abi_path, nwant);
        for (size_t i = 0; i < nwant && i < ngot; i++)
            CHECK(strcmp(got[i], want[i]) == 0, "%s: framework name %zu is %s, %s says %s",
                  header_path, i + 1, got[i], abi_path, want[i]);
        CHECK(nmacros == ngot, "VG_ macros: %zu, #define lines: %zu", nmacros, ngot);
        for (size_t i = 0; i < nmacros && i < ngot; i++)
            CHECK(strcmp(macros[i], got[i]) == 0, "VG_ macro %zu is %s, its #define line says %s",
                  i + 1, macros[i], got[i]);
    }
    free(abi);
    free(header);
}

/* records_test [ABI.md [virgil_guest.h]]: the paths default to the repository root's. */
int main(int argc, char **argv)
{
    const char *abi_path = argc > 1 ? argv[1] : "cabi/ABI.md";
    const char *header_path = argc > 2 ? argv[2] : "examples/c-guest/virgil_guest.h";
    vg_alloc_stats before = vg_alloc_counts();
    test_canonical_bytes();
    test_plain_record();
    test_attribute_order();
    test_limits();
    test_errno_names();
    test_os_error();
    test_reading_attributes();
    test_framework_names(abi_path, header_path);
    vg_alloc_stats after = vg_alloc_counts();
    CHECK(after.allocations - after.frees == before.allocations - before.frees,
          "vg_realloc buffers left live: %llu",
          (unsigned long long)(after.allocations - after.frees));
    printf("%d checks, %d failures\n", checks, failures);
    return failures == 0 ? 0 : 1;
}
