//! What `#[virgil::export]` registers of a function ([`Export`], [`Param`]), and the frame and
//! file names a record of it shows (ABI.md, section 6).

use crate::exception::{Exception, Frame};
use crate::ffi::VirgilFn;
use crate::types::Ty;

/// A parameter of an exported function.
#[derive(Clone, Copy, Debug)]
pub struct Param {
    /// Its name in the Rust source.
    pub name: &'static str,
    /// Its type.
    pub ty: Ty,
}

/// An exported function, as `#[virgil::export]` registers it.
#[derive(Debug)]
pub struct Export {
    /// The exported symbol.
    pub name: &'static str,
    /// The parameters, in order.
    pub params: &'static [Param],
    /// The result type.
    pub result: Ty,
    /// The doc comment.
    pub doc: &'static str,
    /// The Rust function's path (`my_crate::add`).
    pub function: &'static str,
    /// Its source file.
    pub file: &'static str,
    /// The line of its name.
    pub line: u32,
    /// The directory of its crate (`CARGO_MANIFEST_DIR`): files are shown relative to it.
    pub root: &'static str,
    /// The package it was defined in (the manifest's default library name).
    pub package: &'static str,
    /// That package's version.
    pub version: &'static str,
    /// The exported symbol's function.
    pub symbol: VirgilFn,
}

impl Export {
    /// The frame that names this function: the traceback of a failure that has no frames of its
    /// own.
    pub fn frame(&self) -> Frame {
        Frame {
            function: self.function.to_owned(),
            file: crate_relative(self.file, self.root),
            line: self.line,
            column: 0,
        }
    }

    /// Makes the files of a record's Rust frames relative to their crate (ABI.md, section 6):
    /// this function's crate, or for a dependency from a registry, its `name-version` directory.
    /// Levels of other languages are left as they came.
    pub(crate) fn relativize(&self, record: &mut Exception) {
        let mut level = Some(record);
        while let Some(x) = level {
            if x.language == crate::exception::LANGUAGE {
                for frame in &mut x.traceback {
                    frame.file = crate_relative(&frame.file, self.root);
                }
            }
            level = x.cause.as_deref_mut();
        }
    }
}

/// `file` relative to the crate at `root`, as `file!()` shows a file of a crate built on its own
/// (`src/lib.rs`).
///
/// An absolute file under `root` loses `root`. A relative one is as rustc was given it, relative
/// to the workspace's root (`../../examples/guest/src/lib.rs`, `guest/src/lib.rs`): it loses the
/// leading `..` and the longest run of directories that ends `root`. A file in a registry's
/// source directory (`~/.cargo/registry/src/index.crates.io-…/serde-1.0.0/src/de.rs`) keeps
/// its package's directory (`serde-1.0.0/src/de.rs`). Other files are left as they are.
pub(crate) fn crate_relative(file: &str, root: &str) -> String {
    use std::path::{Component, Path};
    let path = Path::new(file);
    if path.is_absolute() {
        if let Ok(rest) = path.strip_prefix(root) {
            return rest.display().to_string();
        }
        if let Some((_, rest)) = file.split_once("/.cargo/registry/src/")
            && let Some((_, package)) = rest.split_once('/')
        {
            return package.to_owned();
        }
        return file.to_owned();
    }
    let parts: Vec<&str> = path
        .components()
        .skip_while(|c| matches!(c, Component::ParentDir | Component::CurDir))
        .filter_map(|c| c.as_os_str().to_str())
        .collect();
    let root_parts: Vec<&str> = Path::new(root)
        .components()
        .filter_map(|c| match c {
            Component::Normal(s) => s.to_str(),
            _ => None,
        })
        .collect();
    let shared = (1..parts.len().min(root_parts.len() + 1))
        .rev()
        .find(|&n| root_parts.ends_with(&parts[..n]));
    match shared {
        Some(n) => parts[n..].join("/"),
        None => file.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_are_relative_to_their_crate() {
        let root = "/work/app/examples/guest";
        let cases = [
            ("/work/app/examples/guest/src/lib.rs", "src/lib.rs"),
            ("../../examples/guest/src/lib.rs", "src/lib.rs"),
            ("examples/guest/src/lib.rs", "src/lib.rs"),
            ("guest/src/errors.rs", "src/errors.rs"),
            ("src/lib.rs", "src/lib.rs"),
            (
                "/home/u/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/serde-1.0.228/src/de.rs",
                "serde-1.0.228/src/de.rs",
            ),
            (
                "/rustc/abc/library/std/src/io.rs",
                "/rustc/abc/library/std/src/io.rs",
            ),
            ("", ""),
        ];
        for (file, want) in cases {
            assert_eq!(crate_relative(file, root), want, "{file}");
        }
    }
}
