#!/usr/bin/env python3
"""Writes vectors.json: the canonical bytes of cabi/ABI.md, with each value in typed JSON.

This generator has its own small canonical encoder (written from the spec, not from any kit) and
checks every vector against the `msgpack` package's decoder, so the vectors do not simply echo
one kit's behaviour.  Run it only to add vectors; kits read vectors.json, never this script.
"""
import json
import math
import struct
from pathlib import Path

import msgpack


def I(n): return {"int": n}
def F(x): return {"float": x}
def S(s): return {"str": s}
def B(h): return {"bin": h}
def A(*xs): return {"array": list(xs)}
def M(*kv): return {"map": [list(p) for p in kv]}
NIL = {"nil": None}
TRUE, FALSE = {"bool": True}, {"bool": False}


def encode(v) -> bytes:
    (tag, x), = v.items()
    if tag == "nil":
        return b"\xc0"
    if tag == "bool":
        return b"\xc3" if x else b"\xc2"
    if tag == "int":
        n = int(x)
        if n >= 0:
            if n < 128: return bytes([n])
            for code, fmt, lim in ((0xcc, ">B", 1 << 8), (0xcd, ">H", 1 << 16), (0xce, ">I", 1 << 32), (0xcf, ">Q", 1 << 64)):
                if n < lim: return bytes([code]) + struct.pack(fmt, n)
        if n >= -32: return struct.pack(">b", n)
        for code, fmt, lim in ((0xd0, ">b", 1 << 7), (0xd1, ">h", 1 << 15), (0xd2, ">i", 1 << 31), (0xd3, ">q", 1 << 63)):
            if n >= -lim: return bytes([code]) + struct.pack(fmt, n)
        raise ValueError(n)
    if tag in ("float", "float32"):
        f = {"nan": math.nan, "inf": math.inf, "-inf": -math.inf}.get(x, x) if isinstance(x, str) else float(x)
        return b"\xca" + struct.pack(">f", f) if tag == "float32" else b"\xcb" + struct.pack(">d", f)
    if tag == "str":
        b = x.encode()
        return _head(len(b), ((32, 0xa0, None), (1 << 8, 0xd9, ">B"), (1 << 16, 0xda, ">H"), (1 << 32, 0xdb, ">I"))) + b
    if tag == "bin":
        b = bytes.fromhex(x)
        return _head(len(b), ((0, 0, None), (1 << 8, 0xc4, ">B"), (1 << 16, 0xc5, ">H"), (1 << 32, 0xc6, ">I"))) + b
    if tag == "array":
        return _head(len(x), ((16, 0x90, None), (1 << 16, 0xdc, ">H"), (1 << 32, 0xdd, ">I"))) + b"".join(map(encode, x))
    if tag == "map":
        return _head(len(x), ((16, 0x80, None), (1 << 16, 0xde, ">H"), (1 << 32, 0xdf, ">I"))) + b"".join(encode(k) + encode(w) for k, w in x)
    if tag == "time":
        sec, nsec = x["sec"], x["nsec"]
        if nsec == 0 and 0 <= sec < 1 << 32:
            return b"\xd6\xff" + struct.pack(">I", sec)
        if 0 <= sec < 1 << 34:
            return b"\xd7\xff" + struct.pack(">Q", nsec << 34 | sec)
        return b"\xc7\x0c\xff" + struct.pack(">Iq", nsec, sec)
    raise ValueError(tag)


def _head(n, table):
    for lim, code, fmt in table:
        if n < lim:
            return bytes([code | n]) if fmt is None else bytes([code]) + struct.pack(fmt, n)
    raise ValueError(n)


def frame(fn, file, line, col=0):
    return M([S("function"), S(fn)], [S("file"), S(file)], [S("line"), I(line)], [S("column"), I(col)])


def exc(name, message, language, frames, cause=NIL, notes=(), attributes=(), sort=True):
    kv = [[S("name"), S(name)], [S("message"), S(message)], [S("language"), S(language)],
          [S("traceback"), A(*frames)], [S("cause"), cause]]
    if notes:
        kv.append([S("notes"), A(*map(S, notes))])
    if attributes:
        pairs = [[S(k), v] for k, v in attributes]
        if sort:
            pairs.sort(key=lambda p: p[0]["str"].encode())
        kv.append([S("attributes"), M(*pairs)])
    return M(*kv)


def ok(v): return M([S("ok"), v])
def error(e): return M([S("error"), e])


vectors = []


def vec(name, kind, value, raw=None):
    canonical = encode(value)
    entry = {"name": name, "kind": kind, "hex": (raw or canonical).hex(), "value": value}
    if raw is not None:
        entry["canonical_hex"] = canonical.hex()
    msgpack.unpackb(bytes.fromhex(entry["hex"]), raw=False, strict_map_key=False, timestamp=3)
    vectors.append(entry)


# Values: every family at its encoding boundaries.
for n in (0, 1, 127, 128, 255, 256, 65535, 65536, 4294967295, 4294967296, 18446744073709551615,
          -1, -32, -33, -128, -129, -32768, -32769, -2147483648, -2147483649, -9223372036854775808):
    vec(f"int {n}", "value", I(n))
for label, x in (("0", 0.0), ("-0", -0.0), ("1.5", 1.5), ("2", 2.0), ("1e300", 1e300), ("-3.25", -3.25),
                 ("inf", "inf"), ("-inf", "-inf"), ("nan", "nan")):
    vec(f"float {label}", "value", F(x))
vec("float32 1.5", "value", {"float32": 1.5})
vec("nil", "value", NIL)
vec("true", "value", TRUE)
vec("false", "value", FALSE)
for n in (0, 1, 31, 32, 255, 256):
    vec(f"str {n} bytes", "value", S("a" * n))
vec("str utf-8", "value", S("Zoë 世界 🙂"))
for n in (0, 1, 255, 256):
    vec(f"bin {n} bytes", "value", B(bytes(i % 256 for i in range(n)).hex()))
vec("array empty", "value", A())
vec("array 15", "value", A(*map(I, range(15))))
vec("array 16", "value", A(*map(I, range(16))))
vec("array mixed", "value", A(I(1), S("two"), F(3.0), NIL, TRUE, B("ff")))
vec("map empty", "value", M())
vec("map 1", "value", M([S("a"), I(1)]))
vec("map 16", "value", M(*([S(f"k{i:02d}"), I(i)] for i in range(16))))
vec("map int keys", "value", M([I(1), S("one")], [I(-1), S("minus one")]))
vec("nested", "value", M([S("list"), A(M([S("k"), B("01")]), A(A(I(1))))], [S("f"), F(0.5)], [S("none"), NIL]))
vec("time 32", "value", {"time": {"sec": 1700000000, "nsec": 0}})
vec("time 64", "value", {"time": {"sec": 1700000000, "nsec": 123456789}})
vec("time 96 before 1970", "value", {"time": {"sec": -1, "nsec": 500}})
vec("time 96 far future", "value", {"time": {"sec": 17179869184, "nsec": 1}})
vec("int 5 as int16 (non-canonical)", "value", I(5), raw=bytes.fromhex("d10005"))
vec("str8 short (non-canonical)", "value", S("hi"), raw=bytes.fromhex("d9026869"))

# Argument arrays.
vec("args none", "args", A())
vec("args add", "args", A(I(1), I(2)))
vec("args greet", "args", A(S("World")))
vec("args divide", "args", A(F(1.0), F(0.0)))
vec("args stats", "args", A(A(F(1.0), F(2.0), F(6.0))))
vec("args echo nested", "args", A(M([S("a"), A(I(1), NIL)])))

# Envelopes.
vec("ok int", "envelope", ok(I(3)))
vec("ok nil", "envelope", ok(NIL))
vec("ok str", "envelope", ok(S("Hello, World!")))
vec("ok record", "envelope", ok(M([S("count"), I(3)], [S("mean"), F(3.0)], [S("min"), F(1.0)], [S("max"), F(6.0)])))
zero_div = exc("ZeroDivisionError", "division by zero", "python", [frame("divide", "conformance.py", 12, 5)])
vec("error simple", "envelope", error(zero_div))

# Exception records.
vec("exception minimal", "exception", exc("virgil.Panic", "boom", "go", []))
vec("exception one frame", "exception", zero_div)
chain = NIL
for level in range(1, 4):
    chain = exc(f"ChainLevel{level}", f"level {level}", "go",
                [frame("main.FailChain", "/src/conformance/chain.go", 40 + level),
                 frame(f"main.level{level}", "/src/conformance/chain.go", 20 + level)], chain)
vec("exception chain 3", "exception", chain)
vec("exception with notes", "exception",
    exc("*fs.PathError", "open /nope", "go", [frame("os.Open", "/usr/lib/go/src/os/file.go", 345, 0)],
        notes=["while loading settings", "path came from $CONFIG"]))
vec("exception across languages", "exception",
    exc("RuntimeError", "job failed", "python", [frame("run", "job.py", 8, 0)],
        exc("fetch.Error", "fetch", "go", [frame("main.fetch", "fetch.go", 30, 2)],
            exc("std::io::Error", "connection refused", "rust", [frame("lib::connect", "src/lib.rs", 77, 9)]))))
unknown_key = M([S("name"), S("KeyError")], [S("message"), S("'x'")], [S("language"), S("python")],
                [S("traceback"), A()], [S("cause"), NIL], [S("severity"), I(3)])
vectors.append({"name": "exception with unknown key (ignored)", "kind": "exception", "hex": encode(unknown_key).hex(),
                "value": exc("KeyError", "'x'", "python", []),
                "canonical_hex": encode(exc("KeyError", "'x'", "python", [])).hex()})
vec("error with cause chain", "envelope", error(chain))

# Attributes (section 6): errno and filename, a user's own fields, Python's args; keys sorted.
missing = exc("FileNotFoundError", "open /etc/app.toml: no such file or directory", "go",
              [frame("example.com/app.LoadConfig", "example.com/app/config.go", 17)],
              attributes=[("errno", I(2)), ("filename", S("/etc/app.toml"))])
vec("exception with errno and filename", "exception", missing)
vec("exception wrapper over errno", "exception",
    exc("FileNotFoundError", "load config", "go", [frame("example.com/app.Start", "example.com/app/main.go", 9)], missing))
vec("exception with user attributes", "exception",
    exc("QuotaError", "quota exceeded", "rust", [frame("conformance_rust::fail_attrs", "src/lib.rs", 88, 5)],
        attributes=[("reason", S("disk")), ("code", I(7)), ("limits", A(I(1), I(2))),
                    ("detail", M([S("used"), F(1.5)]))]))
vec("exception with args and notes", "exception",
    exc("KeyError", "'x'", "python", [frame("lookup", "app/table.py", 3)], notes=["while reading"],
        attributes=[("args", A(S("x")))]))
unsorted = exc("OSError", "connection refused", "c", [], attributes=[("filename", S("sock")), ("errno", I(111))], sort=False)
vectors.append({"name": "exception with attributes out of order", "kind": "exception", "hex": encode(unsorted).hex(),
                "value": exc("OSError", "connection refused", "c", [], attributes=[("errno", I(111)), ("filename", S("sock"))]),
                "canonical_hex": encode(exc("OSError", "connection refused", "c", [],
                                            attributes=[("errno", I(111)), ("filename", S("sock"))])).hex()})
vec("error with attributes", "envelope", error(missing))

# Manifests.
def fn(name, params, result, doc):
    return M([S("name"), S(name)], [S("params"), A(*(M([S("name"), S(p)], [S("type"), S(t)]) for p, t in params))],
             [S("result"), S(result)], [S("doc"), S(doc)])
manifest = M([S("abi"), I(1)], [S("library"), S("conformance")], [S("language"), S("go")], [S("version"), S("1.0.0")],
             [S("functions"), A(fn("add", [("a", "int"), ("b", "int")], "int", "add returns a + b."),
                                fn("stats", [("xs", "[float]")], '{"count": int, "mean": float, "min": float, "max": float}',
                                   "stats summarizes xs."))])
vec("manifest conformance (part)", "manifest", manifest)
vec("manifest empty library", "manifest",
    M([S("abi"), I(1)], [S("library"), S("empty")], [S("language"), S("c")], [S("version"), S("0.0.0")], [S("functions"), A()]))
vec("ok manifest", "envelope", ok(manifest))

# The struct rule (ABI.md section 5): structs.json. Field names are written neutrally (snake_case);
# each kit declares the type in its own spelling (Go `MaxValue`, Rust `max_value`, Haskell
# `maxValue`) with no tags or renames, so the cases exercise folded matching.
struct_types = {
    "Summary": [("count", "int", False), ("mean", "float", False), ("min", "float", False), ("max", "float", False)],
    "Limits": [("max_value", "int", False), ("min_value", "int", False), ("note", "str?", True)],
    "Shape": [("name", "str", False), ("origin", "Point", False), ("tags", "[str]", False)],
    "Point": [("x", "float", False), ("y", "float", False)],
}
struct_cases = []


def struct_case(name, type_, value_in, expect=None, error=None):
    entry = {"name": name, "type": type_, "hex": encode(value_in).hex()}
    msgpack.unpackb(bytes.fromhex(entry["hex"]), raw=False, strict_map_key=False)
    if error is not None:
        entry["error"] = error
    else:
        entry["value"] = expect
    struct_cases.append(entry)


def kv(**fields): return M(*([S(k), v] for k, v in fields.items()))
def keys(*pairs): return M(*([S(k), v] for k, v in pairs))


summary = kv(count=I(3), mean=F(2.0), min=F(1.0), max=F(3.0))
struct_case("exact keys", "Summary", summary, summary)
struct_case("Go spelling", "Summary", keys(("Count", I(3)), ("Mean", F(2.0)), ("Min", F(1.0)), ("Max", F(3.0))), summary)
struct_case("upper case", "Summary", keys(("COUNT", I(3)), ("MEAN", F(2.0)), ("MIN", F(1.0)), ("MAX", F(3.0))), summary)
struct_case("other key order", "Summary", keys(("max", F(3.0)), ("min", F(1.0)), ("mean", F(2.0)), ("count", I(3))), summary)
struct_case("unknown keys ignored", "Summary",
            keys(("count", I(3)), ("median", S("n/a")), ("mean", F(2.0)), ("min", F(1.0)), ("max", F(3.0)), ("extra", A(I(1)))), summary)
struct_case("int for float field", "Summary", keys(("count", I(3)), ("mean", I(2)), ("min", I(1)), ("max", I(3))), summary)
struct_case("missing required field", "Summary", keys(("count", I(3)), ("min", F(1.0)), ("max", F(3.0))),
            error={"kind": "missing", "field": "mean"})
struct_case("wrong field type", "Summary", keys(("count", S("three")), ("mean", F(2.0)), ("min", F(1.0)), ("max", F(3.0))),
            error={"kind": "type", "field": "count"})
struct_case("not a map", "Summary", I(3), error={"kind": "type", "field": ""})
limits = kv(max_value=I(10), min_value=I(1), note=NIL)
struct_case("snake case", "Limits", keys(("max_value", I(10)), ("min_value", I(1))), limits)
struct_case("camel case", "Limits", keys(("maxValue", I(10)), ("minValue", I(1))), limits)
struct_case("Go spelling, optional present", "Limits", keys(("MaxValue", I(10)), ("MinValue", I(1)), ("Note", S("soft"))),
            kv(max_value=I(10), min_value=I(1), note=S("soft")))
struct_case("kebab case, optional nil", "Limits", keys(("max-value", I(10)), ("min-value", I(1)), ("note", NIL)), limits)
struct_case("ambiguous keys", "Limits", keys(("MAX_VALUE", I(10)), ("max-value", I(11)), ("min_value", I(1))),
            error={"kind": "ambiguous", "field": "max_value"})
struct_case("missing required, optional absent", "Limits", keys(("max_value", I(10)),),
            error={"kind": "missing", "field": "min_value"})
shape = kv(name=S("tri"), origin=kv(x=F(1.0), y=F(2.0)), tags=A(S("a")))
struct_case("nested record", "Shape", keys(("Name", S("tri")), ("Origin", keys(("X", F(1.0)), ("Y", F(2.0)))), ("Tags", A(S("a")))), shape)
struct_case("nested missing field", "Shape", keys(("name", S("tri")), ("origin", keys(("x", F(1.0)),)), ("tags", A())),
            error={"kind": "missing", "field": "y"})
struct_case("list nil is empty", "Shape", keys(("name", S("tri")), ("origin", kv(x=F(1.0), y=F(2.0))), ("tags", NIL)),
            kv(name=S("tri"), origin=kv(x=F(1.0), y=F(2.0)), tags=A()))

Path(__file__).with_name("structs.json").write_text(json.dumps({
    "about": "The struct rule of cabi/ABI.md section 5. `types` declares records: each field is [name, type, optional], "
             "name in snake_case; a kit declares each type in its own spelling without tags (Go exported CamelCase, "
             "Rust and Python snake_case, Haskell camelCase), a type naming another record is that record. Each case "
             "lifts `hex` into `type`: it gives `value` (a typed map keyed by the snake_case names in declaration order, "
             "nil for an absent optional field) or fails with `error`: `kind` is `missing`, `ambiguous` or `type`, and "
             "the error's message, folded (ASCII lowercase, `_` and `-` removed), contains `field` folded and, for "
             "missing and ambiguous, the word `kind`.",
    "types": {k: [list(f) for f in v] for k, v in struct_types.items()},
    "cases": struct_cases}, indent=1) + "\n")
print(f"wrote {len(struct_cases)} struct cases")

out = Path(__file__).with_name("vectors.json")
out.write_text(json.dumps({"abi": 1, "vectors": vectors}, indent=1, ensure_ascii=False) + "\n")
print(f"wrote {len(vectors)} vectors to {out}")
