//! The scratch-buffer protocol (ABI.md, section 3) and the allocation counters, in a test binary
//! of its own: one test, so that no other test allocates while the counters are compared.

use virgil::testing::{call_raw, symbol};
use virgil::{Value, decode, encode};

#[virgil::export]
fn filled(n: usize) -> Vec<u8> {
    vec![7; n]
}

#[virgil::export]
fn echo(v: Value) -> Value {
    v
}

#[virgil::export]
fn fail(n: u8) -> Result<(), virgil::Error> {
    Err(virgil::Error::msg("x".repeat(n.into())))
}

#[test]
fn scratch_buffers_and_counters() {
    replies_go_where_the_protocol_says();
    large_payloads_are_allocated_once();
}

fn replies_go_where_the_protocol_says() {
    let f = symbol("filled").unwrap();
    let args = encode(&(100,)).unwrap();
    let reply_len = 4 + 2 + 100; // {"ok": bin8 of 100 bytes}
    let before = virgil::stats();

    let fits = call_raw(f, &args, 1024);
    assert!(fits.in_scratch);
    assert_eq!(fits.bytes.len(), reply_len);
    assert_eq!(&fits.bytes[..6], b"\x81\xa2ok\xc4\x64");
    assert_eq!(
        virgil::stats(),
        before,
        "a reply that fits allocates nothing"
    );

    let exact = call_raw(f, &args, reply_len);
    assert!(
        exact.in_scratch,
        "a reply of exactly the scratch buffer's size goes there"
    );
    assert_eq!(exact.bytes, fits.bytes);

    let over = call_raw(f, &args, reply_len - 1);
    assert!(!over.in_scratch, "one byte over: the guest allocates");
    assert_eq!(over.bytes, fits.bytes);

    let none = call_raw(f, &args, 0);
    assert!(!none.in_scratch, "no scratch buffer: the guest allocates");
    assert_eq!(none.bytes, fits.bytes);

    // Error replies follow the same protocol, also when they outgrow the scratch buffer.
    let small = call_raw(symbol("fail").unwrap(), &encode(&(200,)).unwrap(), 64);
    assert!(!small.in_scratch);
    let x = decode::<virgil::Envelope>(&small.bytes)
        .unwrap()
        .into_result()
        .unwrap_err();
    assert_eq!(x.message.len(), 200);

    let after = virgil::stats();
    assert_eq!(after.allocations - before.allocations, 3);
    assert_eq!(after.frees - before.frees, 3);
    assert_eq!(after.live, before.live, "every allocated reply was freed");
}

fn large_payloads_are_allocated_once() {
    let payload: Vec<u8> = (0..64 << 20).map(|i| (i % 251) as u8).collect();
    let args = encode(&(virgil::Bytes::new(&payload),)).unwrap();
    let before = virgil::stats();
    let reply = call_raw(symbol("echo").unwrap(), &args, 16 << 10);
    let after = virgil::stats();
    assert_eq!(
        after.allocations - before.allocations,
        1,
        "one allocation for a 64 MiB reply"
    );
    assert_eq!(after.live, before.live);
    assert_eq!(
        &reply.bytes[..9],
        &[0x81, 0xa2, b'o', b'k', 0xc6, 0x04, 0x00, 0x00, 0x00]
    );
    assert!(reply.bytes[9..] == payload[..]);
}
