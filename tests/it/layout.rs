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
        let text = std::fs::read_to_string(&file).unwrap();
        for other in areas.iter().filter(|o| *o != area) {
            for path in [format!("super::{other}::"), format!("steps::{other}::")] {
                assert!(
                    !text.contains(&path),
                    "src/steps/{area}.rs uses `{path}`: step files of areas do not import each other (shared steps go in a shared module)"
                );
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
