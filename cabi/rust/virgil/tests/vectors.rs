//! Every test vector of `cabi/testdata/vectors.json`, byte for byte (ABI.md, section 13): decoding
//! `hex` gives `value`, and encoding `value` gives `canonical_hex` or else `hex`. Exception,
//! envelope and manifest vectors are also read as their record types (which drop the keys a
//! reader must ignore) and written back.

mod common;

use common::{hex, read_json, typed, unhex};
use virgil::{Envelope, Exception, Manifest, Value, decode, encode};

struct Vector {
    name: String,
    kind: String,
    bytes: Vec<u8>,
    value: Value,
    canonical: Vec<u8>,
    has_canonical: bool,
}

fn vectors() -> Vec<Vector> {
    let doc = read_json("testdata/vectors.json");
    assert_eq!(doc["abi"], 1);
    doc["vectors"]
        .as_array()
        .expect("vectors")
        .iter()
        .map(|v| {
            let bytes = unhex(v["hex"].as_str().expect("hex"));
            let canonical = v["canonical_hex"].as_str().map(unhex);
            Vector {
                name: v["name"].as_str().expect("name").to_owned(),
                kind: v["kind"].as_str().expect("kind").to_owned(),
                value: typed(&v["value"]),
                has_canonical: canonical.is_some(),
                canonical: canonical.unwrap_or_else(|| bytes.clone()),
                bytes,
            }
        })
        .collect()
}

/// Re-reads a record as a generic value, to compare it with the vector's value.
fn as_value<T: serde::Serialize>(record: &T) -> Value {
    decode(&encode(record).unwrap()).unwrap()
}

#[test]
fn there_are_vectors_of_every_kind() {
    let all = vectors();
    for kind in ["value", "args", "envelope", "exception", "manifest"] {
        assert!(all.iter().any(|v| v.kind == kind), "no {kind} vectors");
    }
    assert!(all.len() >= 80, "only {} vectors", all.len());
}

#[test]
fn decoding_gives_the_value() {
    for v in vectors() {
        let read_as_record =
            v.has_canonical && matches!(v.kind.as_str(), "exception" | "envelope" | "manifest");
        let got = match v.kind.as_str() {
            _ if !read_as_record => {
                decode::<Value>(&v.bytes).unwrap_or_else(|e| panic!("{}: {e}", v.name))
            }
            "exception" => as_value(&Exception::decode(&v.bytes).unwrap()),
            "envelope" => as_value(&decode::<Envelope>(&v.bytes).unwrap()),
            _ => as_value(&decode::<Manifest>(&v.bytes).unwrap()),
        };
        assert_eq!(got, v.value, "{}", v.name);
    }
}

#[test]
fn encoding_gives_the_canonical_bytes() {
    for v in vectors() {
        let got = encode(&v.value).unwrap();
        assert_eq!(hex(&got), hex(&v.canonical), "{}", v.name);
    }
}

#[test]
fn records_read_and_write_byte_for_byte() {
    let mut seen = 0;
    for v in vectors() {
        let written = match v.kind.as_str() {
            "exception" => Exception::decode(&v.bytes).map(|x| x.encode()),
            "envelope" => decode::<Envelope>(&v.bytes).map(|e| encode(&e).unwrap()),
            "manifest" => decode::<Manifest>(&v.bytes).map(|m| encode(&m).unwrap()),
            "args" => decode::<Vec<Value>>(&v.bytes).map(|a| encode(&a).unwrap()),
            _ => continue,
        };
        let written = written.unwrap_or_else(|e| panic!("{}: {e}", v.name));
        assert_eq!(hex(&written), hex(&v.canonical), "{}", v.name);
        seen += 1;
    }
    assert_eq!(seen, 27);
}

#[test]
fn exception_vectors_have_their_fields() {
    let v = vectors()
        .into_iter()
        .find(|v| v.name == "exception chain 3")
        .expect("vector");
    let x = Exception::decode(&v.bytes).unwrap();
    let names: Vec<&str> = x.chain().map(|l| l.name.as_str()).collect();
    assert_eq!(names, ["ChainLevel3", "ChainLevel2", "ChainLevel1"]);
    assert!(x.traceback.len() >= 2);
    assert_eq!(x.traceback[0].function, "main.FailChain");

    let v = vectors()
        .into_iter()
        .find(|v| v.name == "exception with unknown key (ignored)")
        .expect("vector");
    let x = Exception::decode(&v.bytes).unwrap();
    assert_eq!(
        (x.name.as_str(), x.message.as_str(), x.language.as_str()),
        ("KeyError", "'x'", "python")
    );
}

#[test]
fn attributes_are_read_sorted_and_ignored_when_not_a_map() {
    let find = |name: &str| {
        vectors()
            .into_iter()
            .find(|v| v.name == name)
            .unwrap_or_else(|| panic!("no vector {name:?}"))
    };
    let x = Exception::decode(&find("exception with errno and filename").bytes).unwrap();
    assert_eq!(x.name, "FileNotFoundError");
    assert_eq!(x.errno(), Some(2));
    assert_eq!(x.filename(), Some("/etc/app.toml"));
    assert_eq!(x.io_error_kind(), Some(std::io::ErrorKind::NotFound));

    let v = find("exception with attributes out of order");
    let x = Exception::decode(&v.bytes).unwrap();
    let keys: Vec<&str> = x.attributes.keys().map(String::as_str).collect();
    let mut sorted = keys.clone();
    sorted.sort_by(|a, b| a.as_bytes().cmp(b.as_bytes()));
    assert_eq!(keys, sorted);
    assert_eq!(hex(&x.encode()), hex(&v.canonical));

    // A peer's `attributes` that is not a map is ignored, like an unknown key.
    let mut bytes = vec![0x82, 0xa4];
    bytes.extend_from_slice(b"name");
    bytes.extend_from_slice(&[0xa1, b'E', 0xaa]);
    bytes.extend_from_slice(b"attributes");
    bytes.push(0x93); // [1, 2, 3]
    bytes.extend_from_slice(&[1, 2, 3]);
    let x = Exception::decode(&bytes).unwrap();
    assert!(x.attributes.is_empty());
    assert_eq!(
        x.encode(),
        b"\x85\xa4name\xa1E\xa7message\xa0\xa8language\xa0\xa9traceback\x90\xa5cause\xc0"
    );
}
