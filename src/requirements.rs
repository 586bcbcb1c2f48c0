//! The requirement table: every scenario of the spec with its level, the
//! sections it cites, the rule it checks in the RFC's own words and the
//! answers it accepts. Generated from the features (`oauthspec
//! requirements`), committed as `docs/REQUIREMENTS.md` (a test keeps the
//! two equal) and linted: a scenario without a quoted rule, an "Accepted:"
//! line, one level tag or a source is a defect of the spec.
//!
//! ```
//! use oauthspec::requirements;
//! use oauthspec::runner::{FeatureSource, features};
//!
//! let spec = features::load(&FeatureSource::Embedded).unwrap();
//! let table = requirements::collect(&spec);
//! assert!(requirements::problems(&table).is_empty());
//! assert!(requirements::markdown(&table).contains("| MUST |"));
//! ```

use std::fmt::Write as _;

use cucumber::gherkin;

use crate::report::model::{self, Level};
use crate::runner::features::area_of;

/// One scenario as a requirement.
#[derive(Clone, Debug)]
pub struct Requirement {
    pub area: String,
    pub feature: String,
    pub scenario: String,
    /// Every level tag it carries (exactly one, for a sound scenario).
    pub levels: Vec<Level>,
    /// `RFC 6749 §4.1.3`, from the `@rfc…` / `@oidc…` tags.
    pub sources: Vec<String>,
    /// Whether it is tagged `@security`.
    pub security: bool,
    /// The description before its "Accepted:" line: the rule, quoted.
    pub rule: String,
    /// The "Accepted:" line and what follows it, without the label.
    pub accepted: String,
}

impl Requirement {
    /// The level it is held to (MUST when it has no level tag).
    pub fn level(&self) -> Level {
        self.levels.first().copied().unwrap_or(Level::Must)
    }
}

/// The requirements of `features`, in file order (an outline once).
pub fn collect(features: &[gherkin::Feature]) -> Vec<Requirement> {
    let mut out = Vec::new();
    for feature in features {
        let scenarios = feature.scenarios.iter().map(|s| (None, s)).chain(
            feature
                .rules
                .iter()
                .flat_map(|r| r.scenarios.iter().map(move |s| (Some(r), s))),
        );
        for (rule, scenario) in scenarios {
            let tags: Vec<String> = feature
                .tags
                .iter()
                .chain(rule.into_iter().flat_map(|r| r.tags.iter()))
                .chain(scenario.tags.iter())
                .map(|t| t.trim_start_matches('@').to_owned())
                .collect();
            let levels = tags
                .iter()
                .filter_map(|t| model::level_from_tags(std::slice::from_ref(t)))
                .collect();
            let (rule_text, accepted) = split_description(scenario.description.as_deref());
            out.push(Requirement {
                area: area_of(feature),
                feature: feature.name.clone(),
                scenario: scenario.name.clone(),
                levels,
                sources: model::sources_from_tags(&tags),
                security: tags.iter().any(|t| t == "security"),
                rule: rule_text,
                accepted,
            });
        }
    }
    out
}

/// The description's rule and its "Accepted:" part, each on one line.
fn split_description(description: Option<&str>) -> (String, String) {
    let text = description.unwrap_or("");
    let joined = |s: &str| s.split_whitespace().collect::<Vec<_>>().join(" ");
    match text.find("Accepted:") {
        Some(i) => (joined(&text[..i]), joined(&text[i + "Accepted:".len()..])),
        None => (joined(text), String::new()),
    }
}

/// What is wrong with the spec's requirements, one line each: a scenario
/// without exactly one level tag, without a source, without a quoted rule
/// or without an "Accepted:" line; a level whose BCP 14 keyword (MUST,
/// REQUIRED, SHALL; SHOULD, RECOMMENDED; MAY, OPTIONAL) is not in its quote
/// and that does not say why in a "Level:" line.
pub fn problems(reqs: &[Requirement]) -> Vec<String> {
    let mut out = Vec::new();
    for r in reqs {
        let name = format!("{}: {}", r.area, r.scenario);
        if r.levels.len() != 1 {
            out.push(format!(
                "{name}: {} level tags (@must, @should or @may: exactly one)",
                r.levels.len()
            ));
        }
        if r.sources.is_empty() {
            out.push(format!("{name}: no @rfc… or @oidc… source tag"));
        }
        if !r.rule.contains('"') {
            out.push(format!("{name}: the description quotes no rule"));
        }
        if r.accepted.is_empty() {
            out.push(format!("{name}: no \"Accepted:\" line"));
        }
        let keyword = match r.level() {
            Level::Must => ["MUST", "REQUIRED", "SHALL"].as_slice(),
            Level::Should => ["SHOULD", "RECOMMENDED"].as_slice(),
            Level::May => ["MAY", "OPTIONAL"].as_slice(),
        };
        let words: Vec<&str> = r.rule.split(|c: char| !c.is_ascii_alphabetic()).collect();
        if !keyword.iter().any(|k| words.contains(k)) && !r.rule.contains("Level:") {
            out.push(format!(
                "{name}: held to {} but its quote has no {}; say why in a \"Level:\" line",
                r.level().as_str().to_uppercase(),
                keyword.join("/")
            ));
        }
    }
    out
}

/// The table as Markdown: one section per feature.
pub fn markdown(reqs: &[Requirement]) -> String {
    let mut out = String::from(
        "# Requirements\n\n\
         Every scenario of the spec: the level it is held to, the sections it cites, the rule in \
         the RFC's own words and the answers it accepts. Generated from `features/` by \
         `oauthspec requirements`; do not edit by hand (a test compares the two).\n\n\
         A MUST broken is a FAIL, a SHOULD broken a WARN; a MAY is only ever PASS or SKIP. \
         \"security\" marks scenarios where a wrong answer grants or accepts what had to be \
         refused.\n",
    );
    let count = |l: Level| reqs.iter().filter(|r| r.level() == l).count();
    let _ = writeln!(
        out,
        "\n{} scenarios: {} MUST, {} SHOULD, {} MAY; {} about security.",
        reqs.len(),
        count(Level::Must),
        count(Level::Should),
        count(Level::May),
        reqs.iter().filter(|r| r.security).count()
    );
    let mut feature = None;
    for r in reqs {
        if feature != Some(&r.feature) {
            feature = Some(&r.feature);
            let _ = writeln!(
                out,
                "\n## {} (`{}`)\n\n| Scenario | Level | Sources | Rule | Accepted |\n|---|---|---|---|---|",
                cell(&r.feature),
                r.area
            );
        }
        let level = match (r.level(), r.security) {
            (l, true) => format!("{}, security", l.as_str().to_uppercase()),
            (l, false) => l.as_str().to_uppercase(),
        };
        let _ = writeln!(
            out,
            "| {} | {level} | {} | {} | {} |",
            cell(&r.scenario),
            cell(&r.sources.join(", ")),
            cell(&r.rule),
            cell(&r.accepted)
        );
    }
    out
}

/// Text safe inside a Markdown table cell.
fn cell(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('|', "\\|")
        .replace('\n', " ")
}
