//! GitHub Actions output: one workflow-command annotation per FAIL (`::error`) and WARN
//! (`::warning`), shown on the run's page and in pull requests. A pure writer like the
//! others; `oauthspec check` prints it when `GITHUB_ACTIONS=true` and appends `summary.md`
//! to `$GITHUB_STEP_SUMMARY` when that is set.
//!
//! Escaping follows the runner's workflow-command rules: in the message `%`, CR and LF are
//! percent-encoded; in properties `:` and `,` too.

use super::model::{RunReport, Verdict};

/// The largest step summary GitHub shows (1 MiB); longer summaries are cut with a note.
pub const STEP_SUMMARY_LIMIT: usize = 1 << 20;

fn data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

fn property(s: &str) -> String {
    data(s).replace(':', "%3A").replace(',', "%2C")
}

/// The annotations of `report`, one line each.
pub fn annotations(report: &RunReport) -> String {
    let mut out = String::new();
    for s in &report.scenarios {
        let command = match s.verdict {
            Verdict::Fail => "error",
            Verdict::Warn => "warning",
            _ => continue,
        };
        let mut message = match &s.finding {
            Some(f) => format!(
                "{}\nexpected: {}\nactual: {}",
                f.requirement, f.expected, f.actual
            ),
            None => s.scenario.clone(),
        };
        if !s.sources.is_empty() {
            message.push_str(&format!("\nsource: {}", s.sources.join(", ")));
        }
        let kind = s.kind.map(|k| format!(" ({k})")).unwrap_or_default();
        out.push_str(&format!(
            "::{command} title={}::{}\n",
            property(&format!(
                "{} {}{kind}: {}",
                s.verdict.as_str(),
                s.level.as_str(),
                s.id
            )),
            data(&message)
        ));
    }
    out
}

/// `summary` cut to what a step summary shows.
pub fn step_summary(summary: &str) -> String {
    if summary.len() <= STEP_SUMMARY_LIMIT {
        return summary.to_owned();
    }
    let mut end = STEP_SUMMARY_LIMIT - 200;
    while !summary.is_char_boundary(end) {
        end -= 1;
    }
    format!(
        "{}\n\n*(cut: the whole summary is summary.md in the report directory)*\n",
        &summary[..end]
    )
}
