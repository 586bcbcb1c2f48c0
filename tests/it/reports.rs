//! Golden-file tests of the report writers. `UPDATE_GOLDEN=1 cargo test`
//! rewrites the files in `tests/fixtures/reports/`; review the diff.

use std::path::PathBuf;
use std::time::Duration;

use oauthspec::report::model::NotReached;
use oauthspec::report::{
    self, Finding, FindingKind, Level, RunReport, ScenarioOutcome, StepOutcome, StepStatus,
    TargetInfo, Verdict, json, junit, markdown, terminal,
};

fn step(keyword: &str, text: &str, status: StepStatus) -> StepOutcome {
    StepOutcome {
        keyword: keyword.into(),
        text: text.into(),
        status,
    }
}

fn scenario(area: &str, name: &str, level: Level, verdict: Verdict) -> ScenarioOutcome {
    ScenarioOutcome {
        id: format!("{area}/{}", oauthspec::report::model::slug(name)),
        area: area.into(),
        feature: format!("The {area} feature"),
        scenario: name.into(),
        level,
        sources: vec![],
        tags: vec![level.as_str().to_ascii_lowercase()],
        verdict,
        rule: String::new(),
        kind: None,
        finding: None,
        not_reached: None,
        controls: vec![],
        duration: Duration::from_millis(12),
        steps: vec![step("Given", "a registered client", StepStatus::Passed)],
        evidence: vec![],
    }
}

/// A fixed report with every verdict, a security failure and text that
/// needs escaping in every format.
pub fn golden_report() -> RunReport {
    let pass = ScenarioOutcome {
        sources: vec!["RFC 7636 §4.6".into()],
        ..scenario(
            "pkce",
            "A matching verifier is accepted",
            Level::Must,
            Verdict::Pass,
        )
    };

    let mut fail = scenario(
        "pkce",
        "A verifier that does not match is rejected <S256> & \"plain\"",
        Level::Must,
        Verdict::Fail,
    );
    fail.sources = vec!["RFC 7636 §4.6".into(), "RFC 9700 §2.1.1".into()];
    fail.tags = vec!["must".into(), "rfc7636-4.6".into(), "rfc9700-2.1.1".into()];
    fail.kind = Some(FindingKind::Behaviour);
    fail.rule = "RFC 7636 §4.6: \"If the values are not equal, an error response indicating \"invalid_grant\" [...] MUST be returned.\"\nAccepted: 400 error=invalid_grant.".into();
    fail.controls = vec![
        "the token endpoint issues tokens to client-1 (200 with tokens for a genuine code)".into(),
    ];
    fail.finding = Some(Finding::new(
        "the token endpoint rejects a code_verifier that does not match the challenge",
        "400 with error=\"invalid_grant\"",
        "200 OK with an access token",
    ));
    fail.steps = vec![
        step(
            "Given",
            "a code issued for challenge S256(\"abc\")",
            StepStatus::Passed,
        ),
        step(
            "When",
            "the client redeems it with verifier \"xyz\"",
            StepStatus::Passed,
        ),
        step(
            "Then",
            "the token endpoint answers 400 invalid_grant",
            StepStatus::Failed,
        ),
        step("And", "no token is issued", StepStatus::NotRun),
    ];
    fail.evidence = vec![
        "POST /token HTTP/1.1\nhost: 127.0.0.1:8080\ncontent-type: application/x-www-form-urlencoded\n\ngrant_type=authorization_code&code=[redacted]&code_verifier=xyz\n\nHTTP/1.1 200 OK\ncontent-type: application/json\n\n{\"access_token\":\"[redacted]\",\"token_type\":\"Bearer\"}".into(),
    ];

    let mut security = scenario(
        "jwt",
        "A token signed with alg=none is refused",
        Level::Must,
        Verdict::Fail,
    );
    security.sources = vec!["RFC 8725 §3.1".into()];
    security.tags = vec!["must".into(), "security".into(), "rfc8725-3.1".into()];
    security.kind = Some(FindingKind::Security);
    security.finding = Some(Finding::security(
        "the resource server refuses an unsigned token",
        "401 with WWW-Authenticate: Bearer error=\"invalid_token\"",
        "200 OK\n{\"name\": \"alice\", \"note\": \"<script>alert(1)</script> ]]> ``` | pipe\"}",
    ));
    security.evidence = vec![
        "GET /api/profile HTTP/1.1\nauthorization: Bearer [redacted]\n\nHTTP/1.1 200 OK\n\n<html>&amp; ``` ]]></html>\u{1}".into(),
        "GET /.well-known/jwks.json HTTP/1.1\n\nHTTP/1.1 200 OK".into(),
    ];
    security.duration = Duration::from_millis(1234);

    let mut warn = scenario(
        "bearer",
        "An invalid token gets 401, not 422",
        Level::Should,
        Verdict::Warn,
    );
    warn.sources = vec!["RFC 6750 §3.1".into()];
    warn.kind = Some(FindingKind::Format);
    warn.finding = Some(Finding::format(
        "a request with an invalid token is answered 401",
        "401",
        "422",
    ));

    let mut skip = scenario(
        "registration",
        "A client registers itself",
        Level::Must,
        Verdict::Skip,
    );
    skip.sources = vec!["RFC 7591 §3".into()];
    skip.not_reached = Some(NotReached {
        reason: "the target has no registration_endpoint & no \"initial access token\"".into(),
        fix: Some("add [registration] <enabled = true>".into()),
    });
    skip.steps = vec![
        step(
            "Given",
            "the target offers dynamic registration",
            StepStatus::Skipped,
        ),
        step("When", "a client registers", StepStatus::NotRun),
    ];

    let mut error = scenario(
        "registration",
        "A client reads its registration",
        Level::Must,
        Verdict::Error,
    );
    error.not_reached = Some(NotReached {
        reason: "registering the scenario's client answered 500: <html>oops</html>".into(),
        fix: Some("check [registration]".into()),
    });
    error.steps = vec![step("Given", "a registered client", StepStatus::Failed)];
    error.evidence = vec!["POST /register HTTP/1.1\n\nHTTP/1.1 500 Internal Server Error".into()];

    RunReport {
        schema_version: report::SCHEMA_VERSION.into(),
        tool_version: "0.1.0".into(),
        target: TargetInfo {
            name: "golden <target> & \"friends\"".into(),
            issuer: "http://127.0.0.1:8080".into(),
            kind: "profile".into(),
            tls_verification_off: false,
        },
        started_at: "2024-05-01T12:00:00Z".into(),
        duration: Duration::from_millis(2500),
        scenarios: vec![security, fail, pass, warn, skip, error],
    }
}

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/reports")
        .join(name)
}

fn check_golden(name: &str, actual: &str) {
    let path = fixture(name);
    if std::env::var_os("UPDATE_GOLDEN").is_some_and(|v| v == "1") {
        std::fs::write(&path, actual).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "{}: {e} (run with UPDATE_GOLDEN=1 to create it)",
            path.display()
        )
    });
    if expected != actual {
        let first = expected
            .lines()
            .zip(actual.lines())
            .position(|(a, b)| a != b)
            .unwrap_or_else(|| expected.lines().count().min(actual.lines().count()));
        panic!(
            "{} differs from the writer's output from line {}:\n  golden: {:?}\n  actual: {:?}\n(UPDATE_GOLDEN=1 rewrites it)",
            path.display(),
            first + 1,
            expected.lines().nth(first),
            actual.lines().nth(first)
        );
    }
}

#[test]
fn junit_matches_golden() {
    check_golden("golden.junit.xml", &junit::render(&golden_report()));
}

#[test]
fn json_matches_golden() {
    check_golden("golden.results.json", &json::render(&golden_report()));
}

#[test]
fn markdown_matches_golden() {
    check_golden("golden.summary.md", &markdown::render(&golden_report()));
}

#[test]
fn sarif_matches_golden() {
    check_golden(
        "golden.results.sarif",
        &report::sarif::render(&golden_report()),
    );
}

#[test]
fn html_matches_golden() {
    check_golden(
        "golden.report.html",
        &report::html::render(&golden_report()),
    );
}

/// The OASIS SARIF 2.1.0 schema (errata01, draft-04), `tests/fixtures/sarif/README.md`.
fn sarif_validator() -> jsonschema::Validator {
    let schema: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(
            PathBuf::from(env!("CARGO_MANIFEST_DIR"))
                .join("tests/fixtures/sarif/sarif-schema-2.1.0.json"),
        )
        .unwrap(),
    )
    .unwrap();
    jsonschema::draft4::new(&schema).unwrap()
}

fn schema_errors(v: &jsonschema::Validator, doc: &serde_json::Value) -> Vec<String> {
    v.iter_errors(doc)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect()
}

#[test]
fn sarif_is_valid_against_the_oasis_schema() {
    let v = sarif_validator();
    let report = golden_report();
    let doc: serde_json::Value = serde_json::from_str(&report::sarif::render(&report)).unwrap();
    assert_eq!(schema_errors(&v, &doc), Vec::<String>::new());
    // The validator can fail: a result without its message, a level SARIF does not have.
    let mut broken = doc.clone();
    broken["runs"][0]["results"][0]
        .as_object_mut()
        .unwrap()
        .remove("message");
    broken["runs"][0]["results"][1]["level"] = "fatal".into();
    let errors = schema_errors(&v, &broken);
    assert_eq!(errors.len(), 2, "{errors:?}");
    // One result per FAIL and WARN, each on its own rule; security findings carry a severity.
    let run = &doc["runs"][0];
    let results = run["results"].as_array().unwrap();
    let t = report.totals();
    assert_eq!(results.len(), t.fail + t.warn);
    for r in results {
        let rule = &run["tool"]["driver"]["rules"][r["ruleIndex"].as_u64().unwrap() as usize];
        assert_eq!(rule["id"], r["ruleId"]);
        let s = report
            .scenarios
            .iter()
            .find(|s| s.id == r["ruleId"])
            .unwrap();
        let severity = rule["properties"].get("security-severity");
        assert_eq!(
            severity.is_some(),
            s.kind == Some(FindingKind::Security),
            "{}",
            s.id
        );
        let level = if s.verdict == Verdict::Fail {
            "error"
        } else {
            "warning"
        };
        assert_eq!(r["level"], level);
        assert_eq!(
            r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
            report.target.issuer.as_str()
        );
    }
}

/// A security finding's severity follows its level (GitHub's "high" for a MUST, "medium"
/// otherwise); a report with no issuer is located at its target's name.
#[test]
fn sarif_severity_follows_the_level_and_locations_fall_back_to_the_name() {
    let mut report = golden_report();
    report.target.issuer.clear();
    let warn = report
        .scenarios
        .iter_mut()
        .find(|s| s.verdict == Verdict::Warn)
        .unwrap();
    warn.kind = Some(FindingKind::Security);
    let warn_id = warn.id.clone();
    let doc: serde_json::Value = serde_json::from_str(&report::sarif::render(&report)).unwrap();
    assert_eq!(
        schema_errors(&sarif_validator(), &doc),
        Vec::<String>::new()
    );
    let rules = doc["runs"][0]["tool"]["driver"]["rules"]
        .as_array()
        .unwrap();
    let severity = |id: &str| {
        rules.iter().find(|r| r["id"] == id).unwrap()["properties"]["security-severity"].clone()
    };
    assert_eq!(severity(&warn_id), "5.0");
    assert_eq!(
        severity("jwt/a-token-signed-with-alg-none-is-refused"),
        "8.0"
    );
    for r in doc["runs"][0]["results"].as_array().unwrap() {
        assert_eq!(
            r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
            report.target.name.as_str()
        );
    }
}

#[test]
fn json_round_trips() {
    let report = golden_report();
    let text = json::render(&report);
    let back = json::parse(&text).expect("results.json parses back");
    assert_eq!(back, report);
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(v["schema"], "oauthspec/results/v2");
    assert_eq!(v["verdict"], "fail");
    assert_eq!(v["totals"]["fail"], 2);
    assert_eq!(v["totals"]["error"], 1);
    assert_eq!(v["areas"][0]["area"], "bearer");
}

#[test]
fn junit_is_well_formed_and_lossless() {
    use quick_xml::events::Event;

    let report = golden_report();
    let xml = junit::render(&report);
    let mut reader = quick_xml::Reader::from_str(&xml);
    let (mut suites, mut cases, mut failures, mut skipped) = (0, 0, Vec::new(), Vec::new());
    let mut errors = Vec::new();
    let mut names = Vec::new();
    let mut failure_text = String::new();
    let mut in_failure = false;
    loop {
        match reader.read_event().expect("junit.xml is well-formed XML") {
            Event::Eof => break,
            Event::Start(e) | Event::Empty(e) => {
                let attr = |key: &[u8]| {
                    e.try_get_attribute(key).unwrap().map(|a| {
                        a.normalized_value(quick_xml::XmlVersion::Implicit1_0)
                            .unwrap()
                            .into_owned()
                    })
                };
                match e.name().as_ref() {
                    b"testsuite" => suites += 1,
                    b"testcase" => {
                        cases += 1;
                        names.push(attr(b"name").unwrap());
                    }
                    b"failure" => {
                        failures.push((attr(b"type").unwrap(), attr(b"message").unwrap()));
                        in_failure = true;
                    }
                    b"skipped" => skipped.push(attr(b"message").unwrap()),
                    b"error" => errors.push((attr(b"type").unwrap(), attr(b"message").unwrap())),
                    _ => {}
                }
            }
            Event::Text(t) if in_failure => failure_text.push_str(&t.decode().unwrap()),
            Event::GeneralRef(r) if in_failure => {
                let name = r.decode().unwrap();
                let ch = match name.as_ref() {
                    "lt" => "<".to_owned(),
                    "gt" => ">".to_owned(),
                    "amp" => "&".to_owned(),
                    "quot" => "\"".to_owned(),
                    "apos" => "'".to_owned(),
                    other => {
                        let n = other.trim_start_matches('#');
                        char::from_u32(n.parse().unwrap()).unwrap().to_string()
                    }
                };
                failure_text.push_str(&ch);
            }
            Event::End(e) if e.name().as_ref() == b"failure" => in_failure = false,
            _ => {}
        }
    }
    assert_eq!(suites, 4, "one testsuite per area");
    assert_eq!(cases, 6);
    assert!(
        names.contains(&"A verifier that does not match is rejected <S256> & \"plain\"".to_owned())
    );
    let types: Vec<&str> = failures.iter().map(|(t, _)| t.as_str()).collect();
    assert_eq!(types, vec!["WARN", "FAIL", "FAIL"]);
    assert_eq!(
        skipped,
        vec!["the target has no registration_endpoint & no \"initial access token\" (to run it: add [registration] <enabled = true>)".to_owned()]
    );
    // A scenario that could not be set up is an <error>, not a <failure>.
    assert_eq!(
        errors,
        vec![(
            "ERROR".to_owned(),
            "could not be set up: registering the scenario's client answered 500: <html>oops</html>"
                .to_owned()
        )]
    );
    // The evidence survives escaping (the control character is replaced).
    assert!(
        failure_text.contains("<html>&amp; ``` ]]></html>\u{FFFD}"),
        "{failure_text}"
    );
    assert!(failure_text.contains("expected: 400 with error=\"invalid_grant\""));
}

#[test]
fn terminal_table_is_aligned() {
    let out = terminal::render(&golden_report());
    let expected_head = "\
4 of 6 scenarios checked: 1 passed, 2 failed, 1 warned; 1 skipped, 1 could not be set up
area           pass   fail   warn   skip  error
-----------------------------------------------
bearer            0      0      1      0      0
jwt               0      1      0      0      0
pkce              1      1      0      0      0
registration      0      0      0      1      1
-----------------------------------------------
total             1      2      1      1      1
";
    assert!(out.starts_with(expected_head), "{out}");
    assert!(out.contains("FAIL: 6 scenarios against"));
    assert!(out.contains("  ERROR registration/a-client-reads-its-registration (registering"));
    assert!(out.contains("  FAIL jwt/a-token-signed-with-alg-none-is-refused\n"));
    assert!(out.contains("  WARN bearer/an-invalid-token-gets-401-not-422\n"));
}

#[test]
fn exit_codes_follow_the_verdicts() {
    let mut r = golden_report();
    assert_eq!(r.exit_code(false), 1, "a FAIL wins over an ERROR");
    r.scenarios.retain(|s| s.verdict != Verdict::Fail);
    assert_eq!(
        r.exit_code(false),
        3,
        "an ERROR: the harness could not check everything"
    );
    assert_eq!(r.overall(), Verdict::Error);
    r.scenarios.retain(|s| s.verdict != Verdict::Error);
    assert_eq!(r.exit_code(false), 0);
    assert_eq!(r.exit_code(true), 1);
    r.scenarios.retain(|s| s.verdict != Verdict::Warn);
    assert_eq!(r.exit_code(true), 0);
    assert_eq!(r.overall(), Verdict::Pass);
    r.scenarios.retain(|s| s.verdict != Verdict::Pass);
    assert_eq!(r.exit_code(false), 3, "nothing was checked");
}

#[test]
fn write_all_writes_every_report_file() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("nested/reports");
    let written = report::write_all(&golden_report(), &out).unwrap();
    assert_eq!(written.len(), 5);
    for name in [
        report::JUNIT_FILE,
        report::JSON_FILE,
        report::MARKDOWN_FILE,
        report::SARIF_FILE,
        report::HTML_FILE,
    ] {
        assert!(out.join(name).is_file(), "{name}");
    }
    assert_eq!(
        std::fs::read_to_string(out.join(report::JSON_FILE)).unwrap(),
        json::render(&golden_report())
    );
}

/// `oauthspec baseline`'s file, from the golden report: every non-PASS verdict accepted with
/// its finding's requirement or its reason. It parses back to the same entries.
#[test]
fn baseline_file_matches_golden_and_parses_back() {
    use oauthspec::baseline::Baseline;
    let report = golden_report();
    let b = Baseline::from_report(&report);
    let text = b.render(&report.target.name);
    check_golden("golden.baseline.toml", &text);
    let back = Baseline::parse(&text, std::path::Path::new("golden.baseline.toml")).unwrap();
    assert_eq!(back.entries.len(), b.entries.len());
    for e in &b.entries {
        assert!(back.entries.contains(e), "{e:?} lost in the round trip");
    }
}

/// `baseline.md`: a run compared with a baseline that accepts one verdict as it is, one
/// with another verdict (stale, and the scenario new), one scenario that passes (stale), one
/// that no longer exists (stale) and one this run did not select (not checked).
#[test]
fn baseline_comparison_matches_golden() {
    use oauthspec::baseline::{Accepted, Baseline, Comparison};
    let report = golden_report();
    let non_pass: Vec<_> = report
        .scenarios
        .iter()
        .filter(|s| s.verdict != Verdict::Pass && s.verdict != Verdict::Skip)
        .collect();
    let pass = report
        .scenarios
        .iter()
        .find(|s| s.verdict == Verdict::Pass)
        .unwrap();
    let entry = |id: &str, verdict: Verdict, reason: Option<&str>| Accepted {
        scenario: id.to_owned(),
        verdict,
        reason: reason.map(str::to_owned),
    };
    let changed = if non_pass[1].verdict == Verdict::Fail {
        Verdict::Warn
    } else {
        Verdict::Fail
    };
    let baseline = Baseline {
        entries: vec![
            entry(
                &non_pass[0].id,
                non_pass[0].verdict,
                Some("known | tracked as OPS-1"),
            ),
            entry(&non_pass[1].id, changed, None),
            entry(&pass.id, Verdict::Fail, Some("fixed since")),
            entry("gone/a-scenario-that-was-removed", Verdict::Warn, None),
            entry("other/not-selected-this-time", Verdict::Fail, None),
        ],
    };
    let mut spec: Vec<String> = report.scenarios.iter().map(|s| s.id.clone()).collect();
    spec.push("other/not-selected-this-time".into());
    let c = Comparison::of(&report, &baseline, &spec, false);
    assert!(c.fails(), "stale entries fail the run");
    assert_eq!(c.stale.len(), 3, "{c:?}");
    assert_eq!(c.not_run.len(), 1, "{c:?}");
    check_golden("golden.baseline.md", &c.render_markdown());

    // The same run against its own baseline passes: nothing new, nothing stale.
    let own = Baseline::from_report(&report);
    let c = Comparison::of(&report, &own, &spec, true);
    assert!(!c.fails(), "{c:?}");
    assert!(c.new.is_empty() && c.stale.is_empty(), "{c:?}");
}

/// GitHub annotations: one `::error` per FAIL and `::warning` per WARN, with the finding, and
/// every `%`, CR, LF (and in the title `:` and `,`) encoded as the runner wants.
#[test]
fn github_annotations_match_golden() {
    let text = oauthspec::report::github::annotations(&golden_report());
    check_golden("golden.github.txt", &text);
    for line in text.lines() {
        assert!(
            line.starts_with("::error title=") || line.starts_with("::warning title="),
            "{line}"
        );
        let (title, _) = line.split_once("::").unwrap().1.split_once("::").unwrap();
        assert!(
            !title["error title=".len().min(title.len())..].contains(','),
            "{title}"
        );
    }
    let report = golden_report();
    let failing = report
        .scenarios
        .iter()
        .filter(|s| matches!(s.verdict, Verdict::Fail | Verdict::Warn))
        .count();
    assert_eq!(text.lines().count(), failing);
    // A step summary is cut below GitHub's 1 MiB limit, at a character boundary.
    let long = "é".repeat(700_000);
    let cut = oauthspec::report::github::step_summary(&long);
    assert!(cut.len() <= oauthspec::report::github::STEP_SUMMARY_LIMIT);
    assert!(cut.contains("(cut: the whole summary is summary.md"));
}
