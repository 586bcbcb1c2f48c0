//! `junit.xml`: the JUnit XML dialect that GitHub, GitLab and Jenkins read.
//!
//! One `<testsuite>` per area, one `<testcase>` per scenario
//! (`classname` = area, `name` = scenario title). FAIL and WARN become
//! `<failure type="FAIL|WARN">` carrying the requirement, the expectation,
//! what came back and the evidence; a scenario that could not be set up
//! becomes `<error type="ERROR">` with its cause and the fix (CI tools show
//! it as "errored", not "failed": the server was not judged); SKIP becomes
//! `<skipped message="…"/>`.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::time::Duration;

use super::model::{RunReport, ScenarioOutcome, Verdict};

/// Renders the report as JUnit XML.
pub fn render(report: &RunReport) -> String {
    let mut by_area: BTreeMap<&str, Vec<&ScenarioOutcome>> = BTreeMap::new();
    for s in &report.scenarios {
        by_area.entry(&s.area).or_default().push(s);
    }
    let totals = report.totals();

    let mut out = String::new();
    out.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        out,
        "<testsuites name=\"oauthspec\" tests=\"{}\" failures=\"{}\" errors=\"{}\" skipped=\"{}\" time=\"{}\">",
        totals.total(),
        totals.fail + totals.warn,
        totals.error,
        totals.skip,
        secs(report.duration),
    );
    for (area, scenarios) in &by_area {
        let failures = scenarios
            .iter()
            .filter(|s| matches!(s.verdict, Verdict::Fail | Verdict::Warn))
            .count();
        let skipped = scenarios
            .iter()
            .filter(|s| s.verdict == Verdict::Skip)
            .count();
        let errors = scenarios
            .iter()
            .filter(|s| s.verdict == Verdict::Error)
            .count();
        let time: Duration = scenarios.iter().map(|s| s.duration).sum();
        let _ = writeln!(
            out,
            "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{failures}\" errors=\"{errors}\" skipped=\"{skipped}\" time=\"{}\" timestamp=\"{}\">",
            attr(area),
            scenarios.len(),
            secs(time),
            attr(&report.started_at),
        );
        out.push_str("    <properties>\n");
        for (name, value) in [
            ("target", &report.target.name),
            ("issuer", &report.target.issuer),
            ("target_kind", &report.target.kind),
            ("tool_version", &report.tool_version),
        ] {
            let _ = writeln!(
                out,
                "      <property name=\"{name}\" value=\"{}\"/>",
                attr(value)
            );
        }
        out.push_str("    </properties>\n");
        for s in scenarios {
            testcase(&mut out, s);
        }
        out.push_str("  </testsuite>\n");
    }
    out.push_str("</testsuites>\n");
    out
}

fn testcase(out: &mut String, s: &ScenarioOutcome) {
    let open = format!(
        "    <testcase classname=\"{}\" name=\"{}\" time=\"{}\"",
        attr(&s.area),
        attr(&s.scenario),
        secs(s.duration)
    );
    match s.verdict {
        Verdict::Pass => {
            let _ = writeln!(out, "{open}/>");
        }
        Verdict::Skip => {
            let reason = match (s.reason(), s.fix()) {
                (Some(r), Some(f)) => format!("{r} (to run it: {f})"),
                (Some(r), None) => r.to_owned(),
                _ => "skipped".to_owned(),
            };
            let _ = writeln!(out, "{open}>");
            let _ = writeln!(out, "      <skipped message=\"{}\"/>", attr(&reason));
            out.push_str("    </testcase>\n");
        }
        Verdict::Error => {
            let message = format!(
                "could not be set up: {}",
                s.reason().unwrap_or("no reason given")
            );
            let _ = writeln!(out, "{open}>");
            let _ = write!(
                out,
                "      <error message=\"{}\" type=\"ERROR\">",
                attr(&message)
            );
            out.push_str(&text(&failure_body(s)));
            out.push_str("</error>\n");
            out.push_str("    </testcase>\n");
        }
        Verdict::Fail | Verdict::Warn => {
            let message = match &s.finding {
                Some(f) => format!("{} {}: {}", s.verdict, s.level, f.requirement),
                None => format!("{} {}", s.verdict, s.level),
            };
            let _ = writeln!(out, "{open}>");
            let _ = write!(
                out,
                "      <failure message=\"{}\" type=\"{}\">",
                attr(&message),
                s.verdict
            );
            out.push_str(&text(&failure_body(s)));
            out.push_str("</failure>\n");
            out.push_str("    </testcase>\n");
        }
    }
}

/// The plain-text body of a `<failure>`: everything a reader needs without
/// opening another file.
pub(crate) fn failure_body(s: &ScenarioOutcome) -> String {
    let mut b = String::new();
    let _ = writeln!(b, "id: {}", s.id);
    let _ = writeln!(b, "level: {}", s.level);
    if let Some(kind) = s.kind {
        let _ = writeln!(b, "kind: {kind}");
    }
    if !s.sources.is_empty() {
        let _ = writeln!(b, "source: {}", s.sources.join(", "));
    }
    if !s.rule.is_empty() {
        let _ = writeln!(b, "rule: {}", s.rule);
    }
    if let Some(f) = &s.finding {
        let _ = writeln!(b, "requirement: {}", f.requirement);
        let _ = writeln!(b, "expected: {}", f.expected);
        let _ = writeln!(b, "actual: {}", f.actual);
    }
    if let Some(r) = s.reason() {
        let _ = writeln!(b, "not reached: {r}");
    }
    if let Some(f) = s.fix() {
        let _ = writeln!(b, "to run it: {f}");
    }
    for c in &s.controls {
        let _ = writeln!(b, "control: {c}");
    }
    if !s.steps.is_empty() {
        b.push_str("steps:\n");
        for st in &s.steps {
            let _ = writeln!(b, "  [{}] {} {}", st.status.as_str(), st.keyword, st.text);
        }
    }
    for (i, e) in s.evidence.iter().enumerate() {
        let _ = writeln!(b, "--- evidence {} ---", i + 1);
        b.push_str(e);
        if !e.ends_with('\n') {
            b.push('\n');
        }
    }
    b
}

fn secs(d: Duration) -> String {
    format!("{:.3}", d.as_secs_f64())
}

/// Replaces characters that XML 1.0 does not allow at all (most C0 controls,
/// lone surrogates cannot occur in `str`, U+FFFE/U+FFFF) with U+FFFD.
fn is_xml_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..)
}

/// Escapes text content.
pub fn text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '\r' => out.push_str("&#13;"),
            c if is_xml_char(c) => out.push(c),
            _ => out.push('\u{FFFD}'),
        }
    }
    out
}

/// Escapes an attribute value (double-quoted); line breaks and tabs are
/// written as character references so parsers keep them.
pub fn attr(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\n' => out.push_str("&#10;"),
            '\r' => out.push_str("&#13;"),
            '\t' => out.push_str("&#9;"),
            c if is_xml_char(c) => out.push(c),
            _ => out.push('\u{FFFD}'),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping() {
        assert_eq!(
            attr("a<b & \"c\"\n'"),
            "a&lt;b &amp; &quot;c&quot;&#10;&apos;"
        );
        assert_eq!(text("]]> <x>\u{1}"), "]]&gt; &lt;x&gt;\u{FFFD}");
    }
}
