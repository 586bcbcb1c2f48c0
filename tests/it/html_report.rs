//! `report.html` in a real headless Chromium: the counts the page shows are those of
//! `results.json`, a FAIL's exchanges open, the filters filter, a run of 2,000 scenarios is
//! drawn a batch at a time, and the SARIF of the same real run is valid. A screenshot of the
//! page, and of a FAIL opened on its exchange, are saved as `target/tmp/report-html.png` and
//! `target/tmp/report-html-fail.png`.

use std::path::Path;
use std::time::Duration;

use chromiumoxide::Page;
use chromiumoxide::browser::{Browser, BrowserConfig};
use chromiumoxide::page::ScreenshotParams;
use futures::StreamExt as _;
use oauthspec::report::{self, RunReport, Verdict};
use oauthspec::runner::{self, FeatureSource, Progress, RunOptions};

async fn launch(profile: &Path) -> (Browser, tokio::task::JoinHandle<()>) {
    let exe = oauthspec::driver::browser::find_chromium(None).expect(
        "the HTML report's test needs Chromium: apt-get install chromium-headless-shell (scripts/install-peers does)",
    );
    let config = BrowserConfig::builder()
        .chrome_executable(exe)
        .user_data_dir(profile)
        .no_sandbox()
        .arg("--disable-gpu")
        .arg("--disable-dev-shm-usage")
        .window_size(1280, 900)
        .viewport(chromiumoxide::handler::viewport::Viewport {
            width: 1280,
            height: 900,
            ..Default::default()
        })
        .build()
        .unwrap();
    let (browser, mut handler) = Browser::launch(config).await.unwrap();
    let task = tokio::spawn(async move { while handler.next().await.is_some() {} });
    (browser, task)
}

/// Closes the browser and waits for its process, so no Chromium outlives the test.
async fn close(page: Page, mut browser: Browser, handler: tokio::task::JoinHandle<()>) {
    let _ = page.close().await;
    let _ = browser.close().await;
    let _ = browser.wait().await;
    handler.abort();
}

async fn eval<T: serde::de::DeserializeOwned>(page: &Page, js: &str) -> T {
    page.evaluate(js)
        .await
        .unwrap_or_else(|e| panic!("{js}: {e}"))
        .into_value()
        .unwrap_or_else(|e| panic!("{js}: {e}"))
}

/// Waits until `js` is true (the page draws on its own schedule).
async fn until(page: &Page, js: &str) {
    for _ in 0..200 {
        if eval::<bool>(page, js).await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("never true: {js}");
}

fn file_url(path: &Path) -> String {
    url::Url::from_file_path(path).unwrap().to_string()
}

/// The bundled reference server with `pkce-not-verified`: a real run with FAILs.
async fn faulted_run() -> RunReport {
    let (_server, ctx) =
        oauthspec::bundled::reference_context(vec!["pkce-not-verified".parse().unwrap()])
            .await
            .unwrap();
    let options = RunOptions {
        progress: Progress::Never,
        ..RunOptions::default()
    };
    runner::run(FeatureSource::Embedded, ctx, None, &options)
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_html_report_shows_what_results_json_holds() {
    let run = faulted_run().await;
    assert!(run.with_verdict(Verdict::Fail).count() > 0);
    let dir = tempfile::tempdir().unwrap();
    report::write_all(&run, dir.path()).unwrap();

    // What the page must agree with: results.json as written.
    let results: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join(report::JSON_FILE)).unwrap())
            .unwrap();
    let scenarios = results["scenarios"].as_array().unwrap();
    let count = |v: &str| scenarios.iter().filter(|s| s["verdict"] == v).count();

    let profile = tempfile::tempdir().unwrap();
    let (browser, handler) = launch(profile.path()).await;
    let page = browser
        .new_page(file_url(&dir.path().join(report::HTML_FILE)))
        .await
        .unwrap();
    until(
        &page,
        "document.getElementById('showing').dataset.count !== undefined",
    )
    .await;

    for v in ["pass", "fail", "warn", "skip", "error"] {
        let shown: String = eval(
            &page,
            &format!("document.getElementById('count-{v}').textContent"),
        )
        .await;
        assert_eq!(shown, count(v).to_string(), "count of {v}");
    }
    let showing: String = eval(&page, "document.getElementById('showing').dataset.count").await;
    assert_eq!(showing, scenarios.len().to_string());
    let overall: String = eval(&page, "document.getElementById('overall').textContent").await;
    assert_eq!(overall, "FAIL");
    let first: String = eval(
        &page,
        "document.querySelector('#scenarios > details').dataset.verdict",
    )
    .await;
    assert_eq!(first, "fail", "failures come first");
    let areas: usize = eval(&page, "document.querySelectorAll('#areas tbody tr').length").await;
    assert_eq!(areas, run.summary().len());

    // The first FAIL opens on its finding and its exchanges; an exchange opens on its text.
    let fail = scenarios.iter().find(|s| s["verdict"] == "fail").unwrap();
    let id = fail["id"].as_str().unwrap();
    let card = format!("document.getElementById({:?})", format!("s-{id}"));
    page.find_element(format!(
        "details.scenario[id=\"s-{}\"] > summary",
        id.replace('"', "\\\"")
    ))
    .await
    .unwrap()
    .click()
    .await
    .unwrap();
    until(
        &page,
        &format!("{card}.open && !!{card}.querySelector('.body')"),
    )
    .await;
    let requirement: String = eval(
        &page,
        &format!("{card}.querySelector('dl.finding dd').textContent"),
    )
    .await;
    assert_eq!(
        requirement,
        fail["finding"]["requirement"].as_str().unwrap()
    );
    let exchanges: usize = eval(
        &page,
        &format!("{card}.querySelectorAll('details.exchange').length"),
    )
    .await;
    let evidence = fail["evidence"].as_array().unwrap();
    assert!(!evidence.is_empty());
    assert_eq!(exchanges, evidence.len());
    let visible: bool = eval(
        &page,
        &format!("{card}.querySelector('details.exchange pre').checkVisibility()"),
    )
    .await;
    assert!(!visible, "an exchange starts closed");
    page.find_element(format!(
        "details.scenario[id=\"s-{id}\"] details.exchange > summary"
    ))
    .await
    .unwrap()
    .click()
    .await
    .unwrap();
    let (visible, text): (bool, String) = eval(
        &page,
        &format!(
            "(() => {{ const p = {card}.querySelector('details.exchange pre'); return [p.checkVisibility(), p.textContent]; }})()"
        ),
    )
    .await;
    assert!(visible, "the exchange opened");
    assert_eq!(text, evidence[0].as_str().unwrap());
    let shots = Path::new(env!("CARGO_TARGET_TMPDIR"));
    page.save_screenshot(
        ScreenshotParams::builder().build(),
        shots.join("report-html-fail.png"),
    )
    .await
    .unwrap();
    eval::<bool>(&page, "(() => { window.scrollTo(0, 0); return true; })()").await;
    page.save_screenshot(
        ScreenshotParams::builder().build(),
        shots.join("report-html.png"),
    )
    .await
    .unwrap();
    println!("screenshots: {}/report-html{{,-fail}}.png", shots.display());

    // Unticking PASS leaves the others; an area filter leaves that area.
    page.find_element("input[name=verdict][value=PASS]")
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    until(
        &page,
        &format!(
            "document.getElementById('showing').dataset.count === '{}'",
            scenarios.len() - count("pass")
        ),
    )
    .await;
    let drawn_pass: usize = eval(
        &page,
        "document.querySelectorAll('#scenarios > details[data-verdict=pass]').length",
    )
    .await;
    assert_eq!(drawn_pass, 0, "no PASS card is drawn once PASS is unticked");
    let fail_area = fail["area"].as_str().unwrap();
    let in_area = scenarios
        .iter()
        .filter(|s| s["area"] == fail_area && s["verdict"] != "pass")
        .count();
    eval::<bool>(
        &page,
        &format!(
            "(() => {{ const a = document.getElementById('area'); a.value = {fail_area:?}; a.dispatchEvent(new Event('change')); return true; }})()"
        ),
    )
    .await;
    until(
        &page,
        &format!("document.getElementById('showing').dataset.count === '{in_area}'"),
    )
    .await;
    let (cards, of_area): (usize, usize) = eval(
        &page,
        &format!(
            "(() => {{ const c = [...document.querySelectorAll('#scenarios > details')]; return [c.length, c.filter(d => d.id.startsWith('s-{fail_area}/')).length]; }})()"
        ),
    )
    .await;
    assert_eq!(
        (cards, of_area),
        (in_area, in_area),
        "only that area's cards are drawn"
    );

    // The SARIF of the same real run is valid SARIF 2.1.0.
    let sarif: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(dir.path().join(report::SARIF_FILE)).unwrap(),
    )
    .unwrap();
    let schema: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(
            Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("tests/fixtures/sarif/sarif-schema-2.1.0.json"),
        )
        .unwrap(),
    )
    .unwrap();
    let validator = jsonschema::draft4::new(&schema).unwrap();
    let errors: Vec<String> = validator
        .iter_errors(&sarif)
        .map(|e| e.to_string())
        .collect();
    assert_eq!(errors, Vec::<String>::new());
    assert_eq!(
        sarif["runs"][0]["results"].as_array().unwrap().len(),
        count("fail") + count("warn")
    );

    close(page, browser, handler).await;
}

/// 2,000 scenarios: the page draws the first hundred, says it shows all 2,000, and draws
/// more as the reader scrolls down.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_run_of_two_thousand_scenarios_is_drawn_a_batch_at_a_time() {
    let mut run = crate::reports::golden_report();
    let seeds = run.scenarios.clone();
    run.scenarios = (0..2000)
        .map(|i| {
            let mut s = seeds[i % seeds.len()].clone();
            s.id = format!("{}-{i}", s.id);
            s
        })
        .collect();
    let dir = tempfile::tempdir().unwrap();
    let html = dir.path().join(report::HTML_FILE);
    std::fs::write(&html, report::html::render(&run)).unwrap();

    let profile = tempfile::tempdir().unwrap();
    let (browser, handler) = launch(profile.path()).await;
    let page = browser.new_page(file_url(&html)).await.unwrap();
    until(
        &page,
        "document.getElementById('showing').dataset.count === '2000'",
    )
    .await;
    let drawn: usize = eval(
        &page,
        "document.querySelectorAll('#scenarios > details').length",
    )
    .await;
    assert!((100..=200).contains(&drawn), "{drawn} cards drawn at once");
    eval::<bool>(
        &page,
        "(() => { window.scrollTo(0, document.body.scrollHeight); return true; })()",
    )
    .await;
    until(
        &page,
        &format!("document.querySelectorAll('#scenarios > details').length > {drawn}"),
    )
    .await;
    close(page, browser, handler).await;
}

/// Text from the target cannot run in the page: a finding and an exchange carrying markup and
/// a `</script>` are shown as text.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn target_text_cannot_run_in_the_page() {
    let mut run = crate::reports::golden_report();
    let evil = "</script><img src=x onerror=\"window.pwned=1\"><script>window.pwned=2</script>";
    for s in &mut run.scenarios {
        s.evidence
            .push(format!("GET /x HTTP/1.1\n\nHTTP/1.1 200 OK\n\n{evil}"));
        if let Some(f) = &mut s.finding {
            f.actual = evil.to_owned();
        }
        s.scenario = format!("{} {evil}", s.scenario);
    }
    let dir = tempfile::tempdir().unwrap();
    let html = dir.path().join(report::HTML_FILE);
    std::fs::write(&html, report::html::render(&run)).unwrap();
    let profile = tempfile::tempdir().unwrap();
    let (browser, handler) = launch(profile.path()).await;
    let page = browser.new_page(file_url(&html)).await.unwrap();
    until(
        &page,
        "document.getElementById('showing').dataset.count !== undefined",
    )
    .await;
    // Open every card and every exchange: their bodies are drawn then.
    eval::<bool>(
        &page,
        "(() => { document.querySelectorAll('#scenarios > details').forEach(d => d.open = true); return true; })()",
    )
    .await;
    until(
        &page,
        "document.querySelectorAll('details.exchange').length > 0",
    )
    .await;
    eval::<bool>(
        &page,
        "(() => { document.querySelectorAll('details.exchange').forEach(d => d.open = true); return true; })()",
    )
    .await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let pwned: bool = eval(&page, "window.pwned !== undefined").await;
    assert!(!pwned, "target text ran as script");
    let imgs: usize = eval(&page, "document.querySelectorAll('img').length").await;
    assert_eq!(imgs, 0, "target text became markup");
    let shown: bool = eval(
        &page,
        "[...document.querySelectorAll('pre')].some(p => p.textContent.includes('onerror=\"window.pwned=1\"'))",
    )
    .await;
    assert!(shown, "the text is shown as text");
    close(page, browser, handler).await;
}
