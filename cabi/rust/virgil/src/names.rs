//! The names of the framework's own exceptions (ABI.md, section 7), in one place: every layer
//! that raises one takes its name from here.

/// The arguments could not be lifted.
pub const ARGUMENT_ERROR: &str = "virgil.ArgumentError";
/// The result could not be lowered.
pub const RESULT_ERROR: &str = "virgil.ResultError";
/// The framework itself failed.
pub const INTERNAL_ERROR: &str = "virgil.InternalError";
/// A Rust panic.
pub const PANIC: &str = "virgil.Panic";
/// A closure was called after it stopped being valid (ABI.md, section 15).
pub const RELEASED_CLOSURE: &str = "virgil.ReleasedClosure";
/// The peer broke the ABI's protocol: a reply box pointing into the caller's own memory,
/// NULL with a length, a pointer with no length, a reply the callee did not write.
pub const PROTOCOL_ERROR: &str = "virgil.ProtocolError";
/// An allocation failed: a reply left `{NULL, 0}`, or memory a value needs.
pub const OUT_OF_MEMORY: &str = "virgil.OutOfMemory";
/// A limit of ABI.md section 11 was exceeded: nesting deeper than 512, a chain of more than
/// 256 records, a traceback of more than 4,096 frames, a reply larger than the maximum, a
/// length MessagePack cannot represent.
pub const LIMIT_EXCEEDED: &str = "virgil.LimitExceeded";

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    /// Every name of this module, and the names of section 7's table this kit never raises.
    const KIT: &[&str] = &[
        super::ARGUMENT_ERROR,
        super::RESULT_ERROR,
        super::INTERNAL_ERROR,
        super::PANIC,
        super::RELEASED_CLOSURE,
        super::PROTOCOL_ERROR,
        super::OUT_OF_MEMORY,
        super::LIMIT_EXCEEDED,
    ];
    /// Raised by hosts only: a guest neither dispatches by name nor checks the ABI version.
    const HOST_ONLY: &[&str] = &["virgil.UnknownFunction", "virgil.AbiMismatch"];

    /// The names in the first column of ABI.md section 7's table.
    fn spec_names() -> BTreeSet<String> {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../ABI.md");
        let spec = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{path}: {e}"));
        let section = spec
            .split("\n## 7.")
            .nth(1)
            .and_then(|s| s.split("\n### 7.1").next())
            .unwrap_or_else(|| panic!("{path}: no section 7"));
        section
            .lines()
            .filter_map(|l| l.strip_prefix("| `virgil."))
            .filter_map(|l| l.split('`').next())
            .map(|n| format!("virgil.{n}"))
            .collect()
    }

    #[test]
    fn names_match_the_spec_table() {
        let spec = spec_names();
        assert!(
            !spec.is_empty(),
            "ABI.md section 7: no names read from the table"
        );
        let ours: BTreeSet<String> = KIT.iter().chain(HOST_ONLY).map(|s| s.to_string()).collect();
        assert_eq!(
            ours.len(),
            KIT.len() + HOST_ONLY.len(),
            "a name is listed twice"
        );
        assert_eq!(ours, spec, "names.rs and ABI.md section 7 disagree");
    }
}
