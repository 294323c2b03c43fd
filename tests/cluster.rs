//! sou and a real OpenSearch cluster: two nodes on loopback started by `scripts/opensearch`
//! from Maven Central's artifacts (no mock, no recorded answer). A fixture folder is sent with
//! `sou index --to`, and the cluster's answers are checked against a local search of the same
//! folder: the same files and lines in the same order, the same counts — also after the folder
//! changes, and after one node is stopped.

mod common;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use common::{SEED, SEED_NAME, run, sou, stderr, stdout};
use serde_json::{Value, json};

/// A running two-node cluster, stopped when dropped.
struct TwoNodes {
    dir: tempfile::TempDir,
    /// The first node's address (`http://127.0.0.1:PORT`).
    url: String,
    http: [u16; 2],
}

impl TwoNodes {
    fn start() -> TwoNodes {
        let (dir, ports, url) = started("start", 4);
        assert_eq!(url, format!("http://127.0.0.1:{}", ports[0]));
        TwoNodes {
            dir,
            url,
            http: [ports[0], ports[1]],
        }
    }

    /// Stops the node that is not the elected cluster manager (a cluster of two gives one of
    /// them the only vote, so without it the other could not elect itself), waits until the
    /// other sees it gone, and returns the other's address.
    fn stop_one(&self) -> String {
        let manager =
            curl(&["-s", &format!("{}/_cat/cluster_manager?h=node", self.url)]).unwrap_or_default();
        let (stopped, kept) = match manager.trim() {
            "n2" => (1, 2),
            _ => (2, 1),
        };
        let out = Command::new(script())
            .arg("stop")
            .arg(self.dir.path())
            .arg(stopped.to_string())
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", stderr(&out));
        let gone = format!("http://127.0.0.1:{}/", self.http[stopped - 1]);
        assert!(
            curl(&["-s", "--max-time", "2", &gone]).is_none(),
            "node {stopped} still answers"
        );
        let kept = format!("http://127.0.0.1:{}", self.http[kept - 1]);
        for _ in 0..120 {
            let nodes = curl(&["-s", &format!("{kept}/_cat/nodes")]).unwrap_or_default();
            if nodes.lines().count() == 1 {
                return kept;
            }
            std::thread::sleep(std::time::Duration::from_millis(500));
        }
        panic!("node {stopped} stopped, yet the other still sees two nodes");
    }
}

impl Drop for TwoNodes {
    fn drop(&mut self) {
        let _ = Command::new(script())
            .arg("stop")
            .arg(self.dir.path())
            .output();
    }
}

/// One node with TLS and a password (`scripts/opensearch secure`), stopped when dropped.
struct SecureNode {
    dir: tempfile::TempDir,
    /// `https://127.0.0.1:PORT`.
    url: String,
}

/// The password `scripts/opensearch secure` gives the user `admin`.
const ADMIN_PASSWORD: &str = "Sou-Test-4xample!";

impl SecureNode {
    fn start() -> SecureNode {
        let (dir, ports, url) = started("secure", 2);
        assert_eq!(url, format!("https://127.0.0.1:{}", ports[0]));
        SecureNode { dir, url }
    }

    /// The CA that signed the node's certificate.
    fn ca(&self) -> PathBuf {
        self.dir.path().join("nodesecure/config/root-ca.pem")
    }
}

impl Drop for SecureNode {
    fn drop(&mut self) {
        let _ = Command::new(script())
            .arg("stop")
            .arg(self.dir.path())
            .arg("secure")
            .output();
    }
}

/// Runs `scripts/opensearch COMMAND DIR PORTS…` with `ports` free ports in a new folder; the
/// folder, the ports and the address the script printed.
fn started(command: &str, ports: usize) -> (tempfile::TempDir, Vec<u16>, String) {
    let dir = tempfile::tempdir().unwrap();
    let ports: Vec<u16> = (0..ports).map(|_| free_port()).collect();
    let out = Command::new(script())
        .arg(command)
        .arg(dir.path())
        .args(ports.iter().map(u16::to_string))
        .env("SOU_OPENSEARCH_ADMIN_PASSWORD", ADMIN_PASSWORD)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "scripts/opensearch {command} failed: {}{}",
        stdout(&out),
        stderr(&out)
    );
    let url = stdout(&out).trim().to_string();
    (dir, ports, url)
}

fn script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/opensearch")
}

fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

/// What curl printed, when it reached the address.
fn curl(args: &[&str]) -> Option<String> {
    let out = Command::new("curl").args(args).output().ok()?;
    out.status.success().then(|| stdout(&out))
}

/// A folder of articles that exercises what the gram layout must carry: words on and off
/// jieba's boundaries, a long paragraph cut into passages (strings that straddle a cut), the
/// same text in two files, Latin and full-width text, traditional characters.
fn write_fixture(folder: &Path) {
    std::fs::create_dir_all(folder.join("news")).unwrap();
    std::fs::write(folder.join(SEED_NAME), SEED).unwrap();
    let article = "高新区安置房建设提速\n\n高新区今年开工安置房十二个项目，安置房建设回迁是民生工程。\n\n管理和服务是两件事，穿着和服的人走过。\n\n臺灣的記者來到郑州高新区。\n";
    std::fs::write(folder.join("news/anzhi.txt"), article).unwrap();
    // The same article in a second file: one hit, with the other path.
    std::fs::write(folder.join("news/anzhi-copy.txt"), article).unwrap();
    let mut long = String::from("长段落的文章\n\n");
    for n in 0..40 {
        long.push_str(&format!(
            "第{n}号项目由编号{n}的团队负责，预算写在第{n}页。"
        ));
    }
    long.push('\n');
    std::fs::write(folder.join("long.txt"), long).unwrap();
    // Words in more passages than a word search asks the best files holding some of the
    // words for ahead (see `cluster::words`): 团队 预算 is searched the other way too.
    let teams: String = (0..120)
        .map(|n| format!("第{n}组团队按预算完成了任务。\n\n"))
        .collect();
    std::fs::write(folder.join("teams.txt"), teams).unwrap();
    std::fs::write(
        folder.join("latin.md"),
        "# iPhone 发布会\n\nApple 在 CEO 的主持下发布了新款 ＩＰＨＯＮＥ，售价 ８９９９ 元。\n\n发布会上的安置房广告。\n",
    )
    .unwrap();
    // Two reports naming both words in different passages (tier 4): the longer says each
    // three times, the shorter once. An article's BM25 reads how often, over its length, so
    // the longer comes first; counting the passages holding each word would put it last.
    std::fs::create_dir_all(folder.join("reports")).unwrap();
    std::fs::write(
        folder.join("reports/once.txt"),
        "巡查简报\n\n今年检查了水库。\n\n堤坝完好。\n",
    )
    .unwrap();
    std::fs::write(
        folder.join("reports/often.txt"),
        "防汛记录\n\n水库的水位、水库的库容和水库的闸门。\n\n堤坝加固，堤坝巡逻，堤坝排险。\n\n天气晴。\n\n人员到岗。\n",
    )
    .unwrap();
    // A group of synonyms: a search of one finds the others.
    std::fs::write(folder.join("synonyms.txt"), "回迁房 安置房\n").unwrap();
    // A user word: the passages and the query are cut with it.
    std::fs::write(folder.join("dict.txt"), "高新智慧 5000\n").unwrap();
    // A PDF of two pages whose paragraph runs on to the second: a hit names the match's page.
    std::fs::create_dir_all(folder.join("docs")).unwrap();
    std::fs::copy(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/documents/wrapped.pdf"),
        folder.join("docs/notice.pdf"),
    )
    .unwrap();
}

/// The literal queries checked: one word, a string across jieba's words, a quoted phrase, OR,
/// exclusions, one character, Latin and full-width, a traditional form, strings that straddle
/// a cut of the long paragraph.
const QUERIES: &[&str] = &[
    "安置房",
    "建设",
    "高新区",
    "和服",
    "\"国家 自创区\"",
    "安置房 OR 自创区",
    "建设 -智慧",
    "的",
    "iphone",
    "8999",
    "台湾",
    "\"团队负责\"",
    "\"页。第12\"",
    "\"第39页\"",
    "2020",
    // Through the folder's synonyms (安置房).
    "回迁房",
    // In the PDF: on its first page, and on its second.
    "被征收",
    "公示",
];

/// The queries read as several words, checked for the same hits in the same order, tiers and
/// counts: run together, spaced, in different
/// passages of one article (tier 4), an exclusion, Latin beside Chinese, a question, a word no
/// file holds beside one many do (tier 5 only, which finds nothing for a script), and `-w`.
const WORD_QUERIES: &[&[&str]] = &[
    &["高新区安置房"],
    &["安置房 建设"],
    &["郑州 和服"],
    &["高新区 安置房 -回迁"],
    &["iphone 发布会"],
    &["团队 预算"],
    &["安置房什么时候建成"],
    &["水库 堤坝"],
    &["安置房 鞍山钢铁"],
    &["-w", "和服 记者"],
    // Typed mistakes, read through the words by pinyin the cluster keeps: a homophone typo,
    // pinyin alone, pinyin beside a word.
    &["安治房"],
    &["zhihuichanye"],
    &["anzhifang 建设"],
    // Read with the folder's user word (高新智慧 贡献, not 高新 智慧 贡献).
    &["高新智慧贡献"],
];

/// The hits of a search as (path inside the folder, line), the total, and the tiers.
fn answer(out: &Output, folder_prefix: &str) -> (Vec<(String, u64)>, u64, Vec<String>) {
    assert!(
        out.status.code() == Some(0) || out.status.code() == Some(1),
        "{}",
        stderr(out)
    );
    let json: Value = serde_json::from_str(&stdout(out)).unwrap();
    let hits = json["hits"].as_array().unwrap();
    let places = hits
        .iter()
        .map(|hit| {
            let path = hit["path"].as_str().unwrap();
            let path = path.strip_prefix(folder_prefix).unwrap_or(path);
            (path.to_string(), hit["line"].as_u64().unwrap())
        })
        .collect();
    let tiers = hits.iter().map(|hit| hit["tier"].to_string()).collect();
    (places, json["total"].as_u64().unwrap(), tiers)
}

/// Where each hit's match stands, as JSON names it: path, line, column and page.
fn placed(out: &Output, folder_prefix: &str) -> Vec<Value> {
    let json: Value = serde_json::from_str(&stdout(out)).unwrap();
    json["hits"]
        .as_array()
        .unwrap()
        .iter()
        .map(|hit| {
            let path = hit["path"].as_str().unwrap();
            let path = path.strip_prefix(folder_prefix).unwrap_or(path);
            json!([path, hit["line"], hit["column"], hit["page"]])
        })
        .collect()
}

/// How closely a cluster's order must follow the local one.
#[derive(Clone, Copy, PartialEq)]
enum Order {
    /// The same hits in the same order.
    Exact,
    /// The same hits, and the same tier at each rank; within a tier the order may differ,
    /// because BM25's statistics are not the same: the local index counts its article
    /// documents and the passages of a changed file until a merge drops them, Lucene counts
    /// the documents holding the field and its own deleted ones.
    WithinTiers,
}

/// Checks each query's answer against the local index's; returns the cluster's answers.
fn assert_same_answers(dir: &Path, server: &str, order: Order) -> Vec<(Vec<(String, u64)>, u64)> {
    let mut answers = Vec::new();
    for query in QUERIES {
        let local = run(dir, &["--seeds", "corpus", "--json", "-n", "20", query]);
        let cluster = run(dir, &["--server", server, "--json", "-n", "20", query]);
        let (local_hits, local_total, local_tiers) = answer(&local, "corpus/");
        let (cluster_hits, cluster_total, cluster_tiers) = answer(&cluster, "");
        assert!(
            order != Order::Exact || !local_hits.is_empty(),
            "{query}: no local hit"
        );
        let shown = format!("\nlocal: {}\ncluster: {}", stdout(&local), stdout(&cluster));
        match order {
            Order::Exact => assert_eq!(cluster_hits, local_hits, "{query}: hits differ{shown}"),
            Order::WithinTiers => {
                let sorted = |hits: &[(String, u64)]| {
                    let mut hits = hits.to_vec();
                    hits.sort();
                    hits
                };
                assert_eq!(
                    sorted(&cluster_hits),
                    sorted(&local_hits),
                    "{query}: hits differ{shown}"
                );
            }
        }
        assert_eq!(cluster_total, local_total, "{query}: totals differ");
        assert_eq!(cluster_tiers, local_tiers, "{query}: tiers differ");
        if order == Order::Exact {
            assert_eq!(
                placed(&cluster, ""),
                placed(&local, "corpus/"),
                "{query}: the matches' lines, columns or pages differ{shown}"
            );
            // Each hit and each other file holding its passage, at its line and column.
            let vimgrep = |at: &[&str], prefix: &str| -> Vec<String> {
                let mut all: Vec<&str> = at.to_vec();
                all.extend_from_slice(&["--vimgrep", "-n", "20", query]);
                stdout(&run(dir, &all))
                    .lines()
                    .map(|line| line.strip_prefix(prefix).unwrap_or(line).to_string())
                    .collect()
            };
            assert_eq!(
                vimgrep(&["--server", server], ""),
                vimgrep(&["--seeds", "corpus"], "corpus/"),
                "{query}: --vimgrep"
            );
        }
        assert_eq!(
            local.status.code(),
            cluster.status.code(),
            "{query}: exit status"
        );
        // Paths and counts as a script reads them.
        let files = |out: &Output, prefix: &str| -> BTreeSet<String> {
            stdout(out)
                .lines()
                .map(|line| line.strip_prefix(prefix).unwrap_or(line).to_string())
                .collect()
        };
        let local_l = run(dir, &["--seeds", "corpus", "-l", query]);
        let cluster_l = run(dir, &["--server", server, "-l", query]);
        assert_eq!(
            files(&cluster_l, ""),
            files(&local_l, "corpus/"),
            "{query}: -l"
        );
        let local_c = run(dir, &["--seeds", "corpus", "-c", query]);
        let cluster_c = run(dir, &["--server", server, "-c", query]);
        assert_eq!(stdout(&cluster_c), stdout(&local_c), "{query}: -c");
        answers.push((cluster_hits, cluster_total));
    }
    answers
}

/// Checks each word query's answer against the local index's: the same hits in the same order,
/// the same tier at each rank, the same `-c`, `-l` and exit status; returns every tier seen.
fn assert_same_word_answers(dir: &Path, server: &str) -> BTreeSet<String> {
    let mut seen = BTreeSet::new();
    let mut corrected = 0;
    for query in WORD_QUERIES {
        let ask = |at: &[&str], extra: &[&str]| {
            let mut args: Vec<&str> = at.to_vec();
            args.extend_from_slice(extra);
            args.extend_from_slice(query);
            run(dir, &args)
        };
        let local_at: &[&str] = &["--seeds", "corpus"];
        let cluster_at: &[&str] = &["--server", server];
        let local = ask(local_at, &["--json", "-n", "20"]);
        let cluster = ask(cluster_at, &["--json", "-n", "20"]);
        let shown = format!("\nlocal: {}\ncluster: {}", stdout(&local), stdout(&cluster));
        let (local_hits, _, local_tiers) = answer(&local, "corpus/");
        let (cluster_hits, _, cluster_tiers) = answer(&cluster, "");
        assert_eq!(cluster_tiers, local_tiers, "{query:?}: tiers differ{shown}");
        // Within a tier too: an article's BM25 reads how often its passages say each word, over
        // its length, from the text and lengths sent.
        assert_eq!(cluster_hits, local_hits, "{query:?}: hits differ{shown}");
        let words = |out: &Output| -> Value {
            serde_json::from_str::<Value>(&stdout(out)).unwrap()["words"].clone()
        };
        assert_eq!(words(&cluster), words(&local), "{query:?}: words");
        let corrections = |out: &Output| -> Value {
            serde_json::from_str::<Value>(&stdout(out)).unwrap()["corrections"].clone()
        };
        assert_eq!(
            corrections(&cluster),
            corrections(&local),
            "{query:?}: corrections"
        );
        corrected += usize::from(
            corrections(&cluster)
                .as_array()
                .is_some_and(|list| !list.is_empty()),
        );
        assert_eq!(
            cluster.status.code(),
            local.status.code(),
            "{query:?}: exit status{shown}"
        );
        let local_c = ask(local_at, &["-c"]);
        let cluster_c = ask(cluster_at, &["-c"]);
        assert_eq!(stdout(&cluster_c), stdout(&local_c), "{query:?}: -c");
        let local_l = ask(local_at, &["-l"]);
        let cluster_l = ask(cluster_at, &["-l"]);
        let files = |out: &Output, prefix: &str| -> BTreeSet<String> {
            stdout(out)
                .lines()
                .map(|line| line.strip_prefix(prefix).unwrap_or(line).to_string())
                .collect()
        };
        assert_eq!(
            files(&cluster_l, ""),
            files(&local_l, "corpus/"),
            "{query:?}: -l"
        );
        seen.extend(cluster_tiers);
    }
    assert!(
        corrected >= 3,
        "only {corrected} word queries were read anew"
    );
    seen
}

/// Flags that narrow or arrange a search (`-g`, `-t`, `-m`, `--sort path`) and show the
/// passages around a hit (`-A`, `-B`, `-C`) give the local answers: the same hits in the same
/// order, and the same passages around each.
fn assert_same_with_flags(dir: &Path, server: &str) {
    let flagged: &[&[&str]] = &[
        &["-g", "*.md", "安置房"],
        &["-g", "!news/**", "安置房"],
        &["-t", "md", "-t", "txt", "高新区安置房"],
        &["-g", "news/*", "zhihuichanye"],
        &["-m", "1", "安置房"],
        &["--sort", "path", "安置房 建设"],
        &["-C", "1", "和服"],
        &["-B", "2", "-A", "1", "\"团队负责\""],
    ];
    for args in flagged {
        let ask = |at: &[&str]| {
            let mut all: Vec<&str> = at.to_vec();
            all.extend_from_slice(&["--json", "-n", "20"]);
            all.extend_from_slice(args);
            run(dir, &all)
        };
        let local = ask(&["--seeds", "corpus"]);
        let cluster = ask(&["--server", server]);
        let shown = format!("\nlocal: {}\ncluster: {}", stdout(&local), stdout(&cluster));
        let (local_hits, local_total, _) = answer(&local, "corpus/");
        let (cluster_hits, cluster_total, _) = answer(&cluster, "");
        assert_eq!(cluster_hits, local_hits, "{args:?}: hits differ{shown}");
        assert_eq!(cluster_total, local_total, "{args:?}: totals differ{shown}");
        let around = |out: &Output| -> Vec<Value> {
            let json: Value = serde_json::from_str(&stdout(out)).unwrap();
            json["hits"]
                .as_array()
                .unwrap()
                .iter()
                .map(|hit| json!([hit["before"], hit["after"]]))
                .collect()
        };
        assert_eq!(
            around(&cluster),
            around(&local),
            "{args:?}: context differs{shown}"
        );
        assert_eq!(
            cluster.status.code(),
            local.status.code(),
            "{args:?}: exit status"
        );
    }
    // The passages around a hit were there to compare.
    let context = run(dir, &["--server", server, "--json", "-C", "1", "和服"]);
    let context: Value = serde_json::from_str(&stdout(&context)).unwrap();
    assert!(
        context["hits"].as_array().unwrap().iter().any(|hit| {
            hit["before"].as_array().is_some_and(|b| !b.is_empty())
                && hit["after"].as_array().is_some_and(|a| !a.is_empty())
        }),
        "no hit with passages around it: {context}"
    );
    // The flags narrowed something: a glob that admits no hit finds nothing.
    let none = run(dir, &["--server", server, "-g", "*.html", "安置房"]);
    assert_eq!(none.status.code(), Some(1), "{}", stdout(&none));
}

/// Paths after the query name the cluster index's files by their path in the folder sent: a
/// folder or a file narrows the search as the glob of the same files does; a path that names no
/// file, or one from here, is an error naming it.
fn paths_narrow_a_cluster_search(dir: &Path, server: &str) {
    let narrowed: &[(&[&str], &str)] = &[
        (&["news"], "news/**"),
        (&["./news/"], "news/**"),
        (
            &["news/anzhi-copy.txt", "latin.md"],
            "{news/anzhi-copy.txt,latin.md}",
        ),
    ];
    let everything = answer(
        &run(dir, &["--server", server, "--json", "-n", "20", "安置房"]),
        "",
    );
    for (paths, glob) in narrowed {
        let mut by_paths = vec!["--server", server, "--json", "-n", "20", "安置房"];
        by_paths.extend_from_slice(paths);
        let by_paths = run(dir, &by_paths);
        let by_glob = run(
            dir,
            &[
                "--server",
                server,
                "--json",
                "-n",
                "20",
                "-g",
                glob,
                "安置房",
            ],
        );
        let shown = format!("\npaths: {}\nglob: {}", stdout(&by_paths), stdout(&by_glob));
        assert_eq!(by_paths.status.code(), Some(0), "{paths:?}{shown}");
        let (hits, total, _) = answer(&by_paths, "");
        let (glob_hits, glob_total, _) = answer(&by_glob, "");
        assert_eq!((&hits, total), (&glob_hits, glob_total), "{paths:?}{shown}");
        assert!(
            !hits.is_empty() && total < everything.1,
            "{paths:?} narrowed nothing{shown}"
        );
    }
    for wrong in ["nowhere", "news/anz", "/etc", "../news"] {
        let out = run(dir, &["--server", server, "安置房", wrong]);
        assert_eq!(out.status.code(), Some(2), "{wrong}: {}", stdout(&out));
        let said = stderr(&out);
        assert!(
            said.lines().count() == 1 && said.contains(wrong),
            "{wrong}: {said}"
        );
    }
}

/// A file holding each word in a passage of its own (tier 4) among more files holding the
/// rarest word alone than a page asks the best of: it is found among the files holding every
/// word, not left to the best files holding some (where it ties with the others, last by name).
fn a_file_saying_the_words_apart_is_found_past_the_best_files(dir: &Path, url: &str) {
    let folder = dir.join("harbor");
    std::fs::create_dir_all(&folder).unwrap();
    std::fs::write(
        folder.join("zz-log.txt"),
        "港口日志\n\n灯塔亮了。\n\n渔船回港。\n",
    )
    .unwrap();
    for n in 0..40 {
        std::fs::write(
            folder.join(format!("boat-{n:02}.txt")),
            format!("出海记录{n}\n\n第{n}条渔船出海。\n"),
        )
        .unwrap();
    }
    for n in 0..60 {
        std::fs::write(
            folder.join(format!("light-{n:02}.txt")),
            format!("海岸记录{n}\n\n第{n}座灯塔照着海面。\n"),
        )
        .unwrap();
    }
    let server = format!("{url}/harbor");
    let sent = run(
        dir,
        &["index", "harbor", "--to", &server, "--replicas", "0"],
    );
    assert!(sent.status.success(), "{}", stderr(&sent));
    for limit in ["1", "20"] {
        let local = run(
            dir,
            &[
                "--seeds",
                "harbor",
                "--index",
                "harbor-index",
                "--json",
                "-n",
                limit,
                "渔船 灯塔",
            ],
        );
        let cluster = run(
            dir,
            &["--server", &server, "--json", "-n", limit, "渔船 灯塔"],
        );
        let (local_hits, _, local_tiers) = answer(&local, "harbor/");
        let (cluster_hits, _, cluster_tiers) = answer(&cluster, "");
        assert_eq!(
            local_hits.first().map(|(path, _)| path.as_str()),
            Some("zz-log.txt"),
            "{}",
            stdout(&local)
        );
        assert_eq!(local_tiers[0], "\"words_in_article\"");
        assert_eq!(
            cluster_hits,
            local_hits,
            "-n {limit}\nlocal: {}\ncluster: {}",
            stdout(&local),
            stdout(&cluster)
        );
        assert_eq!(cluster_tiers, local_tiers);
    }
}

#[test]
fn a_two_node_cluster_answers_as_the_local_index_does() {
    let cluster = TwoNodes::start();
    let work = tempfile::tempdir().unwrap();
    let dir = work.path();
    let folder = dir.join("corpus");
    write_fixture(&folder);
    let server = format!("{}/fixture", cluster.url);

    let out = run(
        dir,
        &["index", "corpus", "--to", &server, "--replicas", "1"],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("created") && stdout(&out).contains(": 9 files sent"),
        "{}",
        stdout(&out)
    );
    // The replica of every shard is on the other node before anything is stopped.
    let health = curl(&[
        "-s",
        &format!(
            "{}/_cluster/health/fixture?wait_for_status=green&timeout=60s",
            cluster.url
        ),
    ])
    .unwrap();
    assert!(health.contains("\"status\":\"green\""), "{health}");
    // The replicas copy the primaries' segments, and the send returned once they held all it
    // sent: the replicas alone count what the primaries do.
    let settings = curl(&["-s", &format!("{server}/_settings?flat_settings=true")]).unwrap();
    assert!(
        settings.contains("\"index.replication.type\":\"SEGMENT\""),
        "{settings}"
    );
    let counted = |preference: &str| count_of(&format!("{server}/_count?preference={preference}"));
    assert!(counted("_primary").is_some_and(|n| n > 0));
    assert_eq!(counted("_replica"), counted("_primary"));
    assert_same_answers(dir, &server, Order::Exact);
    // Among the places compared: a match on the PDF's second page, in a paragraph that starts
    // on its first.
    let on_page_two = run(dir, &["--server", &server, "--json", "公示"]);
    let on_page_two: Value = serde_json::from_str(&stdout(&on_page_two)).unwrap();
    assert!(
        on_page_two["hits"].as_array().unwrap().iter().any(|hit| {
            hit["path"] == "docs/notice.pdf" && hit["page"] == 2 && hit["column"].is_u64()
        }),
        "{on_page_two}"
    );

    // An index sou did not make is neither written nor searched.
    let foreign = format!("{}/foreign", cluster.url);
    curl(&["-s", "-XPUT", &foreign]).unwrap();
    for args in [
        vec!["index", "corpus", "--to", foreign.as_str()],
        vec!["--server", foreign.as_str(), "安置房"],
    ] {
        let out = run(dir, &args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(
            stderr(&out).contains("is not one sou made"),
            "{}",
            stderr(&out)
        );
    }
    // Queries read as several words rank by the same tiers.
    let tiers = assert_same_word_answers(dir, &server);
    for tier in [
        "\"words_in_article\"",
        "\"some_words\"",
        "\"words_on_boundaries\"",
    ] {
        assert!(
            tiers.contains(tier),
            "no word query reached {tier}: {tiers:?}"
        );
    }

    assert_same_with_flags(dir, &server);
    paths_narrow_a_cluster_search(dir, &server);
    a_file_saying_the_words_apart_is_found_past_the_best_files(dir, &cluster.url);

    // Text output, as a reader sees it: the hit's file and line and its highlight.
    let text = run(dir, &["--server", &server, "--color", "never", "和服"]);
    assert_eq!(text.status.code(), Some(0), "{}", stderr(&text));
    assert!(
        stdout(&text).contains("news/anzhi-copy.txt:5"),
        "{}",
        stdout(&text)
    );
    assert!(
        stdout(&text).contains("also in news/anzhi.txt"),
        "{}",
        stdout(&text)
    );
    // The strings that straddle a cut were found through the tail: some hit's own text lacks
    // the string (the check above compared them with the local index).
    let across = run(
        dir,
        &["--server", &server, "--json", "-n", "50", "\"页。第12\""],
    );
    let across: Value = serde_json::from_str(&stdout(&across)).unwrap();
    assert!(
        across["hits"]
            .as_array()
            .unwrap()
            .iter()
            .any(|hit| !hit["text"].as_str().unwrap().contains("页。第12")),
        "no hit of 页。第12 runs past a cut: {across}"
    );
    // Nothing found: exit 1, as grep.
    let none = run(dir, &["--server", &server, "\"不存在的词汇组合\""]);
    assert_eq!(none.status.code(), Some(1), "{}", stderr(&none));
    // --explain shows the query sent.
    let explained = run(dir, &["--server", &server, "--explain", "-c", "安置房"]);
    assert!(
        stderr(&explained).contains("match_phrase"),
        "{}",
        stderr(&explained)
    );

    // Sent again unchanged: nothing is sent.
    let again = run(dir, &["index", "corpus", "--to", &server]);
    assert!(
        stdout(&again).contains(": 0 files sent (0 passages), 9 unchanged, 0 deleted"),
        "{}",
        stdout(&again)
    );

    // The folder changes: one file edited (shorter: its old passages past the end go), one
    // removed, one added.
    std::thread::sleep(std::time::Duration::from_millis(20));
    std::fs::write(
        folder.join("long.txt"),
        "长段落的文章\n\n只剩一句：团队负责。\n",
    )
    .unwrap();
    std::fs::remove_file(folder.join("news/anzhi-copy.txt")).unwrap();
    std::fs::write(folder.join("news/new.txt"), "新文章\n\n和服与安置房。\n").unwrap();
    let changed = run(dir, &["index", "corpus", "--to", &server]);
    assert!(changed.status.success(), "{}", stderr(&changed));
    assert!(
        stdout(&changed).contains(": 2 files sent"),
        "{}",
        stdout(&changed)
    );
    assert!(
        stdout(&changed).contains("1 deleted"),
        "{}",
        stdout(&changed)
    );
    let before = assert_same_answers(dir, &server, Order::WithinTiers);

    // A send killed between two bulk requests is finished by the next one, with nothing twice.
    kill_a_send_midway(dir, &cluster.url);

    // A folder's settings that cannot be read are said by a send as by a local build.
    settings_warnings_are_said(dir, &cluster.url);

    // One node stopped: the other still answers, and the same as both did.
    let kept = cluster.stop_one();
    let after = assert_same_answers(dir, &format!("{kept}/fixture"), Order::WithinTiers);
    assert_eq!(after, before);
    assert_same_word_answers(dir, &format!("{kept}/fixture"));
}

fn settings_warnings_are_said(dir: &Path, url: &str) {
    let folder = dir.join("warned");
    std::fs::create_dir_all(folder.join("synonyms.txt")).unwrap();
    std::fs::write(folder.join("a.txt"), "安置房\n").unwrap();
    let local = run(dir, &["index", "warned", "--index", "warned-index"]);
    assert!(local.status.success(), "{}", stderr(&local));
    let sent = run(dir, &["index", "warned", "--to", &format!("{url}/warned")]);
    assert!(sent.status.success(), "{}", stderr(&sent));
    let said = |out: &Output| {
        stderr(out)
            .lines()
            .filter(|line| line.contains("synonyms.txt"))
            .map(str::to_string)
            .collect::<Vec<_>>()
    };
    assert_eq!(said(&sent).len(), 1, "{}", stderr(&sent));
    assert!(
        said(&sent)[0].contains("no synonyms are used"),
        "{}",
        stderr(&sent)
    );
    assert_eq!(said(&sent), said(&local));
}

/// How many documents of `kind` the index at `server` holds, after a refresh (an index being
/// filled may not have been refreshed yet), counted on its primaries (replicas that copy
/// segments catch up a moment after); none when it cannot say (no such index yet).
fn try_count(server: &str, kind: &str) -> Option<u64> {
    curl(&["-s", "-XPOST", &format!("{server}/_refresh")])?;
    count_of(&format!(
        "{server}/_count?q=kind:{kind}&preference=_primary"
    ))
}

/// The count a `_count` address answers; none when it answers no count.
fn count_of(url: &str) -> Option<u64> {
    let out = curl(&["-s", url])?;
    serde_json::from_str::<Value>(&out).ok()?["count"].as_u64()
}

fn count(server: &str, kind: &str) -> u64 {
    try_count(server, kind).unwrap()
}

fn kill_a_send_midway(dir: &Path, url: &str) {
    let folder = dir.join("many");
    std::fs::create_dir_all(&folder).unwrap();
    let sentences: Vec<&str> = SEED
        .split(['。', '\n'])
        .filter(|s| s.chars().count() > 8)
        .collect();
    let files: u64 = 1500;
    for n in 0..files {
        let mut text = format!("第{n}篇文章\n\n");
        for k in 0..6 {
            text.push_str(sentences[(n as usize * 7 + k) % sentences.len()]);
            text.push_str(&format!("，编号{n}。\n\n"));
        }
        std::fs::write(folder.join(format!("{n:04}.txt")), text).unwrap();
    }
    let server = format!("{url}/killed");
    let mut send = common::spawn(
        dir,
        &["index", "many", "--to", &server, "--bulk-bytes", "20000"],
    );
    let started = std::time::Instant::now();
    while try_count(&server, "article").unwrap_or(0) == 0 {
        assert!(
            send.try_wait().unwrap().is_none(),
            "the send ended before any record was in"
        );
        assert!(started.elapsed().as_secs() < 120, "no record after 120 s");
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    send.kill().unwrap();
    let status = send.wait().unwrap();
    assert!(
        !status.success(),
        "the kill did not land: the send had finished"
    );
    let recorded = count(&server, "article");
    assert!(
        recorded > 0 && recorded < files,
        "{recorded} of {files} recorded: not midway"
    );

    // The words of the files recorded were not kept yet: the index says so.
    let pending = format!("{server}/_doc/sou-pending-pinyin");
    assert!(
        curl(&["-s", &pending]).unwrap().contains("\"found\":true"),
        "no mark of the words pending after the kill"
    );
    let again = run(dir, &["index", "many", "--to", &server]);
    assert!(again.status.success(), "{}", stderr(&again));
    assert!(
        curl(&["-s", &pending]).unwrap().contains("\"found\":false"),
        "the words are still pending after a whole send"
    );
    let said = stdout(&again);
    assert!(
        said.contains(&format!(": {} files sent", files - recorded))
            && said.contains(&format!("{recorded} unchanged")),
        "{recorded} recorded before: {said}"
    );
    // Every passage once: as many as the local index of the folder holds.
    let build = run(dir, &["index", "many"]);
    assert!(build.status.success(), "{}", stderr(&build));
    let stats: Value =
        serde_json::from_str(&stdout(&run(dir, &["stats", "many", "--json"]))).unwrap();
    assert_eq!(
        count(&server, "passage"),
        stats["passages"].as_u64().unwrap()
    );
    assert_eq!(count(&server, "article"), files);
    let local = run(
        dir,
        &["--seeds", "many", "--json", "-n", "20", "\"编号1234\""],
    );
    let cluster = run(
        dir,
        &["--server", &server, "--json", "-n", "20", "\"编号1234\""],
    );
    assert_eq!(answer(&cluster, "").0, answer(&local, "many/").0);
    // A typo is read as locally, from the words the two sends kept.
    let local = run(dir, &["--seeds", "many", "--json", "-n", "20", "安治房"]);
    let cluster = run(dir, &["--server", &server, "--json", "-n", "20", "安治房"]);
    let corrections =
        |out: &Output| serde_json::from_str::<Value>(&stdout(out)).unwrap()["corrections"].clone();
    assert!(
        corrections(&local)
            .as_array()
            .is_some_and(|c| !c.is_empty()),
        "{}",
        stdout(&local)
    );
    assert_eq!(corrections(&cluster), corrections(&local));
    // Many files tie: the same number of hits, in the same tiers.
    let (cluster_hits, cluster_total, cluster_tiers) = answer(&cluster, "");
    let (local_hits, local_total, local_tiers) = answer(&local, "many/");
    assert!(!local_hits.is_empty());
    assert_eq!(
        (cluster_hits.len(), cluster_total, cluster_tiers),
        (local_hits.len(), local_total, local_tiers)
    );
}

/// A real cluster behind TLS and a password (OpenSearch's security plugin): sou trusts the CA
/// named by SOU_CLUSTER_CA and sends the user and password of the environment or of the file
/// SOU_CLUSTER_CREDENTIALS names; without the CA, without credentials or with a wrong password
/// the error is one line naming the node and the reason.
#[test]
fn a_cluster_behind_tls_and_a_password_is_reached_with_the_ca_and_credentials_given() {
    let node = SecureNode::start();
    let work = tempfile::tempdir().unwrap();
    let dir = work.path();
    write_fixture(&dir.join("corpus"));
    let ca = node.ca();
    let ca = ca.to_str().unwrap();
    let server = format!("{}/secured", node.url);
    let host = node.url.trim_start_matches("https://");
    let sou_with = |env: &[(&str, &str)], args: &[&str]| -> Output {
        let mut command = sou();
        for var in [
            "SOU_CLUSTER_CA",
            "SOU_CLUSTER_USER",
            "SOU_CLUSTER_PASSWORD",
            "SOU_CLUSTER_API_KEY",
            "SOU_CLUSTER_CREDENTIALS",
            "SOU_SERVER",
        ] {
            command.env_remove(var);
        }
        command
            .args(args)
            .envs(env.iter().copied())
            .current_dir(dir)
            .env("SOU_CACHE", dir.join(".sou-cache"))
            .output()
            .unwrap()
    };
    let send = ["index", "corpus", "--to", &server, "--replicas", "0"];
    let admin = [
        ("SOU_CLUSTER_USER", "admin"),
        ("SOU_CLUSTER_PASSWORD", ADMIN_PASSWORD),
    ];
    let refused = [
        // The demo CA is none of the system's roots.
        ("no CA", admin.to_vec(), "certificate"),
        ("no credentials", vec![("SOU_CLUSTER_CA", ca)], "401"),
        (
            "a wrong password",
            vec![
                ("SOU_CLUSTER_CA", ca),
                ("SOU_CLUSTER_USER", "admin"),
                ("SOU_CLUSTER_PASSWORD", "not-the-password"),
            ],
            "401",
        ),
    ];
    for (what, env, reason) in &refused {
        let out = sou_with(env, &send);
        let said = stderr(&out);
        assert_eq!(out.status.code(), Some(2), "{what}: {said}");
        assert!(
            said.lines().count() == 1 && said.contains(host) && said.contains(reason),
            "{what}: {said}"
        );
    }
    let mut trusted = admin.to_vec();
    trusted.push(("SOU_CLUSTER_CA", ca));
    let out = sou_with(&trusted, &send);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains(": 9 files sent"), "{}", stdout(&out));
    // What was sent answers as the local index does, with the password from the environment
    // or from a file.
    let local = sou_with(&[], &["index", "--seeds", "corpus"]);
    assert!(local.status.success(), "{}", stderr(&local));
    let credentials = dir.join("credentials");
    std::fs::write(&credentials, format!("admin:{ADMIN_PASSWORD}\n")).unwrap();
    let credentials = credentials.to_str().unwrap();
    let from_file = [
        ("SOU_CLUSTER_CA", ca),
        ("SOU_CLUSTER_CREDENTIALS", credentials),
    ];
    for query in ["安置房", "高新区 安置房", "和服"] {
        let search = ["--json", "-n", "20", query];
        let local = sou_with(&[], &[&["--seeds", "corpus"][..], &search].concat());
        let (local_hits, local_total, _) = answer(&local, "corpus/");
        assert!(!local_hits.is_empty(), "{query}");
        for env in [&trusted[..], &from_file[..]] {
            let out = sou_with(env, &[&["--server", &server][..], &search].concat());
            assert_eq!(out.status.code(), Some(0), "{query}: {}", stderr(&out));
            let (hits, total, _) = answer(&out, "");
            assert_eq!((&hits, total), (&local_hits, local_total), "{query}");
        }
    }
}

#[test]
fn cluster_errors_are_one_line_naming_the_node() {
    let work = tempfile::tempdir().unwrap();
    let dir = work.path();
    std::fs::create_dir_all(dir.join("corpus")).unwrap();
    std::fs::write(dir.join("corpus/a.txt"), "标题\n\n正文。\n").unwrap();
    let port = free_port();
    let unreachable = format!("http://127.0.0.1:{port}/news");
    for args in [
        vec!["index", "corpus", "--to", unreachable.as_str()],
        vec!["--server", unreachable.as_str(), "安置房"],
    ] {
        let out = run(dir, &args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let err = stderr(&out);
        assert_eq!(err.trim().lines().count(), 1, "{err}");
        assert!(err.contains(&format!("cluster 127.0.0.1:{port}")), "{err}");
    }
    let out = run(
        dir,
        &["index", "corpus", "--to", "http://127.0.0.1:9200/Bad"],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("index name"), "{}", stderr(&out));
}

/// A stand-in for a busy node (not a cluster: it only says 503, then 404), to see what sou
/// sends and how it waits.
#[test]
fn credentials_go_in_a_header_and_a_busy_node_is_waited_for() {
    use common::stand_in::{read_request, write_answer};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let server = std::thread::spawn(move || {
        // A search checks the index and sends its first request at once: each is answered
        // busy twice, then with no index.
        let mut heads: Vec<String> = Vec::new();
        for stream in listener.incoming().take(6) {
            let mut stream = stream.unwrap();
            let (head, _) = read_request(&mut stream);
            let request_line = head.lines().next().unwrap_or("").to_string();
            let before = heads
                .iter()
                .filter(|seen| seen.lines().next() == Some(request_line.as_str()))
                .count();
            heads.push(head);
            let (status, body) = if before < 2 {
                (
                    "503 Service Unavailable",
                    r#"{"error":{"type":"busy","reason":"busy"},"status":503}"#,
                )
            } else {
                (
                    "404 Not Found",
                    r#"{"error":{"type":"index_not_found_exception","reason":"no such index [news]"},"status":404}"#,
                )
            };
            write_answer(&mut stream, status, body);
        }
        heads
    });
    let work = tempfile::tempdir().unwrap();
    let out = sou()
        .args([
            "--server",
            &format!("http://127.0.0.1:{port}/news"),
            "安置房",
        ])
        .current_dir(work.path())
        .env("SOU_CLUSTER_USER", "admin")
        .env("SOU_CLUSTER_PASSWORD", "s3cret")
        .output()
        .unwrap();
    let heads = server.join().unwrap();
    assert_eq!(
        heads.len(),
        6,
        "two busy answers, then one more try, for each"
    );
    let checks = heads
        .iter()
        .filter(|head| head.starts_with("get /news?local=true "))
        .count();
    let searches = heads
        .iter()
        .filter(|head| head.starts_with("post /news/_search "))
        .count();
    assert_eq!((checks, searches), (3, 3), "{heads:?}");
    for head in &heads {
        assert!(
            head.contains("authorization: basic ywrtaw46cznjcmv0"),
            "{head}"
        );
    }
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert_eq!(
        err.trim(),
        format!("sou: cluster 127.0.0.1:{port}: no index news (sou index --to makes it)")
    );
    // The password never shows.
    assert!(!err.contains("s3cret"));
}
