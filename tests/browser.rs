//! The page of `sou serve` driven in headless Chromium as a person uses it: type a query, see
//! the hits highlighted, ask for more, open one and find the article scrolled to it. Files
//! with markup in their titles and text show it as text. Needs Debian's `chromium` (`.ci/run`
//! installs it); `$CHROMIUM` names another. It takes screenshots (the README shows one).

mod common;

use std::path::PathBuf;
use std::time::Duration;

use headless_chrome::protocol::cdp::Page::CaptureScreenshotFormatOption;
use headless_chrome::types::Bounds;
use headless_chrome::{Browser, LaunchOptions, Tab};

use common::Workspace;
use common::server::Server;

/// The value of `expression`, evaluated in the page, as JSON.
fn evaluate(tab: &Tab, expression: &str) -> serde_json::Value {
    let wrapped = format!("JSON.stringify((() => {{ {expression} }})())");
    let result = tab.evaluate(&wrapped, false).unwrap();
    let text = result.value.and_then(|v| v.as_str().map(String::from));
    serde_json::from_str(&text.unwrap_or_else(|| "null".into())).unwrap()
}

/// Waits until `expression` is true in the page.
fn wait_for(tab: &Tab, expression: &str) {
    let started = std::time::Instant::now();
    while evaluate(tab, expression) != serde_json::Value::Bool(true) {
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "never true: {expression}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn screenshot(tab: &Tab, name: &str) -> PathBuf {
    let png = tab
        .capture_screenshot(CaptureScreenshotFormatOption::Png, None, None, true)
        .unwrap();
    assert!(
        png.starts_with(b"\x89PNG") && png.len() > 10_000,
        "{} bytes",
        png.len()
    );
    let path = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(name);
    std::fs::write(&path, png).unwrap();
    path
}

fn corpus() -> Workspace {
    let ws = Workspace::with_seed();
    ws.write(
        "evil.txt",
        "<script>alert(1)</script>\n\n安置房 \"><img src=x onerror=\"window.__pwned=1\"> 与 <b>粗体</b>\n",
    );
    let mut long = String::from("高新区安置房建设进展\n\n");
    for i in 0..80 {
        if i == 60 {
            long.push_str("第六十段：安置房将于年底全部交付，居民可以按时入住。\n\n");
        } else {
            long.push_str(&format!(
                "第{i}段：园区道路、学校和医院的建设都在按计划推进之中。\n\n"
            ));
        }
    }
    ws.write("reports/long.txt", &long);
    for i in 0..12 {
        ws.write(
            &format!("news/{i:02}.txt"),
            &format!("新闻{i}\n\n本市第{i}批安置房开始分配。\n"),
        );
    }
    ws
}

#[test]
fn a_person_searches_opens_a_hit_and_reads_it_in_chromium() {
    let ws = corpus();
    let server = Server::start(&ws, &[]);
    let chromium = std::env::var_os("CHROMIUM")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/usr/bin/chromium"));
    assert!(
        chromium.exists(),
        "{} is missing: `apt-get install chromium` (.ci/run does)",
        chromium.display()
    );
    let options = LaunchOptions::default_builder()
        .path(Some(chromium))
        .sandbox(false)
        .window_size(Some((1100, 900)))
        .idle_browser_timeout(Duration::from_secs(120))
        .build()
        .unwrap();
    let browser = Browser::new(options).unwrap();
    let tab = browser.new_tab().unwrap();
    tab.set_default_timeout(Duration::from_secs(20));
    tab.navigate_to(&format!("http://{}/", server.address))
        .unwrap()
        .wait_until_navigated()
        .unwrap();
    tab.wait_for_element("#q").unwrap();
    wait_for(&tab, "return document.activeElement.id === 'q'");

    tab.type_str("安置房").unwrap();
    tab.press_key("Enter").unwrap();
    wait_for(
        &tab,
        "return document.querySelectorAll('#hits li.hit').length >= 10",
    );
    let marks = evaluate(
        &tab,
        "return [...document.querySelectorAll('#hits li.hit .snippet mark, #hits li.hit .title mark')].map(m => m.textContent)",
    );
    let marks = marks.as_array().unwrap();
    assert!(marks.len() >= 10, "{marks:?}");
    assert!(marks.iter().all(|m| m == "安置房"), "{marks:?}");
    let status = evaluate(&tab, "return document.getElementById('status').textContent");
    assert!(status.as_str().unwrap().starts_with("共 "), "{status}");
    assert!(
        evaluate(&tab, "return location.search")
            .as_str()
            .unwrap()
            .contains("q="),
        "the query is in the address, for the back button and for sharing"
    );

    let results = screenshot(&tab, "serve-results.png");

    // More on demand.
    wait_for(&tab, "return !document.getElementById('more').hidden");
    tab.find_element("#more").unwrap().click().unwrap();
    wait_for(
        &tab,
        "return document.querySelectorAll('#hits li.hit').length > 10",
    );

    // The hostile article: its title and text are text, nothing of them ran.
    let titles = evaluate(
        &tab,
        "return [...document.querySelectorAll('#hits .title')].map(t => t.textContent)",
    );
    assert!(
        titles
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t == "<script>alert(1)</script>"),
        "{titles}"
    );
    assert_eq!(
        evaluate(
            &tab,
            "return document.querySelectorAll('#hits img, #hits b, #hits script').length"
        ),
        0
    );
    assert_eq!(
        evaluate(&tab, "return window.__pwned === undefined"),
        serde_json::Value::Bool(true)
    );
    let evil = evaluate(
        &tab,
        "return [...document.querySelectorAll('#hits .snippet')].map(s => s.textContent).find(t => t.includes('onerror'))",
    );
    assert!(
        evil.as_str()
            .is_some_and(|t| t.contains("\"><img src=x onerror=")),
        "{evil}"
    );

    // `/` comes back to the box from anywhere on the page.
    evaluate(&tab, "document.activeElement.blur(); return true");
    tab.press_key("/").unwrap();
    wait_for(&tab, "return document.activeElement.id === 'q'");

    // Open the hit deep in the long report: every match lit, its passage scrolled into view.
    let link = tab
        .find_elements("#hits li.hit a.open")
        .unwrap()
        .into_iter()
        .find(|a| {
            a.get_attribute_value("href")
                .ok()
                .flatten()
                .is_some_and(|h| h.contains("long.txt") && !h.ends_with("line=1"))
        })
        .expect("a hit in the body of reports/long.txt");
    link.click().unwrap();
    wait_for(
        &tab,
        "return document.querySelector('#passages p.here') !== null",
    );
    let here = evaluate(
        &tab,
        "const p = document.querySelector('#passages p.here'); const r = p.getBoundingClientRect();
         return { text: p.textContent, marks: [...p.querySelectorAll('mark')].map(m => m.textContent),
                  top: r.top, bottom: r.bottom, height: innerHeight, scrolled: scrollY,
                  all: document.querySelectorAll('#article mark').length,
                  title: document.getElementById('article-title').textContent,
                  passages: document.querySelectorAll('#passages p').length }",
    );
    assert!(
        here["text"].as_str().unwrap().contains("第六十段"),
        "{here}"
    );
    assert_eq!(here["marks"], serde_json::json!(["安置房"]), "{here}");
    // The title and the passage hold it: both lit.
    assert_eq!(here["all"], 2, "{here}");
    assert_eq!(here["title"], "高新区安置房建设进展", "{here}");
    assert_eq!(here["passages"], 80, "{here}");
    assert!(here["scrolled"].as_f64().unwrap() > 500.0, "{here}");
    let (top, bottom) = (
        here["top"].as_f64().unwrap(),
        here["bottom"].as_f64().unwrap(),
    );
    assert!(
        top >= 0.0 && bottom <= here["height"].as_f64().unwrap(),
        "not in view: {here}"
    );
    let article = screenshot(&tab, "serve-article.png");

    // Back to the results, then at phone width: nothing wider than the screen.
    tab.find_element("#back").unwrap().click().unwrap();
    wait_for(
        &tab,
        "return !document.getElementById('results').hidden && document.querySelectorAll('#hits li.hit').length >= 10",
    );
    tab.set_bounds(Bounds::Normal {
        left: None,
        top: None,
        width: Some(390.0),
        height: Some(844.0),
    })
    .unwrap();
    wait_for(&tab, "return innerWidth <= 400");
    wait_for(
        &tab,
        "return document.documentElement.scrollWidth <= document.documentElement.clientWidth",
    );
    let phone = screenshot(&tab, "serve-phone.png");
    eprintln!(
        "screenshots: {}, {}, {}",
        results.display(),
        article.display(),
        phone.display()
    );
}
