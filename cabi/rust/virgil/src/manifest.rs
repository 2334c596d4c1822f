//! The manifest (ABI.md, section 8): what `virgil_manifest` replies, built from the functions
//! `#[virgil::export]` registered and the library `virgil::library!` declared.

use std::sync::OnceLock;

use serde::{Deserialize, Serialize};

use crate::codec;
use crate::exception::{Exception, LANGUAGE};
use crate::export::Export;
use crate::names;
use crate::reply::Reply;

/// The ABI version this kit speaks (`VIRGIL_ABI_VERSION`).
pub const ABI_VERSION: u32 = 1;

/// Every exported function, registered by `#[virgil::export]`.
#[linkme::distributed_slice]
#[doc(hidden)]
pub static EXPORTS: [Export];

/// The library's name and version, declared by `virgil::library!` (at most once).
#[linkme::distributed_slice]
#[doc(hidden)]
pub static LIBRARY: [Library];

/// A library declaration; see [`library!`](crate::library).
#[doc(hidden)]
#[derive(Debug)]
pub struct Library {
    pub name: &'static str,
    pub version: &'static str,
}

/// A library's manifest, as `virgil_manifest` replies it. Keys in this order on the wire;
/// readers ignore unknown keys.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Manifest {
    /// The ABI version (1).
    pub abi: u32,
    /// The library's name (`conformance`).
    pub library: String,
    /// The language it is written in (`rust`).
    pub language: String,
    /// Its version.
    pub version: String,
    /// Its functions, sorted by name.
    pub functions: Vec<FunctionInfo>,
    /// Whether its functions accept borrowed byte strings and strings (ABI.md section 16): every
    /// library this kit builds does. Written only when true.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub borrow: bool,
}

/// One function of a [`Manifest`].
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct FunctionInfo {
    /// The exported name.
    pub name: String,
    /// The parameters, in order.
    pub params: Vec<ParamInfo>,
    /// The result type in the vocabulary (`nil` for none).
    pub result: String,
    /// The doc comment.
    pub doc: String,
}

/// One parameter of a [`FunctionInfo`].
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ParamInfo {
    /// Its name.
    pub name: String,
    /// Its type in the vocabulary.
    #[serde(rename = "type")]
    pub ty: String,
}

/// This library's manifest. Its name and version come from `virgil::library!`, or else from the
/// package of its exported functions.
pub fn manifest() -> Result<Manifest, String> {
    let mut functions: Vec<&Export> = EXPORTS.iter().collect();
    functions.sort_by_key(|f| f.name);
    let (library, version) = match &LIBRARY[..] {
        [] => functions
            .first()
            .map_or(("", "0.0.0"), |f| (f.package, f.version)),
        [one] => (one.name, one.version),
        many => {
            let names: Vec<&str> = many.iter().map(|l| l.name).collect();
            return Err(format!(
                "virgil::library! is declared {} times: {names:?}",
                many.len()
            ));
        }
    };
    Ok(Manifest {
        abi: ABI_VERSION,
        library: library.to_owned(),
        language: LANGUAGE.to_owned(),
        version: version.to_owned(),
        functions: functions.iter().map(|f| describe(f)).collect(),
        borrow: true,
    })
}

fn describe(f: &Export) -> FunctionInfo {
    FunctionInfo {
        name: f.name.to_owned(),
        params: f
            .params
            .iter()
            .map(|p| ParamInfo {
                name: p.name.to_owned(),
                ty: p.ty.to_string(),
            })
            .collect(),
        result: f.result.to_string(),
        doc: f.doc.to_owned(),
    }
}

/// Writes the reply of `virgil_manifest`: the envelope is built once and then copied.
pub(crate) fn write_reply(reply: &mut Reply) -> Result<(), Exception> {
    static ENVELOPE: OnceLock<Result<Vec<u8>, String>> = OnceLock::new();
    let envelope = ENVELOPE.get_or_init(|| {
        let m = manifest()?;
        codec::encode(&codec::Envelope::Ok(m)).map_err(|e| e.to_string())
    });
    match envelope {
        Ok(bytes) => crate::call::reply_raw(reply, bytes),
        Err(e) => Err(Exception::new(
            names::INTERNAL_ERROR,
            format!("virgil_manifest: {e}"),
        )),
    }
}
