//! `sou serve` as a client meets it: a server started by the test on a free port, spoken to
//! over raw HTTP (so that paths reach it exactly as written, `../` and all).

mod common;

use std::net::TcpStream;
use std::time::Duration;

use common::server::{Server, encoded};
use common::{SEED_NAME, Workspace, run, stdout};
use serde_json::Value;

/// The search JSON without what differs from run to run.
fn comparable(mut value: Value) -> Value {
    let object = value.as_object_mut().unwrap();
    object.remove("took_ms");
    object.remove("offset");
    object.remove("next_offset");
    value
}

fn corpus() -> Workspace {
    let ws = Workspace::with_seed();
    ws.write(
        "a.txt",
        "安置房建设\n\n高新区的安置房今年交付。\n\n另一段不相关的文字。\n",
    );
    ws.write(
        "b.md",
        "# 智慧产业\n\n智慧产业发展迅速，安置房也在建。\n\n智慧社会是另一回事。\n",
    );
    ws
}

#[test]
fn search_answers_the_json_of_the_command_line() {
    let ws = corpus();
    let server = Server::start(&ws, &[]);
    for query in [
        "安置房",
        "高新区安置房",
        "智慧产业 -智慧社会",
        "安置房 zzqqxx",
    ] {
        let cli = ws.sou(&["search", query, "--json", "--no-sync"]);
        let cli: Value = serde_json::from_slice(&cli.stdout).unwrap();
        let answer = server.get(&format!("/api/search?q={}", encoded(query)));
        assert_eq!(answer.status, 200, "{query}: {}", answer.body);
        assert_eq!(
            answer.header("content-type"),
            Some("application/json; charset=utf-8")
        );
        let api = answer.json();
        assert_eq!(api["offset"], 0);
        assert_eq!(comparable(api), comparable(cli), "{query}");
    }
}

#[test]
fn pages_of_hits_follow_each_other() {
    let ws = corpus();
    let server = Server::start(&ws, &[]);
    let whole =
        server.get("/api/search?q=%E5%AE%89%E7%BD%AE%E6%88%BF%20OR%20%E6%99%BA%E6%85%A7&n=4");
    let whole = whole.json();
    let ranks = |page: &Value| -> Vec<(u64, String, u64)> {
        page["hits"]
            .as_array()
            .unwrap()
            .iter()
            .map(|h| {
                (
                    h["rank"].as_u64().unwrap(),
                    h["path"].as_str().unwrap().to_string(),
                    h["line"].as_u64().unwrap(),
                )
            })
            .collect()
    };
    let q = "%E5%AE%89%E7%BD%AE%E6%88%BF%20OR%20%E6%99%BA%E6%85%A7";
    let first = server.get(&format!("/api/search?q={q}&n=2")).json();
    let second = server
        .get(&format!("/api/search?q={q}&n=2&offset=2"))
        .json();
    assert!(whole["total"].as_u64().unwrap() > 4, "{whole}");
    assert_eq!(first["next_offset"], 2);
    assert_eq!(second["offset"], 2);
    let mut both = ranks(&first);
    both.extend(ranks(&second));
    assert_eq!(both, ranks(&whole));
    assert_eq!(both.iter().map(|r| r.0).collect::<Vec<_>>(), [1, 2, 3, 4]);
    let last = server
        .get(&format!("/api/search?q={q}&n=100&offset=2"))
        .json();
    assert_eq!(last["next_offset"], Value::Null, "{last}");
}

#[test]
fn stats_answers_the_json_of_the_command_line() {
    let ws = corpus();
    let server = Server::start(&ws, &["--index", "idx"]);
    // The server may still be finishing its first write (a merge) when it answers: compare
    // once it says it is done, as the command line, run after, sees it.
    let started = std::time::Instant::now();
    let mut api = server.get("/api/stats").json();
    while api["being_written"] == true {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "still written: {api}"
        );
        std::thread::sleep(Duration::from_millis(20));
        api = server.get("/api/stats").json();
    }
    let cli = ws.sou(&["stats", "--json", "--index", "idx"]);
    let cli: Value = serde_json::from_slice(&cli.stdout).unwrap();
    assert_eq!(api, cli);
    assert_eq!(api["articles"], 3);
}

#[test]
fn an_article_comes_whole_with_every_match_highlighted() {
    let ws = corpus();
    let server = Server::start(&ws, &[]);
    let search = server
        .get("/api/search?q=%E5%AE%89%E7%BD%AE%E6%88%BF")
        .json();
    let hit = search["hits"]
        .as_array()
        .unwrap()
        .iter()
        .find(|h| h["path"] == "./seeds/a.txt")
        .unwrap()
        .clone();
    let path = hit["path"].as_str().unwrap();
    let article = server.get(&format!(
        "/api/article?path={}&q=%E5%AE%89%E7%BD%AE%E6%88%BF",
        encoded(path)
    ));
    assert_eq!(article.status, 200, "{}", article.body);
    let article = article.json();
    assert_eq!(article["title"], "安置房建设");
    assert_eq!(article["words"], serde_json::json!(["安置房"]));
    let passages = article["passages"].as_array().unwrap();
    let texts: Vec<&str> = passages
        .iter()
        .map(|p| p["text"].as_str().unwrap())
        .collect();
    assert_eq!(
        texts,
        [
            "安置房建设",
            "高新区的安置房今年交付。",
            "另一段不相关的文字。"
        ]
    );
    let lines: Vec<u64> = passages
        .iter()
        .map(|p| p["line"].as_u64().unwrap())
        .collect();
    assert_eq!(lines, [1, 3, 5]);
    assert!(lines.contains(&hit["line"].as_u64().unwrap()));
    let marked: Vec<String> = passages
        .iter()
        .flat_map(|p| {
            let chars: Vec<char> = p["text"].as_str().unwrap().chars().collect();
            p["highlights"]
                .as_array()
                .unwrap()
                .iter()
                .map(|h| {
                    let (s, e) = (h[0].as_u64().unwrap(), h[1].as_u64().unwrap());
                    chars[s as usize..e as usize].iter().collect::<String>()
                })
                .collect::<Vec<_>>()
        })
        .collect();
    assert_eq!(marked, ["安置房", "安置房"]);
    // The same article by its key, and without a query.
    let plain = server.get("/api/article?path=a.txt").json();
    assert_eq!(plain["passages"][1]["highlights"], serde_json::json!([]));
    // A document's passages come from the index, with their page.
    let seed = server
        .get(&format!("/api/article?path=./seeds/{SEED_NAME}"))
        .json();
    assert_eq!(seed["passages"].as_array().unwrap().len(), 15);
}

#[test]
fn bad_parameters_are_400_with_a_json_error() {
    let ws = corpus();
    let server = Server::start(&ws, &[]);
    let long = "安".repeat(257);
    let cases = [
        "/api/search",
        "/api/search?q=",
        "/api/search?q=%20%20",
        "/api/search?q=x&n=0",
        "/api/search?q=x&n=101",
        "/api/search?q=x&n=abc",
        "/api/search?q=x&n=-1",
        "/api/search?q=x&offset=1001",
        "/api/search?q=x&offset=1.5",
        "/api/search?q=x&q=y",
        "/api/search?q=x&limit=5",
        "/api/search?q=x&glob=%5B",
        "/api/article",
        "/api/article?path=",
        "/api/article?path=a.txt&x=1",
        "/api/stats?verbose=1",
    ];
    let long_query = format!("/api/search?q={}", encoded(&long));
    // More words than a query may hold (a query error, as on the command line).
    let words: Vec<String> = (0..70).map(|i| format!("w{i}")).collect();
    let many_words = format!("/api/search?q={}", encoded(&words.join(" ")));
    for target in cases
        .iter()
        .copied()
        .chain([long_query.as_str(), many_words.as_str()])
    {
        let answer = server.get(target);
        assert_eq!(answer.status, 400, "{target}: {}", answer.body);
        let error = answer.json();
        assert!(
            error["error"].as_str().is_some_and(|e| !e.is_empty()),
            "{target}: {error}"
        );
    }
}

#[test]
fn only_indexed_articles_are_served() {
    let ws = corpus();
    let outside = ws.path("secret.txt");
    std::fs::write(&outside, "秘密文件\n\n不该被读到。\n").unwrap();
    std::os::unix::fs::symlink(&outside, ws.seeds().join("link-out.txt")).unwrap();
    // Skipped (not text), of another type, and the index's own files inside the folder.
    std::fs::write(ws.seeds().join("binary.txt"), [0u8, 159, 146, 150, 0, 1, 2]).unwrap();
    ws.write("notes.json", "{\"秘密\": 1}");
    ws.write("victim.txt", "受害文章\n\n原来的内容。\n");
    let server = Server::start(&ws, &["--index", "seeds/.index"]);
    let stats = server.get("/api/stats").json();
    assert_eq!(stats["articles"], 4, "{stats}");
    assert_eq!(server.get("/api/article?path=victim.txt").status, 200);
    // Swapped for a link out of the folder after it was indexed: the index still lists it.
    std::fs::remove_file(ws.seeds().join("victim.txt")).unwrap();
    std::os::unix::fs::symlink(&outside, ws.seeds().join("victim.txt")).unwrap();
    let secret = ws.path("secret.txt").display().to_string();
    let targets = [
        "/api/article?path=../../etc/passwd".to_string(),
        "/api/article?path=..%2F..%2F..%2Fetc%2Fpasswd".to_string(),
        "/api/article?path=./seeds/../../../etc/passwd".to_string(),
        "/api/article?path=/etc/passwd".to_string(),
        format!("/api/article?path={}", encoded(&secret)),
        "/api/article?path=../secret.txt".to_string(),
        "/api/article?path=link-out.txt".to_string(),
        "/api/article?path=victim.txt".to_string(),
        "/api/article?path=binary.txt".to_string(),
        "/api/article?path=notes.json".to_string(),
        "/api/article?path=.index/meta.json".to_string(),
        "/api/article?path=./seeds/.index/meta.json".to_string(),
        "/api/article?path=.".to_string(),
        "/api/article?path=./seeds".to_string(),
        "/../../etc/passwd".to_string(),
        "/api/../../../etc/passwd".to_string(),
        "/%2e%2e/%2e%2e/etc/passwd".to_string(),
        "/seeds/a.txt".to_string(),
        "/index/meta.json".to_string(),
    ];
    for target in &targets {
        let answer = server.get(target);
        assert_eq!(answer.status, 404, "{target}: {}", answer.body);
        assert!(!answer.body.contains("秘密"), "{target}: {}", answer.body);
        assert!(!answer.body.contains("root:"), "{target}: {}", answer.body);
        assert!(answer.json()["error"].is_string(), "{target}");
    }
}

#[test]
fn nothing_is_written_and_only_this_machine_is_answered() {
    let ws = corpus();
    let server = Server::start(&ws, &[]);
    let host = &server.address;
    let post = server.request(&format!(
        "POST /api/search?q=x HTTP/1.1\r\nHost: {host}\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{{}}"
    ));
    assert_eq!(post.status, 405, "{}", post.body);
    for method in ["PUT", "DELETE", "PATCH"] {
        let answer = server.request(&format!(
            "{method} /api/article?path=a.txt HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"
        ));
        assert_eq!(answer.status, 405, "{method}");
    }
    let body = server.request(&format!(
        "GET /api/search?q=x HTTP/1.1\r\nHost: {host}\r\nContent-Length: 5\r\nConnection: close\r\n\r\nhello"
    ));
    assert_eq!(body.status, 413);
    // A page elsewhere reaching 127.0.0.1 through a name of its own (DNS rebinding).
    let rebound = server
        .request("GET /api/search?q=x HTTP/1.1\r\nHost: evil.example\r\nConnection: close\r\n\r\n");
    assert_eq!(rebound.status, 403);
    let huge = format!("/api/search?q={}", "a".repeat(64 * 1024));
    assert!(
        matches!(server.get(&huge).status, 400 | 414 | 431 | 0),
        "a 64 KB request line"
    );
    assert_eq!(server.get("/api/search?q=x").status, 200);
}

#[test]
fn every_answer_forbids_inline_script_and_the_page_has_none() {
    let ws = corpus();
    ws.write(
        "evil.txt",
        "<script>alert(1)</script>\n\n安置房 \"><img src=x onerror=alert(2)>\n",
    );
    let server = Server::start(&ws, &[]);
    for target in [
        "/",
        "/app.js",
        "/app.css",
        "/api/search?q=x",
        "/nope",
        "/api/stats",
    ] {
        let answer = server.get(target);
        let policy = answer.header("content-security-policy").unwrap_or("");
        assert!(policy.contains("script-src 'self'"), "{target}: {policy}");
        assert!(!policy.contains("unsafe-inline"), "{target}: {policy}");
        assert_eq!(answer.header("x-content-type-options"), Some("nosniff"));
    }
    let page = server.get("/").body;
    assert!(page.contains("<script src=\"/app.js\" defer></script>"));
    assert_eq!(page.matches("<script").count(), 1, "{page}");
    assert!(!page.contains("http://") && !page.contains("https://"));
    let script = server.get("/app.js").body;
    assert!(!script.contains("innerHTML") && !script.contains("insertAdjacentHTML"));
    let hits = server.get("/api/search?q=onerror").json();
    assert_eq!(
        hits["hits"][0]["title"], "<script>alert(1)</script>",
        "{hits}"
    );
}

#[test]
fn listening_beyond_this_machine_is_warned_about() {
    let ws = corpus();
    let server = Server::start(&ws, &["--bind", "0.0.0.0"]);
    assert!(
        server.address.starts_with("127.0.0.1:"),
        "{}",
        server.address
    );
    let (code, err) = server.interrupt();
    assert_eq!(code, Some(130));
    assert!(
        err.contains("anyone who can reach this address can read every article"),
        "{err}"
    );
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port().to_string();
    let out = run(ws.dir.path(), &["serve", "--port", &port]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        common::stderr(&out).starts_with(&format!("sou: cannot listen on 127.0.0.1:{port}: ")),
        "{}",
        common::stderr(&out)
    );
    let out = run(ws.dir.path(), &["serve", "missing-folder"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(common::stderr(&out).contains("missing-folder"));
}

#[test]
fn ctrl_c_stops_the_server_with_130_and_the_index_whole() {
    let ws = corpus();
    let server = Server::start(&ws, &[]);
    let count = server
        .get("/api/search?q=%E5%AE%89%E7%BD%AE%E6%88%BF")
        .json()["total"]
        .clone();
    let address = server.address.clone();
    let (code, err) = server.interrupt();
    assert_eq!(code, Some(130), "{err}");
    assert!(err.contains("interrupted"), "{err}");
    assert!(TcpStream::connect(&address).is_err(), "still listening");
    let out = ws.sou(&["search", "安置房", "-c"]);
    assert_eq!(out.status.code(), Some(0), "{}", common::stderr(&out));
    assert_eq!(stdout(&out).trim(), count.to_string());
}

/// Many clients at once while files change: every search answers 200 from a whole commit,
/// none waits for the syncs, and the edits become searchable.
#[test]
fn searches_answer_during_syncs_and_see_the_edits() {
    let ws = corpus();
    for i in 0..40 {
        ws.write(
            &format!("many/{i:03}.txt"),
            &format!("文章{i}\n\n安置房第{i}段。\n"),
        );
    }
    let server = std::sync::Arc::new(Server::start(&ws, &[]));
    let before = server
        .get("/api/search?q=%E5%AE%89%E7%BD%AE%E6%88%BF")
        .json()["total"]
        .as_u64();
    assert!(before.is_some_and(|n| n > 40), "{before:?}");
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let clients: Vec<_> = (0..8)
        .map(|_| {
            let server = server.clone();
            let stop = stop.clone();
            std::thread::spawn(move || {
                let mut answers = Vec::new();
                while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                    let answer = server.get("/api/search?q=%E5%AE%89%E7%BD%AE%E6%88%BF&n=5");
                    let total = answer.json()["total"].as_u64();
                    answers.push((answer.status, total));
                }
                answers
            })
        })
        .collect();
    let mut syncs = 0;
    for round in 0..5 {
        for i in 0..40 {
            ws.write(
                &format!("many/{i:03}.txt"),
                &format!("文章{i}\n\n安置房第{i}段，第{round}次修改，词{round}x{i}。\n"),
            );
        }
        // The watch says each sync on stdout.
        while let Some(line) = server.next_line(Duration::from_secs(10)) {
            if line.contains("changed") && !line.contains(" 0 changed") {
                syncs += 1;
                break;
            }
        }
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let answers: Vec<(u16, Option<u64>)> = clients
        .into_iter()
        .flat_map(|c| c.join().unwrap())
        .collect();
    assert!(syncs >= 3, "only {syncs} syncs seen");
    assert!(answers.len() > 50, "only {} answers", answers.len());
    assert!(
        answers.iter().all(|(status, _)| *status == 200),
        "{answers:?}"
    );
    // Every answer from a whole commit: as many passages hold 安置房 after each edit.
    assert!(
        answers.iter().all(|(_, total)| *total == before),
        "{:?}",
        answers.iter().filter(|a| a.1 != before).collect::<Vec<_>>()
    );
    let edited = server.get("/api/search?q=%E8%AF%8D4x39").json();
    assert_eq!(
        edited["hits"][0]["path"], "./seeds/many/039.txt",
        "{edited}"
    );
}

/// Ctrl-C while the first build runs: 130 within the stop's bound, the last commit whole, and
/// the next `sou index` finishes the folder.
#[test]
fn ctrl_c_during_the_first_build_leaves_the_index_whole() {
    let ws = Workspace::new();
    for i in 0..4000 {
        ws.write(
            &format!("bulk/{:02}/{i:05}.txt", i % 40),
            &format!("批量文章{i}\n\n第{i}篇的正文，安置房与高新区。\n"),
        );
    }
    let mut child = common::sou()
        .args(["serve", "--port", "0"])
        .current_dir(ws.dir.path())
        .env("SOU_CACHE", ws.path(".sou-cache"))
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut out = std::io::BufReader::new(child.stdout.take().unwrap());
    let mut first = String::new();
    std::io::BufRead::read_line(&mut out, &mut first).unwrap();
    assert!(first.contains("http://127.0.0.1:"), "{first}");
    // As soon as the build has made the index (a fixed wait let a fast build end first).
    let index = ws.path("index");
    let waiting = std::time::Instant::now();
    while !index.join("meta.json").exists() && waiting.elapsed() < Duration::from_secs(10) {
        std::thread::sleep(Duration::from_millis(2));
    }
    // SAFETY: kill() is called with the pid of a child this test owns.
    unsafe { libc::kill(child.id() as i32, libc::SIGINT) };
    let started = std::time::Instant::now();
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(130));
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
    // The interruption landed mid-build: no commit yet, or one that does not end a sync.
    let stats = ws.sou(&["stats", "--json"]);
    let landed = match stats.status.code() {
        Some(0) => {
            let stats: Value = serde_json::from_slice(&stats.stdout).unwrap();
            stats["complete"] == false
        }
        _ => true,
    };
    assert!(landed, "the build ended before Ctrl-C: {}", stdout(&stats));
    let index = ws.sou(&["index"]);
    assert_eq!(index.status.code(), Some(0), "{}", common::stderr(&index));
    let count = ws.sou(&["search", "安置房", "-c", "--no-sync"]);
    assert_eq!(stdout(&count).trim(), "4000");
}
