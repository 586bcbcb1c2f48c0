//! `report.html`: the run as one self-contained page for people: no network, no external
//! file. A pure writer like the others.
//!
//! The page is written in two parts:
//! - rendered here, readable without JavaScript: the run's verdict and headline, the counts
//!   per verdict, and a table of the areas;
//! - the scenarios, drawn by the page's own script from the run's data, embedded as JSON:
//!   failures first (FAIL, WARN, ERROR, SKIP, then PASS, each in report order), with
//!   filters by verdict, area, level and text; a scenario reads as Gherkin (its steps, as
//!   they ran), with its rule in the RFC's words, its sources linked to the section, the
//!   finding or the reason it was not reached, its controls, and its HTTP exchanges
//!   (collapsible; secrets are redacted when recorded). Cards are drawn a hundred at a
//!   time as the reader scrolls, and a card's body only when it is opened, so a run of
//!   thousands of scenarios stays quick.
//!
//! All target-controlled text reaches the page through `textContent` or HTML escaping; the
//! embedded JSON has `<`, `>`, `&` and the line separators escaped, so it cannot end its
//! `<script>` element.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use super::markdown::headline;
use super::model::{RunReport, Verdict, source_url};

const STYLE: &str = include_str!("html/report.css");
const SCRIPT: &str = include_str!("html/report.js");

/// `&`, `<`, `>`, `"` and `'` as entities (the JUnit writer's attribute escaping is HTML's too).
use super::junit::attr as esc;

/// JSON safe inside `<script type="application/json">`.
fn script_json(value: &serde_json::Value) -> String {
    serde_json::to_string(value)
        .unwrap_or_else(|_| "null".to_owned())
        .replace('&', "\\u0026")
        .replace('<', "\\u003c")
        .replace('>', "\\u003e")
        .replace('\u{2028}', "\\u2028")
        .replace('\u{2029}', "\\u2029")
}

fn verdict_class(v: Verdict) -> &'static str {
    match v {
        Verdict::Pass => "pass",
        Verdict::Fail => "fail",
        Verdict::Warn => "warn",
        Verdict::Skip => "skip",
        Verdict::Error => "error",
    }
}

/// The page's data: the report as `results.json` has it, and the link of every source.
fn data(report: &RunReport) -> serde_json::Value {
    let links: BTreeMap<&str, String> = report
        .scenarios
        .iter()
        .flat_map(|s| s.sources.iter())
        .filter_map(|src| Some((src.as_str(), source_url(src)?)))
        .collect();
    serde_json::json!({ "report": report, "links": links })
}

/// Renders the report as one HTML page.
pub fn render(report: &RunReport) -> String {
    let t = report.totals();
    let overall = report.overall();
    let mut out = String::new();
    let title = format!(
        "oauthspec: {} {} ({})",
        report.target.name,
        overall.as_str(),
        headline(&t)
    );
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:\">\n\
         <title>{}</title>\n<style>\n{STYLE}</style>\n</head>\n<body>\n",
        esc(&title)
    );
    let _ = write!(
        out,
        "<header id=\"run\" class=\"v-{}\">\n<h1><span id=\"overall\" class=\"badge b-{}\">{}</span> {}</h1>\n\
         <p class=\"target\"><strong>{}</strong> ({}) <code>{}</code></p>\n\
         <p class=\"meta\">started {}, {:.1} s, oauthspec {}</p>\n",
        verdict_class(overall),
        verdict_class(overall),
        overall.as_str(),
        esc(&headline(&t)),
        esc(&report.target.name),
        esc(&report.target.kind),
        esc(&report.target.issuer),
        esc(&report.started_at),
        report.duration.as_secs_f64(),
        esc(&report.tool_version),
    );
    if report.target.tls_verification_off {
        let _ = writeln!(
            out,
            "<p id=\"tls-off\" class=\"warning\"><strong>Warning:</strong> {}</p>",
            esc(super::model::TLS_OFF_WARNING)
        );
    }
    counts(&mut out, &t);
    areas(&mut out, report);
    out.push_str(
        "<nav id=\"filters\">\n<label>area <select id=\"area\"><option value=\"\">all</option></select></label>\n\
         <label>level <select id=\"level\"><option value=\"\">all</option><option value=\"must\">MUST</option>\
         <option value=\"should\">SHOULD</option><option value=\"may\">MAY</option></select></label>\n\
         <label>text <input id=\"q\" type=\"search\" placeholder=\"id, name, finding…\"></label>\n\
         <span id=\"showing\"></span>\n</nav>\n\
         <main id=\"scenarios\"></main>\n<button id=\"more\" type=\"button\" hidden>show more</button>\n\
         <noscript><p>The scenarios are drawn by this page's script; results.json holds the same data.</p></noscript>\n",
    );
    let _ = write!(
        out,
        "<script type=\"application/json\" id=\"data\">{}</script>\n<script>\n{SCRIPT}</script>\n</body>\n</html>\n",
        script_json(&data(report))
    );
    out
}

/// The counts per verdict, which double as filter checkboxes.
fn counts(out: &mut String, t: &super::model::Counts) {
    out.push_str("<ul id=\"counts\">\n");
    for (v, n) in [
        (Verdict::Pass, t.pass),
        (Verdict::Fail, t.fail),
        (Verdict::Warn, t.warn),
        (Verdict::Skip, t.skip),
        (Verdict::Error, t.error),
    ] {
        let c = verdict_class(v);
        let _ = writeln!(
            out,
            "<li class=\"v-{c}\"><label><input type=\"checkbox\" name=\"verdict\" value=\"{}\" checked> \
             <span class=\"badge b-{c}\">{}</span> <span id=\"count-{c}\">{n}</span></label></li>",
            v.as_str(),
            v.as_str()
        );
    }
    out.push_str("</ul>\n</header>\n");
}

/// The area table; its names filter by area.
fn areas(out: &mut String, report: &RunReport) {
    out.push_str("<section id=\"areas\">\n<h2>Areas</h2>\n<table>\n");
    out.push_str("<thead><tr><th>area</th><th>pass</th><th>fail</th><th>warn</th><th>skip</th><th>error</th></tr></thead>\n<tbody>\n");
    for a in report.summary() {
        let c = a.counts;
        let _ = writeln!(
            out,
            "<tr data-area=\"{0}\"><th><a href=\"#\" data-area=\"{0}\">{0}</a></th><td>{1}</td><td>{2}</td><td>{3}</td><td>{4}</td><td>{5}</td></tr>",
            esc(&a.area),
            c.pass,
            c.fail,
            c.warn,
            c.skip,
            c.error
        );
    }
    out.push_str("</tbody>\n</table>\n</section>\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_json_cannot_end_its_script_element() {
        let v = serde_json::json!({ "a": "</script><script>alert(1)</script> & \u{2028}" });
        let s = script_json(&v);
        assert!(!s.contains('<') && !s.contains('>') && !s.contains('&'));
        let back: serde_json::Value = serde_json::from_str(&s).unwrap();
        assert_eq!(back, v);
    }

    #[test]
    fn escapes_markup() {
        assert_eq!(
            esc("<a href='x'>&\"</a>"),
            "&lt;a href=&apos;x&apos;&gt;&amp;&quot;&lt;/a&gt;"
        );
    }
}
