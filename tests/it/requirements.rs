//! The requirement table (`oauthspec requirements`): the committed
//! `docs/REQUIREMENTS.md` is what the features say, every scenario passes
//! the lint, and the lint catches each defect it names.

use oauthspec::requirements;
use oauthspec::runner::{FeatureSource, features};

use super::peers;

#[test]
fn docs_requirements_is_generated_from_the_features_and_the_spec_is_sound() {
    let spec = features::load(&FeatureSource::Embedded).expect("the embedded spec");
    let table = requirements::collect(&spec);
    let problems = requirements::problems(&table);
    assert!(problems.is_empty(), "{}", problems.join("\n"));

    let path = peers::root().join("docs/REQUIREMENTS.md");
    let generated = requirements::markdown(&table);
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(&path, &generated).expect("docs/REQUIREMENTS.md written");
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == generated,
        "docs/REQUIREMENTS.md is stale: run `oauthspec requirements > docs/REQUIREMENTS.md` \
         (or the tests with UPDATE_GOLDEN=1)"
    );
}

#[test]
fn the_lint_names_every_defect() {
    let feature = r#"Feature: Lint
  @must @rfc6749-5.2
  Scenario: Sound
    RFC 6749 §5.2: "the authorization server MUST respond with an HTTP 401"
    Accepted: 401.
    Given nothing

  Scenario: No level, no source, no quote, no accepted line
    Just words.
    Given nothing

  @must @should @rfc6749-3.1
  Scenario: Two levels
    RFC 6749 §3.1: "MUST NOT be included more than once."
    Accepted: anything.
    Given nothing

  @should @rfc7009-2.2
  Scenario: A SHOULD without its keyword
    RFC 7009 §2.2: "The authorization server responds with HTTP status code 200"
    Accepted: 200.
    Given nothing

  @should @rfc7009-2.2
  Scenario: A SHOULD that says why
    RFC 7009 §2.2: "The authorization server responds with HTTP status code 200"
    Level: SHOULD: stated without a BCP 14 keyword.
    Accepted: 200.
    Given nothing

  @must @oidc-core-3.1.3.7
  Scenario: OpenID sources count
    OpenID Connect Core §3.1.3.7: "The Client MUST validate the signature"
    Accepted: a refused login.
    Given nothing
"#;
    let spec = features::load(&FeatureSource::Texts(vec![(
        "lint.feature".into(),
        feature.into(),
    )]))
    .expect("the fixture parses");
    let table = requirements::collect(&spec);
    assert_eq!(table.len(), 6);
    let problems = requirements::problems(&table);
    let of = |name: &str| -> Vec<&String> {
        problems
            .iter()
            .filter(|p| p.starts_with(&format!("lint: {name}:")))
            .collect()
    };
    assert!(of("Sound").is_empty());
    assert!(of("A SHOULD that says why").is_empty());
    assert!(of("OpenID sources count").is_empty());
    let bare = of("No level, no source, no quote, no accepted line");
    for words in [
        "0 level tags",
        "no @rfc",
        "quotes no rule",
        "no \"Accepted:\"",
    ] {
        assert!(bare.iter().any(|p| p.contains(words)), "{words}: {bare:?}");
    }
    assert!(of("Two levels").iter().any(|p| p.contains("2 level tags")));
    assert!(
        of("A SHOULD without its keyword")
            .iter()
            .any(|p| p.contains("held to SHOULD"))
    );
    let md = requirements::markdown(&table);
    assert!(md.contains("| OpenID sources count | MUST | OpenID Connect Core §3.1.3.7 |"));
    assert!(md.contains("Level: SHOULD: stated without a BCP 14 keyword."));
}

/// `docs/OIDC_BASIC_OP.md` maps the OpenID Foundation's modules to scenarios: every scenario
/// id it names (`area/slug` in backquotes, or `area/*`) must exist in the spec, so the table
/// cannot point at a scenario that was renamed or removed.
#[test]
fn the_basic_op_table_names_only_scenarios_that_exist() {
    let ids = features::scenario_ids(&FeatureSource::Embedded).expect("the embedded spec");
    let text = std::fs::read_to_string(peers::root().join("docs/OIDC_BASIC_OP.md"))
        .expect("docs/OIDC_BASIC_OP.md");
    let areas: Vec<&str> = ids.iter().filter_map(|i| i.split('/').next()).collect();
    let mut named = 0;
    let mut unknown = Vec::new();
    for cell in text.split('`').skip(1).step_by(2) {
        let Some((area, rest)) = cell.split_once('/') else {
            continue;
        };
        if !areas.contains(&area) || rest.contains(' ') {
            continue;
        }
        named += 1;
        let known = if rest == "*" {
            true
        } else {
            ids.iter().any(|i| i == cell)
        };
        if !known {
            unknown.push(cell.to_owned());
        }
    }
    assert!(named >= 20, "the table names {named} scenarios");
    assert!(unknown.is_empty(), "no such scenarios: {unknown:?}");
}
