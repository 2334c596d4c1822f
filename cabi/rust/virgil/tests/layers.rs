//! The layers of `virgil/src` (the "Architecture" table of `cabi/rust/README.md`): every module
//! is in exactly one layer, no module imports one of a higher layer, and the imports form no
//! circle. Unit tests (`#[cfg(test)] mod tests`, at the end of a file) may import anything.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::Path;

const SRC: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/src");
const README: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../README.md");

/// Module name → layer number, from the README's table: rows `| 1. name | `a`, `b` | ...`.
fn layers() -> BTreeMap<String, usize> {
    let text = fs::read_to_string(README).unwrap_or_else(|e| panic!("{README}: {e}"));
    let section = text
        .split("\n## Architecture\n")
        .nth(1)
        .and_then(|s| s.split("\n## ").next())
        .unwrap_or_else(|| panic!("{README}: no \"## Architecture\" section"));
    let mut layers = BTreeMap::new();
    for row in section.lines().filter_map(|l| l.strip_prefix("| ")) {
        let cells: Vec<&str> = row.split(" | ").collect();
        let Some(n) = cells[0]
            .split('.')
            .next()
            .and_then(|n| n.parse::<usize>().ok())
        else {
            continue;
        };
        let modules = cells
            .get(1)
            .unwrap_or_else(|| panic!("{README}: layer {n}: no modules"));
        for module in modules.split(", ").map(|m| m.trim_matches('`')) {
            if let Some(other) = layers.insert(module.to_string(), n) {
                panic!("{README}: {module} is in layers {other} and {n}");
            }
        }
    }
    assert!(
        layers.len() > 10,
        "{README}: only {} modules in the table",
        layers.len()
    );
    layers
}

/// The modules a source file names as `crate::module`, outside comments and its unit tests.
fn imports(source: &str, modules: &BTreeMap<String, usize>) -> BTreeSet<String> {
    let code = source
        .split("#[cfg(test)]\nmod tests")
        .next()
        .unwrap_or_default();
    let mut found = BTreeSet::new();
    for line in code.lines() {
        let line = line.split("//").next().unwrap_or_default();
        for (i, _) in line.match_indices("crate::") {
            let rest = &line[i + "crate::".len()..];
            let name: String = rest
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            if modules.contains_key(&name) {
                found.insert(name);
            }
        }
    }
    found
}

#[test]
fn modules_import_only_their_layer_and_below_without_circles() {
    let layers = layers();
    // A module's files: `name.rs` and those of its submodules, under `name/`.
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut files = Vec::new();
    for entry in fs::read_dir(SRC).unwrap_or_else(|e| panic!("{SRC}: {e}")) {
        let path = entry.expect("a directory entry").path();
        if path.is_dir() {
            let name = path
                .file_name()
                .and_then(|s| s.to_str())
                .unwrap_or_default()
                .to_string();
            for sub in fs::read_dir(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display())) {
                files.push((name.clone(), sub.expect("a directory entry").path()));
            }
        } else if path.extension().is_some_and(|e| e == "rs") {
            let name = path
                .file_stem()
                .and_then(|s| s.to_str())
                .unwrap_or_default()
                .to_string();
            files.push((name, path));
        }
    }
    for (module, path) in files {
        assert!(
            layers.contains_key(&module),
            "{}: the module {module} is in no layer of {README}'s Architecture table",
            path.display()
        );
        let source =
            fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let mut deps = imports(&source, &layers);
        deps.remove(&module);
        graph.entry(module).or_default().extend(deps);
    }
    for module in layers.keys() {
        assert!(
            Path::new(SRC).join(format!("{module}.rs")).exists(),
            "{README}: the table names {module}, which has no {module}.rs"
        );
    }

    let mut up = Vec::new();
    for (module, deps) in &graph {
        for dep in deps {
            if layers[dep] > layers[module] {
                up.push(format!(
                    "{module} (layer {}) -> {dep} (layer {})",
                    layers[module], layers[dep]
                ));
            }
        }
    }
    assert!(up.is_empty(), "imports that run up: {up:#?}");

    // A depth-first search: a module met again while it is still open closes a circle.
    fn visit<'g>(
        module: &'g str,
        graph: &'g BTreeMap<String, BTreeSet<String>>,
        open: &mut Vec<&'g str>,
        done: &mut BTreeSet<&'g str>,
    ) -> Result<(), String> {
        if let Some(at) = open.iter().position(|m| *m == module) {
            return Err(format!("{} -> {module}", open[at..].join(" -> ")));
        }
        if !done.insert(module) {
            return Ok(());
        }
        open.push(module);
        for dep in &graph[module] {
            visit(dep, graph, open, done)?;
        }
        open.pop();
        Ok(())
    }
    let mut done = BTreeSet::new();
    for module in graph.keys() {
        if let Err(circle) = visit(module, &graph, &mut Vec::new(), &mut done) {
            panic!("a circle of imports: {circle}");
        }
    }
}
