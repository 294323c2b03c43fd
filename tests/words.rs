//! Word search as a user runs it: run-together words, questions and half-remembered titles find
//! the article, best passage first, and the JSON says how the query was read.

mod common;

use serde::Deserialize;

use common::{SEED_NAME, Workspace, stderr, stdout};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct Results {
    query: String,
    words: Vec<String>,
    corrections: Vec<serde_json::Value>,
    all_words: bool,
    total: usize,
    total_exact: bool,
    took_ms: f64,
    hits: Vec<Hit>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct Hit {
    rank: usize,
    score: f32,
    tier: String,
    path: String,
    also: Vec<String>,
    line: u64,
    #[serde(default)]
    column: Option<usize>,
    #[serde(default)]
    page: Option<u32>,
    title: String,
    text: String,
    snippet: String,
    highlights: Vec<[usize; 2]>,
    matched: Vec<String>,
    missing: Vec<String>,
    changed: bool,
}

/// A few other articles, so that the seed is not the only one: a report on 国务院 督查 with
/// a title people half remember, and articles that share some of the seed's words.
const OTHERS: &[(&str, &str)] = &[
    (
        "督查.txt",
        "国务院第二次大督查综述：出实招 求实效\n\n国务院第二次大督查聚焦重点任务，督查组深入一线，推动政策落地见效。\n",
    ),
    (
        "洛阳.txt",
        "洛阳新区建设提速\n\n洛阳新区的安置房项目今年开工，配套学校同步建设。\n",
    ),
    (
        "排名.txt",
        "全国城市排名发布\n\n最新的城市排名显示，多个中部城市进步明显。\n",
    ),
];

fn workspace() -> Workspace {
    let ws = Workspace::with_seed();
    for (name, text) in OTHERS {
        ws.write(name, text);
    }
    ws
}

fn search(ws: &Workspace, query: &str) -> (i32, Results) {
    let out = ws.sou(&["search", "--json", "--limit", "100", "--", query]);
    let results = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{query}: bad JSON ({e}): {}{}", stdout(&out), stderr(&out)));
    (out.status.code().unwrap(), results)
}

fn seed_line(hit: &Hit) -> Option<u64> {
    hit.path.ends_with(SEED_NAME).then_some(hit.line)
}

/// The examples of the word-search issue, each with what a reader expects first.
#[test]
fn run_together_words_and_questions_find_the_passage_they_mean() {
    let ws = workspace();
    for query in ["高新区安置房", "郑州 安置房", "安置房什么时候建成"] {
        let (code, results) = search(&ws, query);
        assert_eq!(code, 0, "{query}");
        assert_eq!(
            seed_line(&results.hits[0]),
            Some(33),
            "{query}: {:?}",
            results.hits[0]
        );
        assert!(results.hits[0].text.contains("安置房"), "{query}");
    }
    let (_, results) = search(&ws, "安置房什么时候建成");
    assert_eq!(
        results.words,
        ["安置房", "建成"],
        "function words are dropped"
    );
    let (_, results) = search(&ws, "高新区安置房");
    assert_eq!(results.words, ["高新区", "安置房"]);
    assert!(results.hits[0].missing.is_empty(), "the title holds 高新区");
}

#[test]
fn smart_industry_passages_come_first_for_smart_industry_development() {
    let ws = workspace();
    let (code, results) = search(&ws, "智慧产业发展");
    assert_eq!(code, 0);
    let first: Vec<Option<u64>> = results.hits[..3].iter().map(seed_line).collect();
    let mut lines: Vec<u64> = first.into_iter().map(Option::unwrap).collect();
    lines.sort();
    assert_eq!(lines, [23, 25, 33]);
    assert!(
        results.hits[..3]
            .iter()
            .all(|h| h.text.contains("智慧产业"))
    );
}

#[test]
fn a_run_together_ranking_query_finds_the_two_passages_holding_all_three_words() {
    let ws = workspace();
    let (_, together) = search(&ws, "郑州高新区排名");
    let (_, spaced) = search(&ws, "郑州 高新区 排名");
    let lines = |results: &Results| -> Vec<Option<u64>> {
        results.hits[..2].iter().map(seed_line).collect()
    };
    assert_eq!(lines(&together), [Some(3), Some(5)]);
    assert_eq!(lines(&together), lines(&spaced));
    for hit in &together.hits[..2] {
        assert_eq!(hit.tier, "words_on_boundaries");
        assert_eq!(hit.matched, ["郑州", "高新区", "排名"]);
    }
}

#[test]
fn a_title_without_its_punctuation_finds_the_article() {
    let ws = workspace();
    let (code, results) = search(&ws, "国务院第二次大督查综述出实招");
    assert_eq!(code, 0);
    assert!(
        results.hits[0].path.ends_with("督查.txt"),
        "{:?}",
        results.hits[0]
    );
    // Also with a word changed, as people misremember titles.
    let (_, results) = search(&ws, "国务院第二次大督查综述出新招");
    assert!(
        results.hits[0].path.ends_with("督查.txt"),
        "{:?}",
        results.hits[0]
    );
}

#[test]
fn the_json_says_how_the_query_was_read_and_what_each_hit_lacks() {
    let ws = workspace();
    let (code, results) = search(&ws, "高新区安置房");
    assert_eq!(code, 0);
    assert_eq!(results.query, "高新区安置房");
    assert!(results.total >= results.hits.len() && results.total > 1);
    for hit in &results.hits {
        let mut words: Vec<&String> = hit.matched.iter().chain(&hit.missing).collect();
        words.sort();
        let mut read: Vec<&String> = results.words.iter().collect();
        read.sort();
        assert_eq!(words, read, "matched and missing split the words read");
        // Highlights cover matched words.
        let chars: Vec<char> = hit.snippet.chars().collect();
        for &[start, end] in &hit.highlights {
            let lit: String = chars[start..end].iter().collect();
            assert!(
                hit.matched.iter().any(|w| lit.contains(w.as_str())),
                "{lit}"
            );
        }
    }
    // The article of 洛阳 holds 安置房 but not 高新区: a hit of another article, which lacks a word.
    let luoyang = results
        .hits
        .iter()
        .find(|h| h.path.ends_with("洛阳.txt"))
        .unwrap();
    assert_eq!(luoyang.missing, ["高新区"]);
    assert_eq!(luoyang.tier, "some_words");
    assert!(
        !results.all_words,
        "not every hit's article holds every word"
    );
}

#[test]
fn when_no_article_holds_every_word_the_best_effort_says_so_and_is_not_found() {
    let ws = workspace();
    let out = ws.sou(&["search", "安置房 火星基地"]);
    // Shown, but not found: a script must not take the best effort for the query.
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(!stdout(&out).is_empty());
    assert_eq!(
        ws.sou(&["search", "安置房火星基地", "-q"]).status.code(),
        Some(1)
    );
    let listed = ws.sou(&["search", "安置房火星基地", "-l"]);
    assert_eq!(
        (listed.status.code(), stdout(&listed)),
        (Some(1), String::new())
    );
    let counted = ws.sou(&["search", "安置房火星基地", "-c"]);
    assert_eq!(
        (counted.status.code(), stdout(&counted)),
        (Some(1), "0\n".into())
    );
    // A query some article holds whole is found, and counted, as ever.
    let counted = ws.sou(&["search", "安置房建设", "-c"]);
    assert_eq!(counted.status.code(), Some(0));
    assert_ne!(stdout(&counted), "0\n");
    assert!(
        stderr(&out)
            .contains("no article holds all of 安置房 · 火星 · 基地; showing those with most"),
        "{}",
        stderr(&out)
    );
    assert!(
        stdout(&out).contains("[lacks 火星 · 基地]"),
        "{}",
        stdout(&out)
    );
    let out = ws.sou(&["search", "高新区安置房"]);
    assert!(
        stderr(&out).starts_with("高新区安置房 → 高新区 · 安置房\n"),
        "{}",
        stderr(&out)
    );
    // Nothing is found only when no word of the query is in the corpus.
    let out = ws.sou(&["search", "火星基地 土卫六"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stdout(&out).is_empty());
}

#[test]
fn quotes_exclusions_and_or_still_work_with_words() {
    let ws = workspace();
    // Quoted: only as written, so no article holds it.
    let (code, results) = search(&ws, "\"高新区安置房\"");
    assert_eq!((code, results.hits.len()), (1, 0));
    // Excluded: no hit holds the excluded string.
    let (_, results) = search(&ws, "安置房建设 -回迁");
    assert!(!results.hits.is_empty());
    assert!(results.hits.iter().all(|h| !h.text.contains("回迁")));
    // OR: either.
    let (_, results) = search(&ws, "洛阳 OR 郑州 安置房");
    assert!(results.hits.iter().any(|h| h.path.ends_with("洛阳.txt")));
    assert!(results.hits.iter().any(|h| h.path.ends_with(SEED_NAME)));
}

#[test]
fn a_user_word_keeps_a_query_word_whole() {
    let ws = workspace();
    let (_, results) = search(&ws, "高新区安置房");
    assert_eq!(results.words, ["高新区", "安置房"]);
    ws.write("dict.txt", "高新区安置房\n");
    let (_, results) = search(&ws, "高新区安置房");
    assert_eq!(
        results.words,
        ["高新区安置房"],
        "the dictionary the index was built with"
    );
}

/// One article holding the query in eight passages must not fill the first ten hits while
/// others hold some of its words: at most three of its passages come first, whatever tier the
/// others rank in; the rest follow, in rank order.
#[test]
fn one_article_takes_at_most_three_of_the_first_ten_hits() {
    let ws = Workspace::new();
    let mut dominant = String::from("智慧园区年报\n\n");
    for n in 1..=8 {
        dominant.push_str(&format!(
            "第{n}段：智慧园区的安置房建设进展顺利，居民陆续入住。\n\n"
        ));
    }
    ws.write("dominant.txt", &dominant);
    for n in 1..=5 {
        ws.write(
            &format!("other{n}.txt"),
            &format!("其他消息{n}\n\n第{n}条：这里只谈到安置房，没有别的。\n"),
        );
    }
    let out = ws.sou(&["search", "--json", "--", "智慧园区安置房"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let results: Results = serde_json::from_slice(&out.stdout).unwrap();
    let paths: Vec<&str> = results.hits.iter().map(|h| h.path.as_str()).collect();
    assert_eq!(paths.len(), 10, "{paths:?}");
    // The event the rule is for: the dominant article has more than three passages that rank
    // above every other article's.
    let (code, all) = search(&ws, "智慧园区安置房");
    assert_eq!(code, 0);
    let dominant_first = all
        .hits
        .iter()
        .take_while(|h| h.path.ends_with("dominant.txt"))
        .count();
    assert!(
        all.hits
            .iter()
            .filter(|h| h.path.ends_with("dominant.txt"))
            .count()
            >= 8
            && all.hits[3].tier != all.hits.last().unwrap().tier,
        "{:?}",
        all.hits
            .iter()
            .map(|h| (&h.path, &h.tier))
            .collect::<Vec<_>>()
    );
    assert_eq!(dominant_first, 3, "{paths:?}");
    let dominant_in_ten = paths.iter().filter(|p| p.ends_with("dominant.txt")).count();
    assert_eq!(
        dominant_in_ten, 5,
        "three first, then two after the five others: {paths:?}"
    );
    assert!(paths[3..8].iter().all(|p| p.contains("other")), "{paths:?}");
    // Past the others, the dominant article's passages come in order of their lines.
    let lines: Vec<u64> = results
        .hits
        .iter()
        .filter(|h| h.path.ends_with("dominant.txt"))
        .map(|h| h.line)
        .collect();
    assert!(lines.windows(2).all(|w| w[0] < w[1]), "{lines:?}");
}

/// A lone character typed between two words joins the one it stands with in more passages:
/// counted, not estimated from the grams (`院大` of 学院大学 made `国务院大` look common).
#[test]
fn a_lone_character_joins_the_neighbour_more_passages_hold_it_with() {
    let ws = Workspace::new();
    for n in 0..3 {
        ws.write(
            &format!("督查{n}.txt"),
            &format!("督查通报{n}\n\n第{n}次大督查发现的问题已经整改。\n"),
        );
    }
    for n in 0..6 {
        ws.write(
            &format!("学院{n}.txt"),
            &format!("学院新闻{n}\n\n第{n}届学院大学生运动会开幕，国务院有关部门发来贺信。\n"),
        );
    }
    ws.write("大力.txt", "政策\n\n国务院大力推进简政放权。\n");
    let (code, results) = search(&ws, "国务院大督查");
    // No article holds both words: its hits are a best effort, and it is not found.
    assert_eq!(code, 1);
    assert_eq!(results.words, ["国务院", "大督查"]);
}

/// An article's hits are its passages that hold as much of the query as its best one: on the
/// seed article, the three passages holding 智慧产业, not the six more holding 智慧 or 产业
/// alone; and what an exclusion leaves.
#[test]
fn an_articles_hits_hold_as_much_of_the_query_as_its_best_passage() {
    let ws = Workspace::with_seed();
    let (code, results) = search(&ws, "智慧产业");
    assert_eq!(code, 0);
    assert_eq!(results.hits.len(), 3, "{:?}", results.hits);
    assert!(results.hits.iter().all(|hit| hit.text.contains("智慧产业")));
    let counted = ws.sou(&["search", "智慧产业", "-c"]);
    assert_eq!(stdout(&counted), "3\n");
    let (code, results) = search(&ws, "智慧产业 -智慧社会");
    assert_eq!(code, 0);
    let texts: Vec<&str> = results.hits.iter().map(|hit| hit.text.as_str()).collect();
    assert_eq!(texts.len(), 1, "{texts:?}");
    assert!(texts[0].contains("智慧产业") && !texts[0].contains("智慧社会"));
}

#[test]
fn latin_words_run_together_are_read_as_the_words_the_corpus_holds() {
    let ws = workspace();
    ws.write(
        "manual.txt",
        "DROP TABLE - 删除一个表\n\n用 DROP TABLE 删除数据库里的表，需要 vim 或 vi 以外的工具。\n",
    );
    ws.write(
        "phone.txt",
        "手机评测\n\n这款 ip 电话的 ho 键和 ne 灯都坏了。\n",
    );
    // A title typed with its Latin words run together, as people copy it.
    let (code, results) = search(&ws, "DROPTABLE删除");
    assert_eq!(code, 0);
    assert_eq!(results.words, ["drop", "table", "删除"]);
    assert!(
        results.hits[0].path.ends_with("manual.txt"),
        "{:?}",
        results.hits[0]
    );
    // Short pieces are in nearly any run of letters: iphone is not ip, ho and ne.
    let (code, results) = search(&ws, "iphone");
    assert_eq!(results.words, ["iphone"]);
    assert_eq!(code, 1, "{:?}", results.hits);
    // A Latin word some passage holds stays whole, even where it could be cut.
    ws.write("vim.txt", "编辑器\n\nvimvi 是一个假想的编辑器名字。\n");
    let (_, results) = search(&ws, "vimvi");
    assert_eq!(results.words, ["vimvi"]);
}
