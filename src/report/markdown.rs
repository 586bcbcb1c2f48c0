//! `summary.md`: a GitHub-flavoured Markdown summary, fit to append to
//! `$GITHUB_STEP_SUMMARY`.
//!
//! The headline says the verdict and how many scenarios reached their rule;
//! one table with a row per area; then each FAIL and WARN with its
//! requirement (the RFC sentence), expected/actual, the controls it showed
//! and its evidence in a collapsible `<details>` block; then the scenarios
//! that could not be set up (ERROR) and those skipped, grouped by cause with
//! the change that would run them. PASSes keep their evidence in
//! `results.json` only, so this file stays small. Text that comes from the
//! target is escaped or fenced so it cannot inject HTML or break the layout.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use super::model::{Counts, RunReport, ScenarioOutcome, Verdict};

/// Renders the report as Markdown.
pub fn render(report: &RunReport) -> String {
    let t = report.totals();
    let overall = report.overall();
    let mut out = String::new();

    let _ = writeln!(
        out,
        "# {} oauthspec: {overall}: {}",
        icon(overall),
        headline(&t)
    );
    out.push('\n');
    if report.target.tls_verification_off {
        let _ = writeln!(out, "> [!WARNING]\n> {}\n", super::model::TLS_OFF_WARNING);
    }
    let _ = writeln!(
        out,
        "**{}** ({}, {}): {} passed, {} failed, {} warned; {} skipped, {} could not be set up. {:.1} s, started {}, oauthspec {}.",
        inline(&report.target.name),
        inline(&report.target.kind),
        code_inline(&report.target.issuer),
        t.pass,
        t.fail,
        t.warn,
        t.skip,
        t.error,
        report.duration.as_secs_f64(),
        inline(&report.started_at),
        inline(&report.tool_version),
    );
    out.push('\n');

    out.push_str("| area | pass | fail | warn | skip | error |\n");
    out.push_str("|:-----|-----:|-----:|-----:|-----:|------:|\n");
    for a in report.summary() {
        let c = a.counts;
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} |",
            cell(&a.area),
            c.pass,
            c.fail,
            c.warn,
            c.skip,
            c.error
        );
    }
    let _ = writeln!(
        out,
        "| **total** | **{}** | **{}** | **{}** | **{}** | **{}** |",
        t.pass, t.fail, t.warn, t.skip, t.error
    );

    let problems: Vec<&ScenarioOutcome> = report
        .with_verdict(Verdict::Fail)
        .chain(report.with_verdict(Verdict::Warn))
        .collect();
    if !problems.is_empty() {
        out.push_str("\n## Failures and warnings\n");
        for s in problems {
            finding(&mut out, s);
        }
    }
    grouped(
        &mut out,
        report,
        Verdict::Error,
        "Could not be set up",
        "These scenarios never reached their rule: nothing is known about the server here. Each group says what to change.",
    );
    grouped(
        &mut out,
        report,
        Verdict::Skip,
        "Skipped",
        "The target (as its profile describes it) does not offer what these scenarios need.",
    );
    out
}

/// "143 of 146 scenarios checked".
pub fn headline(t: &Counts) -> String {
    format!("{} of {} scenarios checked", t.checked(), t.total())
}

/// The scenarios with `verdict`, grouped by reason and fix.
fn grouped(out: &mut String, report: &RunReport, verdict: Verdict, title: &str, intro: &str) {
    let mut groups: BTreeMap<(String, String), Vec<&ScenarioOutcome>> = BTreeMap::new();
    for s in report.with_verdict(verdict) {
        let key = (
            s.reason().unwrap_or("no reason given").to_owned(),
            s.fix().unwrap_or("").to_owned(),
        );
        groups.entry(key).or_default().push(s);
    }
    if groups.is_empty() {
        return;
    }
    let _ = writeln!(out, "\n## {title}\n\n{intro}\n");
    let mut ordered: Vec<_> = groups.into_iter().collect();
    ordered.sort_by(|a, b| b.1.len().cmp(&a.1.len()).then_with(|| a.0.cmp(&b.0)));
    for ((reason, fix), scenarios) in ordered {
        let _ = writeln!(
            out,
            "- **{}** ({} scenario{})",
            inline(&reason),
            scenarios.len(),
            if scenarios.len() == 1 { "" } else { "s" }
        );
        if !fix.is_empty() {
            let _ = writeln!(out, "  - to run them: {}", inline(&fix));
        }
        let ids: Vec<String> = scenarios.iter().map(|s| code_inline(&s.id)).collect();
        let _ = writeln!(out, "  - {}", ids.join(", "));
    }
}

fn finding(out: &mut String, s: &ScenarioOutcome) {
    let security = if s.kind == Some(super::model::FindingKind::Security) {
        ", security"
    } else {
        ""
    };
    let _ = writeln!(
        out,
        "\n### {} {} {}{security}: {}\n",
        icon(s.verdict),
        s.verdict,
        s.level,
        inline(&s.scenario)
    );
    let _ = writeln!(out, "- **id:** `{}`", s.id);
    if let Some(kind) = s.kind {
        let _ = writeln!(out, "- **kind:** {kind}");
    }
    if !s.sources.is_empty() {
        let _ = writeln!(out, "- **source:** {}", inline(&s.sources.join(", ")));
    }
    if !s.rule.is_empty() {
        let _ = writeln!(out, "- **the rule:**{}", value(&s.rule));
    }
    if let Some(f) = &s.finding {
        let _ = writeln!(out, "- **requirement:** {}", inline(&f.requirement));
        let _ = writeln!(out, "- **expected:**{}", value(&f.expected));
        let _ = writeln!(out, "- **actual:**{}", value(&f.actual));
    }
    for c in &s.controls {
        let _ = writeln!(out, "- **control:** {}", inline(c));
    }
    if let Some(st) = s.steps.iter().find(|st| {
        matches!(
            st.status,
            super::model::StepStatus::Failed | super::model::StepStatus::Undefined
        )
    }) {
        let _ = writeln!(
            out,
            "- **failed step:** {} {}",
            inline(&st.keyword),
            inline(&st.text)
        );
    }
    if !s.evidence.is_empty() {
        let _ = writeln!(
            out,
            "\n<details><summary>Evidence ({} HTTP exchange{})</summary>\n",
            s.evidence.len(),
            if s.evidence.len() == 1 { "" } else { "s" }
        );
        for e in &s.evidence {
            out.push_str(&fenced(e, "http"));
            out.push('\n');
        }
        out.push_str("</details>\n");
    }
}

fn icon(v: Verdict) -> &'static str {
    match v {
        Verdict::Pass => "✅",
        Verdict::Fail => "❌",
        Verdict::Warn => "⚠️",
        Verdict::Skip => "⏭️",
        Verdict::Error => "🛠️",
    }
}

/// Escapes prose for inline Markdown: HTML-significant characters become
/// entities, Markdown punctuation is backslash-escaped, line breaks become
/// spaces.
fn inline(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '\r' => {}
            '\n' => out.push(' '),
            '\\' | '`' | '*' | '_' | '[' | ']' | '|' | '#' | '~' => {
                out.push('\\');
                out.push(c);
            }
            c if c.is_control() => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

/// A table cell: like [`inline`].
fn cell(s: &str) -> String {
    inline(s)
}

/// A value that came back from the target, to follow a list item's label:
/// a code span when it is one line, else a fenced block indented under the
/// list item.
fn value(s: &str) -> String {
    if s.contains('\n') {
        let block = fenced(s, "text");
        let indented: Vec<String> = block
            .lines()
            .map(|l| {
                if l.is_empty() {
                    String::new()
                } else {
                    format!("  {l}")
                }
            })
            .collect();
        format!("\n\n{}", indented.join("\n"))
    } else {
        format!(" {}", code_inline(s))
    }
}

/// A code span that survives backticks inside (CommonMark: use a longer run
/// of backticks as the delimiter, padded with spaces).
fn code_inline(s: &str) -> String {
    if s.is_empty() {
        return "(empty)".to_owned();
    }
    let clean: String = s
        .chars()
        .map(|c| if c.is_control() { '\u{FFFD}' } else { c })
        .collect();
    let run = longest_run(&clean, '`');
    let ticks = "`".repeat(run + 1);
    let pad = if clean.starts_with('`') || clean.ends_with('`') || run > 0 {
        " "
    } else {
        ""
    };
    format!("{ticks}{pad}{clean}{pad}{ticks}")
}

/// A fenced code block whose fence is longer than any backtick run inside.
fn fenced(s: &str, lang: &str) -> String {
    let fence = "`".repeat(longest_run(s, '`').max(2) + 1);
    let body: String = s
        .chars()
        .filter(|&c| c != '\r')
        .map(|c| {
            if c.is_control() && c != '\n' && c != '\t' {
                '\u{FFFD}'
            } else {
                c
            }
        })
        .collect();
    let body = body.trim_end_matches('\n');
    format!("{fence}{lang}\n{body}\n{fence}\n")
}

fn longest_run(s: &str, ch: char) -> usize {
    let (mut best, mut cur) = (0, 0);
    for c in s.chars() {
        if c == ch {
            cur += 1;
            best = best.max(cur);
        } else {
            cur = 0;
        }
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn code_spans_and_fences() {
        assert_eq!(code_inline("401"), "`401`");
        assert_eq!(code_inline("a`b"), "`` a`b ``");
        assert_eq!(fenced("x\n```\ny\n", "http"), "````http\nx\n```\ny\n````\n");
        assert_eq!(inline("<script>|a_b"), "&lt;script&gt;\\|a\\_b");
    }
}
