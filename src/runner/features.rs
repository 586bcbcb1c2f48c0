//! Where the `.feature` files come from, and parsing them into gherkin.

use std::path::{Path, PathBuf};

use cucumber::feature::Ext as _;
use cucumber::gherkin::{self, GherkinEnv};
use cucumber::tag::Ext as _;
use gherkin::tagexpr::TagOperation;

use super::RunError;

include!(concat!(env!("OUT_DIR"), "/embedded_features.rs"));

/// The spec to run.
#[derive(Clone, Debug)]
pub enum FeatureSource {
    /// The `features/` directory embedded in the binary at build time.
    Embedded,
    /// Every `*.feature` under this directory (`--features DIR`), recursively.
    Dir(PathBuf),
    /// In-memory `(file name, Gherkin text)` pairs; the area is the file
    /// stem. Handy for tests.
    Texts(Vec<(String, String)>),
}

/// `(file name, contents)` of the embedded spec, sorted by name.
pub fn embedded() -> &'static [(&'static str, &'static str)] {
    EMBEDDED_FEATURES
}

/// Reads and parses the features, expanding `Scenario Outline` examples.
/// Each feature's `path` is set (virtual `features/<name>` for embedded
/// and in-memory ones) so the area can be derived from it.
pub fn load(source: &FeatureSource) -> Result<Vec<gherkin::Feature>, RunError> {
    let texts: Vec<(PathBuf, String)> = match source {
        FeatureSource::Embedded => embedded()
            .iter()
            .map(|(name, text)| (Path::new("features").join(name), (*text).to_owned()))
            .collect(),
        FeatureSource::Texts(texts) => texts
            .iter()
            .map(|(name, text)| (Path::new("features").join(name), text.clone()))
            .collect(),
        FeatureSource::Dir(dir) => {
            let mut paths = Vec::new();
            collect_feature_files(dir, &mut paths)?;
            paths.sort();
            let mut out = Vec::with_capacity(paths.len());
            for p in paths {
                let text = std::fs::read_to_string(&p).map_err(|source| RunError::FeaturesDir {
                    path: p.clone(),
                    source,
                })?;
                out.push((p, text));
            }
            out
        }
    };
    if texts.is_empty() {
        return Err(RunError::NoFeatures {
            place: describe(source),
        });
    }
    let mut features = Vec::with_capacity(texts.len());
    for (path, text) in texts {
        let mut feature =
            gherkin::Feature::parse(&text, GherkinEnv::default()).map_err(|e| RunError::Parse {
                path: path.clone(),
                message: e.to_string(),
            })?;
        feature.path = Some(path.clone());
        let feature = feature.expand_examples().map_err(|e| RunError::Parse {
            path,
            message: e.to_string(),
        })?;
        features.push(feature);
    }
    Ok(features)
}

fn describe(source: &FeatureSource) -> String {
    match source {
        FeatureSource::Embedded => "the embedded spec".to_owned(),
        FeatureSource::Dir(d) => d.display().to_string(),
        FeatureSource::Texts(_) => "the given texts".to_owned(),
    }
}

fn collect_feature_files(dir: &Path, out: &mut Vec<PathBuf>) -> Result<(), RunError> {
    let entries = std::fs::read_dir(dir).map_err(|source| RunError::FeaturesDir {
        path: dir.to_path_buf(),
        source,
    })?;
    for entry in entries {
        let entry = entry.map_err(|source| RunError::FeaturesDir {
            path: dir.to_path_buf(),
            source,
        })?;
        let path = entry.path();
        let ty = entry.file_type().map_err(|source| RunError::FeaturesDir {
            path: path.clone(),
            source,
        })?;
        if ty.is_dir() {
            collect_feature_files(&path, out)?;
        } else if path
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("feature"))
        {
            out.push(path);
        }
    }
    Ok(())
}

/// Parses a cucumber tag expression (`@must and not @slow`).
pub fn parse_tags(expr: &str) -> Result<TagOperation, RunError> {
    expr.trim()
        .parse::<TagOperation>()
        .map_err(|e| RunError::BadTags {
            expr: expr.to_owned(),
            message: e.to_string(),
        })
}

/// Keeps only the scenarios whose tags (feature, rule and scenario tags
/// together, as cucumber does) satisfy `tags`; drops rules and features left
/// empty. Returns the number of scenarios kept.
pub fn filter(features: &mut Vec<gherkin::Feature>, tags: Option<&TagOperation>) -> usize {
    if let Some(op) = tags {
        for f in features.iter_mut() {
            let feature_tags = f.tags.clone();
            f.scenarios
                .retain(|s| op.eval(feature_tags.iter().chain(s.tags.iter())));
            for r in &mut f.rules {
                let rule_tags = r.tags.clone();
                r.scenarios.retain(|s| {
                    op.eval(
                        feature_tags
                            .iter()
                            .chain(rule_tags.iter())
                            .chain(s.tags.iter()),
                    )
                });
            }
            f.rules.retain(|r| !r.scenarios.is_empty());
        }
        features.retain(|f| !f.scenarios.is_empty() || !f.rules.is_empty());
    }
    features
        .iter()
        .map(|f| f.scenarios.len() + f.rules.iter().map(|r| r.scenarios.len()).sum::<usize>())
        .sum()
}

/// The area of a feature: its file stem (`features/pkce.feature` → `pkce`).
pub fn area_of(feature: &gherkin::Feature) -> String {
    feature
        .path
        .as_deref()
        .and_then(|p| p.file_stem())
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| crate::report::model::slug(&feature.name))
}

/// The id of every scenario of `source` (`area/slug`, as reports name them), unfiltered.
pub fn scenario_ids(source: &FeatureSource) -> Result<Vec<String>, RunError> {
    let parsed = load(source)?;
    Ok(parsed
        .iter()
        .flat_map(|f| {
            let area = area_of(f);
            f.scenarios
                .iter()
                .chain(f.rules.iter().flat_map(|r| r.scenarios.iter()))
                .map(move |s| format!("{area}/{}", crate::report::model::slug(&s.name)))
        })
        .collect())
}
