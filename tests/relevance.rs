//! The relevance harness: judged queries with the passages each must return and in which order,
//! and a recall check that compares, for many query strings, the passages and files sou returns
//! with those that contain the string (what grep would say, after folding).
//!
//! It runs on the seed article and small fixtures written here, through the library, so that
//! hundreds of queries cost a second. `scripts/recall.py` runs the same check on the inews corpus.

use std::collections::BTreeSet;
use std::path::Path;

use sou::analysis::fold_str;
use sou::analysis::grams::{TAIL_CHARS, gram_chars};
use sou::search::Tier;
use sou::{Config, Engine, SearchOptions, SyncOptions};

const SEED: &str = include_str!("../seeds/000_bbb0717566f56162.txt");

/// Small articles that exercise what the seed does not: kimonos and services, traditional
/// characters, full-width forms, Latin and digits, strings straddling jieba words.
const FIXTURES: &[(&str, &str)] = &[
    (
        "kimono.txt",
        "日本游记\n\n她穿着和服的样子很美，和服是日本的传统服装。\n",
    ),
    (
        "service.txt",
        "政务报道\n\n会议要求提升政府管理和服务水平，优化营商环境。\n",
    ),
    (
        "traditional.txt",
        "鄭州新聞\n\n鄭州高新區聚焦智慧產業，推進棚戶區改造。\n",
    ),
    (
        "fullwidth.md",
        "# 技术动态\n\n新版本ＡＰＩ支持５Ｇ网络，发布了２．０版说明（扩大试点）。\n\nCOVID-19 疫情期间，Ｗｉ－Ｆｉ 覆盖扩大。\n",
    ),
    (
        "straddle.txt",
        "科技新闻\n\n我们要提高科技水平，把案件移交警方处理。\n\n高速公路网建设加快，中国人民银行发布数据。\n",
    ),
    (
        "nested/deep/housing.txt",
        "安置房专题\n\n会议讨论了安置房建设的进度。\n\n另一段只说安置房，然后才谈到建设。\n",
    ),
];

fn workspace() -> (tempfile::TempDir, Engine) {
    let dir = tempfile::tempdir().unwrap();
    let seeds = dir.path().join("seeds");
    write(&seeds, "000_bbb0717566f56162.txt", SEED);
    for (name, text) in FIXTURES {
        write(&seeds, name, text);
    }
    let mut config = Config::new(&seeds, dir.path().join("index"));
    config.threads = 2;
    let sou = Engine::new(config);
    sou.sync(&SyncOptions::default()).unwrap();
    (dir, sou)
}

/// The engine over `dir/seeds`, indexed into `dir/index` by one thread.
fn indexed(dir: &Path) -> Engine {
    let mut config = Config::new(dir.join("seeds"), dir.join("index"));
    config.threads = 1;
    let sou = Engine::new(config);
    sou.sync(&SyncOptions::default()).unwrap();
    sou
}

fn write(seeds: &Path, name: &str, text: &str) {
    let path = seeds.join(name);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

/// (file name inside the seeds folder, line, text) of each hit, best first.
fn hits(sou: &Engine, query: &str) -> Vec<(String, u64, String)> {
    tiered_hits(sou, query)
        .into_iter()
        .map(|(hit, _)| hit)
        .collect()
}

/// The hits that hold the query as written (after folding): word search ranks them first and
/// adds passages holding its words apart. The one exception is the page's diversity: among the
/// first ten hits an article's passages past its third wait for the other articles' hits.
fn as_written_hits(sou: &Engine, query: &str) -> Vec<(String, u64, String)> {
    let all = tiered_hits(sou, query);
    for (at, ((article, line, _), tier)) in all.iter().enumerate() {
        let earlier = &all[..at];
        let waited = earlier[..at.min(10)]
            .iter()
            .filter(|((a, _, _), _)| a == article)
            .count()
            >= 3;
        assert!(
            *tier != Tier::AsWritten
                || waited
                || earlier.iter().all(|(_, t)| *t == Tier::AsWritten),
            "{query}: hits as written come first ({article}:{line})"
        );
    }
    all.into_iter()
        .filter(|(_, tier)| *tier == Tier::AsWritten)
        .map(|(hit, _)| hit)
        .collect()
}

fn tiered_hits(sou: &Engine, query: &str) -> Vec<((String, u64, String), Tier)> {
    let outcome = sou
        .search(
            query,
            &SearchOptions {
                limit: 100_000,
                ..SearchOptions::default()
            },
            None,
        )
        .unwrap();
    let seeds = sou.config().seeds.clone();
    outcome
        .results
        .hits
        .into_iter()
        .map(|hit| {
            let key = hit
                .path
                .strip_prefix(&seeds)
                .unwrap()
                .to_string_lossy()
                .into_owned();
            ((key, hit.line, hit.text), hit.tier)
        })
        .collect()
}

fn lines(hits: &[(String, u64, String)]) -> Vec<(&str, u64)> {
    hits.iter().map(|(k, l, _)| (k.as_str(), *l)).collect()
}

const SEED_NAME: &str = "000_bbb0717566f56162.txt";

#[test]
fn judged_queries_on_the_seed_article() {
    let (_dir, sou) = workspace();
    // (query, passages that must come first, in this order, by line of the seed)
    let judged: &[(&str, &[u64], usize)] = &[
        ("安置房", &[33], 1),
        ("近30年", &[13], 1),
        // On word boundaries (发展高科技、) before inside 高科技园区.
        ("高科技", &[23], 4),
        ("智慧产业 -智慧社会", &[33], 1),
        ("（扩大）", &[], 2),
    ];
    for &(query, first, total) in judged {
        let found = as_written_hits(&sou, query);
        let seed_lines: Vec<u64> = found
            .iter()
            .filter(|(k, _, _)| k == SEED_NAME)
            .map(|(_, l, _)| *l)
            .collect();
        assert_eq!(
            &seed_lines[..first.len()],
            first,
            "{query}: {:?}",
            lines(&found)
        );
        assert_eq!(seed_lines.len(), total, "{query}: {:?}", lines(&found));
    }
}

#[test]
fn the_three_smart_industry_passages_and_their_traditional_spelling() {
    let (_dir, sou) = workspace();
    for query in ["智慧产业", "智慧產業"] {
        let found = as_written_hits(&sou, query);
        let keys: BTreeSet<(&str, u64)> = lines(&found).into_iter().collect();
        let expected: BTreeSet<(&str, u64)> = [
            (SEED_NAME, 23),
            (SEED_NAME, 25),
            (SEED_NAME, 33),
            ("traditional.txt", 3),
        ]
        .into_iter()
        .collect();
        assert_eq!(keys, expected, "{query}");
    }
    // And the other way round: simplified finds traditional text.
    let found = hits(&sou, "棚户区改造");
    assert!(lines(&found).contains(&("traditional.txt", 3)));
}

#[test]
fn a_word_ranks_above_the_same_characters_straddling_words() {
    let (_dir, sou) = workspace();
    let found = hits(&sou, "和服");
    assert_eq!(lines(&found), [("kimono.txt", 3), ("service.txt", 3)]);
    let found = hits(&sou, "科技水平");
    assert_eq!(lines(&found)[0], ("straddle.txt", 3));
    // One character: standing as a word (管理|和|服务) before inside one (和服).
    let found = hits(&sou, "和");
    let files: Vec<&str> = lines(&found)
        .into_iter()
        .map(|(k, _)| k)
        .filter(|k| ["service.txt", "kimono.txt"].contains(k))
        .collect();
    assert_eq!(files, ["service.txt", "kimono.txt"]);
}

#[test]
fn literal_matches_rank_above_words_apart() {
    let (_dir, sou) = workspace();
    let found = hits(&sou, "安置房 建设");
    assert!(found.len() >= 2);
    assert!(found[0].2.contains("安置房建设"), "{:?}", lines(&found));
    let apart = found
        .iter()
        .position(|h| h.2.contains("然后才谈到建设"))
        .unwrap();
    let together = found
        .iter()
        .position(|h| h.2.contains("安置房建设"))
        .unwrap();
    assert!(together < apart);
}

#[test]
fn width_and_case_fold_both_ways() {
    let (_dir, sou) = workspace();
    for query in [
        "api",
        "ＡＰＩ",
        "5g",
        "５Ｇ",
        "2.0版",
        "wi-fi",
        "covid-19",
        "COVID",
    ] {
        let found = hits(&sou, query);
        assert!(
            lines(&found).iter().any(|(k, _)| *k == "fullwidth.md"),
            "{query}: {:?}",
            lines(&found)
        );
    }
}

#[test]
fn synonyms_find_the_other_terms_below_the_literal_ones() {
    let (dir, sou) = workspace();
    write(
        &dir.path().join("seeds"),
        "synonyms.txt",
        "自创区 自主创新示范区\n",
    );
    let found = hits(&sou, "自创区");
    let literal = found.iter().filter(|h| h.2.contains("自创区")).count();
    assert!(literal >= 1);
    assert!(
        found.len() > literal,
        "synonyms add passages: {:?}",
        lines(&found)
    );
    for (i, hit) in found.iter().enumerate() {
        if i < literal {
            assert!(
                hit.2.contains("自创区"),
                "literal first: {:?}",
                lines(&found)
            );
        } else {
            assert!(hit.2.contains("自主创新示范区") && !hit.2.contains("自创区"));
        }
    }
    // Quoted, the term is taken exactly.
    assert_eq!(hits(&sou, "\"自创区\"").len(), literal);
    // synonyms.txt is configuration, not an article.
    assert!(
        hits(&sou, "自主创新示范区")
            .iter()
            .all(|h| h.0 != "synonyms.txt")
    );
}

/// The folded gram characters of `text`, as a string: what "contains" means for sou.
fn folded(text: &str) -> String {
    gram_chars(&fold_str(text)).into_iter().collect()
}

/// Whether `needle` occurs in the folded passage-plus-tail at a place that starts in the passage.
fn starts_in(text: &str, tail: &str, needle: &str) -> bool {
    let whole: Vec<char> = folded(&format!("{text}{tail}")).chars().collect();
    let shown = folded(text).chars().count();
    let needle: Vec<char> = needle.chars().collect();
    (0..shown).any(|i| whole[i..].starts_with(&needle))
}

/// Query strings taken from the corpus itself: every 7th position, lengths 1 to 5, plus the
/// strings jieba is known to cut differently in text and query.
fn sampled_queries() -> Vec<String> {
    let mut queries: BTreeSet<String> = [
        "高科技",
        "科技园",
        "中国人",
        "高速公路",
        "移交警方",
        "交警",
        "提高科技",
        "和服",
        "服务",
        "2.0版",
        "5g",
        "(扩大)",
        "近30年",
        "自创区",
        "新征程",
        "世界一流",
        "的",
        "。",
        "年",
        "政府管理和服务",
        "郑州高新区",
        "19",
        "-",
        "a",
    ]
    .into_iter()
    .map(str::to_string)
    .collect();
    let mut texts = vec![SEED];
    texts.extend(FIXTURES.iter().map(|(_, t)| *t));
    for text in texts {
        for line in text.lines() {
            let chars: Vec<char> = line.chars().collect();
            for start in (0..chars.len()).step_by(7) {
                let len = 1 + start % 5;
                if start + len <= chars.len() {
                    let query: String = chars[start..start + len].iter().collect();
                    let query = query.trim();
                    if !query.is_empty() && !query.contains(' ') && !query.starts_with('-') {
                        queries.insert(query.to_string());
                    }
                }
            }
        }
    }
    queries.into_iter().collect()
}

#[test]
fn sou_finds_every_passage_and_file_that_contains_the_query() {
    let (dir, sou) = workspace();
    let seeds = dir.path().join("seeds");
    // The passages as sou cuts them, and the files' lines as grep reads them.
    let mut articles = Vec::new();
    for name in std::iter::once(SEED_NAME).chain(FIXTURES.iter().map(|(n, _)| *n)) {
        let mut text = std::fs::read_to_string(seeds.join(name)).unwrap();
        // A Markdown file is searched as the text a reader sees: marks are not text.
        if name.ends_with(".md") {
            text = sou::corpus::markdown_text(&text);
        }
        let passages = sou::corpus::cut_article(&text, TAIL_CHARS).passages;
        articles.push((name, text, passages));
    }
    let queries = sampled_queries();
    assert!(queries.len() > 300, "{} queries", queries.len());
    for query in &queries {
        let needle = folded(query);
        let found = as_written_hits(&sou, query);
        let found_passages: BTreeSet<(&str, u64)> = lines(&found).into_iter().collect();
        let found_files: BTreeSet<&str> = found_passages.iter().map(|(k, _)| *k).collect();

        let mut expected_passages = BTreeSet::new();
        let mut grep_files = BTreeSet::new();
        for (name, text, passages) in &articles {
            for passage in passages {
                if starts_in(&passage.text, &passage.tail, &needle) {
                    expected_passages.insert((*name, passage.line));
                }
            }
            if text.lines().any(|line| folded(line).contains(&needle)) {
                grep_files.insert(*name);
            }
        }
        assert_eq!(found_passages, expected_passages, "passages for {query:?}");
        assert!(
            grep_files.is_subset(&found_files),
            "{query:?}: grep finds {grep_files:?}, sou {found_files:?}"
        );
        // No synonyms here: every hit as written holds the string (starting in the passage,
        // perhaps running on into the next one of the same line).
        for (key, line, _) in &found {
            assert!(
                expected_passages.contains(&(key.as_str(), *line)),
                "{query:?} at {key}:{line}"
            );
        }
    }
}

#[test]
fn a_user_dictionary_changes_words_and_rebuilds_the_index() {
    let (dir, sou) = workspace();
    let seeds = dir.path().join("seeds");
    let score = |sou: &Engine| {
        let outcome = sou
            .search(
                "高科技",
                &SearchOptions {
                    limit: 100,
                    ..SearchOptions::default()
                },
                None,
            )
            .unwrap();
        let results = outcome.results;
        let hit = results
            .hits
            .iter()
            .find(|h| h.path.ends_with("straddle.txt"))
            .unwrap()
            .clone();
        hit.score
    };
    // 提高科技: jieba cuts 提高 / 科技, so 高科技 straddles words there.
    let before = score(&sou);
    // (A one-word query gets no as-written bonus: every hit is as written.)
    assert!(before < 1000.0, "{before}");
    write(&seeds, "dict.txt", "高科技\n");
    // The same process (as `sou watch` would be) picks up the new dictionary.
    let report = sou.sync(&SyncOptions::default()).unwrap();
    assert!(report.rebuilt, "a new dictionary re-indexes");
    let after = score(&sou);
    assert!(
        after >= 1000.0,
        "on word boundaries with the user word: {after}"
    );
    assert!(
        !sou.sync(&SyncOptions::default())
            .unwrap()
            .changed_anything()
    );
    // dict.txt is configuration, not an article.
    assert!(hits(&sou, "高科技").iter().all(|h| h.0 != "dict.txt"));
}

#[test]
fn of_articles_holding_the_words_apart_the_one_most_about_them_comes_first() {
    // Two articles hold 蓄电池 and 换电站 in different passages (tier 4): a short one about
    // them, and a long one that mentions 蓄电池 here and there among forty passages of other
    // things. bm25 over the whole article, normalised by its length, puts the short one first;
    // a sum of its passages' scores (what sou ranked by) favoured the long one for its length.
    let dir = tempfile::tempdir().unwrap();
    let seeds = dir.path().join("seeds");
    write(
        &seeds,
        "short.txt",
        "新能源车专题\n\n这座城市的蓄电池回收体系逐步完善。\n\n第一座换电站已经投入使用。\n",
    );
    let mut long = String::from("城市年度报告\n\n");
    for i in 0..40 {
        if i % 5 == 0 {
            long.push_str(&format!("第{i}段：工厂的蓄电池仓库完成检查。\n\n"));
        } else {
            long.push_str(&format!(
                "第{i}段：公园绿化和道路养护按计划推进，市民满意。\n\n"
            ));
        }
    }
    long.push_str("附记：郊区规划了一座换电站。\n");
    // Named to sort first, so that a tie would put it first too.
    write(&seeds, "a_long.txt", &long);
    let sou = indexed(dir.path());
    let found = tiered_hits(&sou, "蓄电池 换电站");
    let tiers: BTreeSet<Tier> = found.iter().map(|(_, tier)| *tier).collect();
    assert_eq!(
        tiers,
        BTreeSet::from([Tier::WordsInArticle]),
        "both articles hold the words apart: {found:?}"
    );
    let first = &found[0].0;
    assert_eq!(first.0, "short.txt", "{found:?}");
}

#[test]
fn of_articles_holding_the_words_apart_the_one_saying_them_most_often_comes_first() {
    // Two articles of as many passages hold 蓄电池 and 换电站 in different passages (tier 4).
    // One names 蓄电池 once in each of two passages; the other says it four times in one. An
    // article's BM25 that counts passages (what sou ranked by) favoured the first; one that
    // counts what the passages say, as BM25 over words does, favours the second.
    let dir = tempfile::tempdir().unwrap();
    let seeds = dir.path().join("seeds");
    // Named to sort first, so that a tie would put it first too.
    write(
        &seeds,
        "a_twice.txt",
        "城市报告\n\n蓄电池回收在东区试点。\n\n蓄电池仓库在西区检查。\n\n郊区规划了一座换电站。\n",
    );
    write(
        &seeds,
        "b_often.txt",
        "城市报告\n\n蓄电池、蓄电池、蓄电池：今年的蓄电池回收翻番。\n\n公园绿化按计划推进。\n\n北郊新建了一座换电站。\n",
    );
    let sou = indexed(dir.path());
    let found = tiered_hits(&sou, "蓄电池 换电站");
    let tiers: BTreeSet<Tier> = found.iter().map(|(_, tier)| *tier).collect();
    assert_eq!(
        tiers,
        BTreeSet::from([Tier::WordsInArticle]),
        "both articles hold the words apart: {found:?}"
    );
    let files: BTreeSet<&str> = found
        .iter()
        .map(|((file, _, _), _)| file.as_str())
        .collect();
    assert_eq!(files.len(), 2, "both articles are found: {found:?}");
    assert_eq!(found[0].0.0, "b_often.txt", "{found:?}");
}

#[test]
fn of_articles_holding_some_of_the_words_one_holding_more_comes_before_a_short_one_saying_one() {
    // No article holds all four words (tier 5). A short one says 换电站 three times; a long one
    // holds three of the four, once each. An article's BM25 alone favours the short one (its
    // length makes three mentions count for much; so did counting passages). Scaled by the
    // share of the query each holds, the one holding three words comes first.
    let dir = tempfile::tempdir().unwrap();
    let seeds = dir.path().join("seeds");
    write(
        &seeds,
        "a_short.txt",
        "简讯\n\n换电站排队。换电站排队。换电站排队。\n",
    );
    // Short articles about other things, so that the long one is long for this folder.
    for i in 0..10 {
        write(
            &seeds,
            &format!("o_{i}.txt"),
            &format!("其他{i}\n\n今天天气晴朗。\n"),
        );
    }
    let mut long = String::from("新能源专题\n\n");
    for i in 0..40 {
        long.push_str(&format!(
            "第{i}段：公园绿化和道路养护按计划推进，市民满意。\n\n"
        ));
    }
    long.push_str(
        "城市的蓄电池回收体系逐步完善。\n\n第一座换电站投入使用。\n\n充电桩覆盖了各个小区。\n",
    );
    write(&seeds, "b_three.txt", &long);
    let sou = indexed(dir.path());
    let found = tiered_hits(&sou, "蓄电池 换电站 充电桩 氢燃料");
    let tiers: BTreeSet<Tier> = found.iter().map(|(_, tier)| *tier).collect();
    assert_eq!(tiers, BTreeSet::from([Tier::SomeWords]), "{found:?}");
    let files: BTreeSet<&str> = found
        .iter()
        .map(|((file, _, _), _)| file.as_str())
        .collect();
    assert_eq!(files.len(), 2, "both articles are found: {found:?}");
    assert_eq!(found[0].0.0, "b_three.txt", "{found:?}");
}

#[test]
fn an_article_about_the_words_said_apart_comes_before_one_naming_them_together_in_passing() {
    // A long report names 蓄电池, 换电站 and 充电桩 once, in one passage (tier 2); a short note
    // is about them, in different passages (tier 4). While the words are rare (a passage would
    // hold all three by chance a few ten-thousandths of the time), their meeting is what was
    // meant: the report comes first. Once each is also in a dozen notes, the article about them
    // comes first: ranking by tier before the article's BM25 kept the report first, and so did
    // a band kept for words that chance would put together in a whole passage (here 0.03).
    let dir = tempfile::tempdir().unwrap();
    let seeds = dir.path().join("seeds");
    let mut report = String::from("城市年度报告\n\n");
    for i in 0..200 {
        if i == 120 {
            report.push_str("第一百二十段：旧厂区的蓄电池仓库旁边计划建一座换电站和充电桩。\n\n");
        } else {
            report.push_str(&format!(
                "第{i}段：公园绿化和道路养护按计划推进，市民满意。\n\n"
            ));
        }
    }
    // Named to sort first, so that a tie would put it first too.
    write(&seeds, "a_report.txt", &report);
    write(
        &seeds,
        "b_note.txt",
        "换电站专题\n\n蓄电池回收翻番，蓄电池租赁普及，蓄电池标准统一。\n\n第二座换电站投入使用，换电站排队变短。\n\n充电桩覆盖了各个小区，充电桩不再难找。\n",
    );
    let sou = indexed(dir.path());
    let query = "蓄电池 换电站 充电桩";
    let found = tiered_hits(&sou, query);
    let tier_of = |found: &[((String, u64, String), Tier)], file: &str| {
        found
            .iter()
            .find(|((f, _, _), _)| f == file)
            .map(|(_, tier)| *tier)
    };
    assert_eq!(
        tier_of(&found, "a_report.txt"),
        Some(Tier::WordsOnBoundaries),
        "{found:?}"
    );
    assert_eq!(
        tier_of(&found, "b_note.txt"),
        Some(Tier::WordsInArticle),
        "{found:?}"
    );
    assert_eq!(
        found[0].0.0, "a_report.txt",
        "rare words together: {found:?}"
    );
    for i in 0..12 {
        for (name, text) in [
            ("c", "今天检查了蓄电池。"),
            ("d", "今天路过换电站。"),
            ("e", "今天装好了充电桩。"),
        ] {
            write(
                &seeds,
                &format!("{name}_note{i}.txt"),
                &format!("短讯\n\n{text}\n"),
            );
        }
    }
    sou.sync(&SyncOptions::default()).unwrap();
    let found = tiered_hits(&sou, query);
    assert_eq!(
        tier_of(&found, "a_report.txt"),
        Some(Tier::WordsOnBoundaries),
        "{found:?}"
    );
    assert_eq!(
        tier_of(&found, "b_note.txt"),
        Some(Tier::WordsInArticle),
        "{found:?}"
    );
    assert_eq!(found[0].0.0, "b_note.txt", "common words: {found:?}");
}

#[test]
fn one_word_read_from_a_typo_ranks_where_it_stands_as_a_word_first() {
    // 河服 stands in no file: it is read as 和服 (same pinyin). One article says 和服's
    // characters often, inside 管理和服务 (tier 3); the other names 和服 once as a word (tier
    // 2). The band of several words does not apply to one: the article of the word comes first.
    let dir = tempfile::tempdir().unwrap();
    let seeds = dir.path().join("seeds");
    write(
        &seeds,
        "a_inside.txt",
        "物业通知\n\n加强管理和服务，管理和服务并重，管理和服务到位。\n",
    );
    write(
        &seeds,
        "b_word.txt",
        "旅行日记\n\n我们在京都看到很多游客穿着和服的样子，街道安静，寺庙古老，秋天的枫叶正红。\n",
    );
    let sou = indexed(dir.path());
    let outcome = sou.search("河服", &SearchOptions::default(), None).unwrap();
    let read: Vec<&str> = outcome
        .results
        .corrections
        .iter()
        .map(|c| c.read.as_str())
        .collect();
    assert_eq!(read, ["和服"], "{:?}", outcome.results.corrections);
    let found = tiered_hits(&sou, "河服");
    let tier_of = |file: &str| {
        found
            .iter()
            .find(|((f, _, _), _)| f == file)
            .map(|(_, tier)| *tier)
    };
    assert_eq!(
        tier_of("a_inside.txt"),
        Some(Tier::WordsInPassage),
        "{found:?}"
    );
    assert_eq!(
        tier_of("b_word.txt"),
        Some(Tier::WordsOnBoundaries),
        "{found:?}"
    );
    assert_eq!(found[0].0.0, "b_word.txt", "{found:?}");
}
