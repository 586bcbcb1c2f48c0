//! Embeds the spec: generates `$OUT_DIR/embedded_features.rs`, a list of
//! `(file name, contents)` for every `features/*.feature`, so an installed
//! binary carries the spec with no source tree.

use std::fmt::Write as _;
use std::path::Path;

fn main() {
    let manifest = std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR");
    let dir = Path::new(&manifest).join("features");
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-changed={}", dir.display());

    let mut files: Vec<(String, String)> = Vec::new();
    if let Ok(entries) = std::fs::read_dir(&dir) {
        for entry in entries.flatten() {
            let path = entry.path();
            let is_feature = path
                .extension()
                .is_some_and(|e| e.eq_ignore_ascii_case("feature"));
            if is_feature && path.is_file() {
                let name = entry.file_name().to_string_lossy().into_owned();
                files.push((name, path.to_string_lossy().into_owned()));
            }
        }
    }
    files.sort();

    let mut code = String::from(
        "/// `(file name, contents)` of every `features/*.feature`, sorted by name.\n\
         pub(crate) static EMBEDDED_FEATURES: &[(&str, &str)] = &[\n",
    );
    for (name, path) in &files {
        let _ = writeln!(code, "    ({name:?}, include_str!({path:?})),");
    }
    code.push_str("];\n");

    let out = Path::new(&std::env::var("OUT_DIR").expect("cargo sets OUT_DIR"))
        .join("embedded_features.rs");
    std::fs::write(&out, code).expect("write embedded_features.rs");
}
