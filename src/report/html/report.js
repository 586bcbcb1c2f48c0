"use strict";
(function () {
  const data = JSON.parse(document.getElementById("data").textContent);
  const scenarios = data.report.scenarios;
  const links = data.links;
  const BATCH = 100;
  const main = document.getElementById("scenarios");
  const moreButton = document.getElementById("more");
  const showing = document.getElementById("showing");
  const area = document.getElementById("area");
  const level = document.getElementById("level");
  const q = document.getElementById("q");
  const boxes = Array.from(document.querySelectorAll("input[name=verdict]"));
  // Failures first; report order within a verdict (Array.prototype.sort is stable).
  const RANK = { fail: 0, warn: 1, error: 2, skip: 3, pass: 4 };
  const ordered = scenarios.slice().sort((a, b) => RANK[a.verdict] - RANK[b.verdict]);
  let list = [];
  let drawn = 0;
  let observer = null;

  function el(tag, cls, text) {
    const e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null) e.textContent = String(text);
    return e;
  }

  for (const a of Array.from(new Set(scenarios.map((s) => s.area))).sort()) {
    const o = el("option", null, a);
    o.value = a;
    area.appendChild(o);
  }

  function haystack(s) {
    const f = s.finding ? [s.finding.requirement, s.finding.expected, s.finding.actual] : [];
    const n = s.not_reached ? [s.not_reached.reason, s.not_reached.fix || ""] : [];
    return [s.id, s.scenario, s.feature, s.rule].concat(s.sources, f, n).join("\n").toLowerCase();
  }

  function selected(s) {
    const verdicts = boxes.filter((b) => b.checked).map((b) => b.value.toLowerCase());
    if (!verdicts.includes(s.verdict)) return false;
    if (area.value && s.area !== area.value) return false;
    if (level.value && s.level !== level.value) return false;
    const text = q.value.trim().toLowerCase();
    return !text || haystack(s).includes(text);
  }

  function section(parent, title) {
    parent.appendChild(el("h3", null, title));
  }

  function body(s) {
    const b = el("div", "body");
    b.appendChild(el("p", "feature", "Feature: " + s.feature));
    const g = el("div", "gherkin");
    const head = el("div", null);
    head.appendChild(el("span", "kw", "Scenario: "));
    head.appendChild(document.createTextNode(s.scenario));
    g.appendChild(head);
    for (const st of s.steps) {
      const line = el("div", "step " + st.status);
      line.appendChild(document.createTextNode("  "));
      line.appendChild(el("span", "kw", st.keyword + " "));
      line.appendChild(document.createTextNode(st.text));
      if (st.status !== "passed") line.appendChild(el("span", "st", st.status.replace("_", " ")));
      g.appendChild(line);
    }
    b.appendChild(g);
    if (s.rule) {
      section(b, "Rule");
      b.appendChild(el("pre", "rule", s.rule));
    }
    if (s.sources.length) {
      const p = el("p", "sources", "Source: ");
      s.sources.forEach((src, i) => {
        if (i) p.appendChild(document.createTextNode(", "));
        if (links[src]) {
          const a = el("a", null, src);
          a.href = links[src];
          a.rel = "noreferrer";
          p.appendChild(a);
        } else {
          p.appendChild(document.createTextNode(src));
        }
      });
      b.appendChild(p);
    }
    if (s.finding) {
      section(b, "Finding (" + (s.kind || "behaviour") + ")");
      const dl = el("dl", "finding");
      for (const [k, v] of [["requirement", s.finding.requirement], ["expected", s.finding.expected], ["actual", s.finding.actual]]) {
        dl.appendChild(el("dt", null, k));
        dl.appendChild(el("dd", null, v));
      }
      b.appendChild(dl);
    }
    if (s.not_reached) {
      section(b, s.verdict === "skip" ? "Why it was skipped" : "Why it could not be set up");
      const dl = el("dl", "finding");
      dl.appendChild(el("dt", null, "reason"));
      dl.appendChild(el("dd", null, s.not_reached.reason));
      if (s.not_reached.fix) {
        dl.appendChild(el("dt", null, "to run it"));
        dl.appendChild(el("dd", null, s.not_reached.fix));
      }
      b.appendChild(dl);
    }
    if (s.controls.length) {
      section(b, "Controls that held");
      const ul = el("ul", "controls");
      for (const c of s.controls) ul.appendChild(el("li", null, c));
      b.appendChild(ul);
    }
    if (s.evidence.length) {
      section(b, "HTTP exchanges (" + s.evidence.length + ")");
      for (const x of s.evidence) {
        const d = el("details", "exchange");
        d.appendChild(el("summary", null, x.split("\n", 1)[0]));
        d.appendChild(el("pre", null, x));
        b.appendChild(d);
      }
    }
    b.appendChild(el("p", "meta", s.duration_secs.toFixed(3) + " s · tags: " + s.tags.map((t) => "@" + t).join(" ")));
    return b;
  }

  function card(s) {
    const d = el("details", "scenario v-" + s.verdict);
    d.id = "s-" + s.id;
    d.dataset.verdict = s.verdict;
    const sum = el("summary", null);
    sum.appendChild(el("span", "badge b-" + s.verdict, s.verdict.toUpperCase()));
    sum.appendChild(el("span", "level", s.level.toUpperCase()));
    sum.appendChild(document.createTextNode(s.scenario));
    sum.appendChild(el("span", "id", s.id));
    d.appendChild(sum);
    // The body is drawn when the card is first opened.
    d.addEventListener("toggle", function once() {
      if (d.open && d.childElementCount === 1) d.appendChild(body(s));
    });
    return d;
  }

  function drawMore() {
    const end = Math.min(drawn + BATCH, list.length);
    const frag = document.createDocumentFragment();
    for (; drawn < end; drawn++) frag.appendChild(card(list[drawn]));
    main.appendChild(frag);
    moreButton.hidden = drawn >= list.length;
    // Observing again reports whether the button is still in view after this batch.
    if (observer && !moreButton.hidden) {
      observer.unobserve(moreButton);
      observer.observe(moreButton);
    }
  }

  function apply() {
    list = ordered.filter(selected);
    drawn = 0;
    main.textContent = "";
    showing.textContent = "showing " + list.length + " of " + scenarios.length + " scenarios";
    showing.dataset.count = String(list.length);
    drawMore();
  }

  for (const b of boxes) b.addEventListener("change", apply);
  area.addEventListener("change", apply);
  level.addEventListener("change", apply);
  q.addEventListener("input", apply);
  moreButton.addEventListener("click", drawMore);
  for (const a of document.querySelectorAll("#areas a[data-area]")) {
    a.addEventListener("click", (e) => {
      e.preventDefault();
      area.value = a.dataset.area;
      apply();
      document.getElementById("filters").scrollIntoView();
    });
  }
  if ("IntersectionObserver" in window) {
    observer = new IntersectionObserver((entries) => {
      if (entries.some((e) => e.isIntersecting) && drawn < list.length) drawMore();
    }, { rootMargin: "600px" });
    observer.observe(moreButton);
  }
  apply();
})();
