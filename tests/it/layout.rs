//! The code map stays true (issue 12): every area of the spec has its step module, step
//! modules of areas do not reach into each other, and every fault of the reference server
//! names an area that exists (the kill matrix then holds that area to catching it).

use std::collections::BTreeSet;
use std::path::Path;

use oauthspec_reference_server::Fault;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// `features/<area>.feature` → the areas.
fn areas() -> BTreeSet<String> {
    std::fs::read_dir(root().join("features"))
        .unwrap()
        .filter_map(|e| {
            let name = e.unwrap().file_name().into_string().unwrap();
            name.strip_suffix(".feature").map(str::to_owned)
        })
        .collect()
}

#[test]
fn every_feature_file_has_its_step_module_and_no_area_imports_another() {
    let areas = areas();
    assert!(areas.len() >= 16, "{areas:?}");
    let steps_mod = std::fs::read_to_string(root().join("src/steps/mod.rs")).unwrap();
    for area in &areas {
        let file = root().join(format!("src/steps/{area}.rs"));
        assert!(
            file.exists(),
            "features/{area}.feature has no step module src/steps/{area}.rs"
        );
        assert!(
            steps_mod.contains(&format!("pub mod {area};")),
            "src/steps/mod.rs does not declare `pub mod {area};`"
        );
        // An area may keep part of its steps in src/steps/{area}/ (its
        // submodules): they answer to the same rule.
        let mut files = vec![file];
        if let Ok(dir) = std::fs::read_dir(root().join(format!("src/steps/{area}"))) {
            files.extend(dir.map(|e| e.unwrap().path()));
        }
        for file in &files {
            let text = std::fs::read_to_string(file).unwrap();
            let shown = file.strip_prefix(root()).unwrap().display();
            for other in areas.iter().filter(|o| *o != area) {
                for path in [
                    format!("super::{other}::"),
                    format!("super::super::{other}::"),
                    format!("steps::{other}::"),
                ] {
                    assert!(
                        !text.contains(&path),
                        "{shown} uses `{path}`: step files of areas do not import each other (shared steps go in a shared module)"
                    );
                }
            }
        }
    }
}

#[test]
fn every_fault_names_an_area_that_exists() {
    let areas = areas();
    for f in Fault::ALL {
        assert!(
            areas.contains(f.area()),
            "fault {} names area {:?}, which has no features/{}.feature",
            f.name(),
            f.area(),
            f.area()
        );
    }
}

/// Which top-level modules of `src/` each one names (`crate::x`), outside tests and comments.
fn module_edges() -> std::collections::BTreeMap<String, BTreeSet<String>> {
    fn walk(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                walk(&p, out);
            } else if p.extension().is_some_and(|x| x == "rs") {
                out.push(p);
            }
        }
    }
    let src = root().join("src");
    let mut files = Vec::new();
    walk(&src, &mut files);
    let top = |p: &Path| {
        let rel = p.strip_prefix(&src).unwrap();
        let first = rel
            .components()
            .next()
            .unwrap()
            .as_os_str()
            .to_string_lossy();
        first.trim_end_matches(".rs").to_owned()
    };
    let tops: BTreeSet<String> = files.iter().map(|p| top(p)).collect();
    let mut edges: std::collections::BTreeMap<String, BTreeSet<String>> = Default::default();
    for p in &files {
        let from = top(p);
        let name = p.file_name().unwrap().to_string_lossy();
        if from == "lib" || from == "main" || name == "tests.rs" || name.ends_with("_tests.rs") {
            continue;
        }
        let text = std::fs::read_to_string(p).unwrap();
        let code = text.split("#[cfg(test)]\nmod tests").next().unwrap();
        for line in code.lines().map(|l| l.split("//").next().unwrap()) {
            for part in line.split("crate::").skip(1) {
                let to: String = part
                    .chars()
                    .take_while(|c| c.is_ascii_lowercase() || *c == '_')
                    .collect();
                if to != from && tops.contains(&to) {
                    edges.entry(from.clone()).or_default().insert(to);
                }
            }
        }
    }
    edges
}

/// Issue 12: dependencies point one way. A module that names another never gets named back,
/// directly or through others.
#[test]
fn the_harness_modules_have_no_import_cycles() {
    let edges = module_edges();
    assert!(
        edges.get("steps").is_some_and(|s| s.contains("driver")),
        "the scan finds nothing: {edges:?}"
    );
    // Depth-first search for a path back to the start.
    fn reaches(
        edges: &std::collections::BTreeMap<String, BTreeSet<String>>,
        from: &str,
        to: &str,
        seen: &mut BTreeSet<String>,
        path: &mut Vec<String>,
    ) -> bool {
        for next in edges.get(from).into_iter().flatten() {
            path.push(next.clone());
            if next == to || (seen.insert(next.clone()) && reaches(edges, next, to, seen, path)) {
                return true;
            }
            path.pop();
        }
        false
    }
    for start in edges.keys() {
        let mut path = vec![start.clone()];
        let found = reaches(&edges, start, start, &mut BTreeSet::new(), &mut path);
        assert!(!found, "import cycle: {}", path.join(" -> "));
    }
    // The leaf stays a leaf.
    assert!(
        !edges.contains_key("protocol"),
        "protocol names {:?}",
        edges.get("protocol")
    );
}
