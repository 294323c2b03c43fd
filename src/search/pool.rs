//! The best hits of a search, and the order they are shown in.
//!
//! Candidates are kept twice: the best `size` overall, and the best `size` with at most
//! [`PER_ARTICLE`] passages of one article. The page is the union in rank order, except that
//! among its first [`PAGE_HEAD`] hits an article's passages past the third wait until the other
//! articles' hits have filled those places (or run out): one article does not fill the screen
//! while others match as well, whatever tiers its passages rank in. Ties are broken by article
//! key, then line, so the order is exact for any number of ties. A text found in several
//! passages (the same article in several files) takes one place: its best.

use std::collections::{BTreeSet, HashMap};

use tantivy::DocAddress;

/// At most this many passages of one article among the first [`PAGE_HEAD`] hits while other
/// articles have hits.
pub(crate) const PER_ARTICLE: usize = 3;

/// The hits a reader sees first (a screen of text output): the places [`PER_ARTICLE`] holds for.
pub(crate) const PAGE_HEAD: usize = 10;

/// How an article is known: its key (path inside the seeds folder), or, inside one segment,
/// the ordinal of its key, which sorts as the key does and costs nothing to read.
pub(crate) trait Article: Ord + Clone + std::hash::Hash + std::fmt::Debug {}

impl<A: Ord + Clone + std::hash::Hash + std::fmt::Debug> Article for A {}

/// One candidate hit: its sort key, and where it is.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Candidate<K, A = String> {
    /// Smaller is better.
    pub key: K,
    /// The article.
    pub article: A,
    /// 1-based line where the passage starts.
    pub line: u64,
    /// Where the passage is.
    pub address: DocAddress,
    /// The hash of the passage's text.
    pub text: u64,
    /// Other articles where a passage of the same text matched as well (sorted): filled by
    /// [`Pools::into_page`].
    pub also: Vec<A>,
}

impl<K, A> Candidate<K, A> {
    /// The same candidate with its articles known another way.
    fn map_articles<B>(self, article: &mut impl FnMut(A) -> B) -> Candidate<K, B> {
        Candidate {
            key: self.key,
            article: article(self.article),
            line: self.line,
            address: self.address,
            text: self.text,
            also: self.also.into_iter().map(&mut *article).collect(),
        }
    }
}

/// Candidates in order, one per text.
#[derive(Debug)]
struct Pool<K: Ord, A: Article> {
    sorted: BTreeSet<Candidate<K, A>>,
    by_text: HashMap<u64, Candidate<K, A>>,
    /// For each text that matched in several articles, the articles of its twins that made way
    /// or were turned away.
    twins: HashMap<u64, Vec<A>>,
}

impl<K: Ord + Clone, A: Article> Pool<K, A> {
    fn new() -> Self {
        Pool {
            sorted: BTreeSet::new(),
            by_text: HashMap::new(),
            twins: HashMap::new(),
        }
    }

    fn len(&self) -> usize {
        self.sorted.len()
    }

    fn worst(&self) -> Option<&Candidate<K, A>> {
        self.sorted.last()
    }

    /// Whether the pool holds a candidate of the same text that is not worse; if so, the
    /// candidate's article is noted as the twin's.
    fn has_better_twin(&mut self, candidate: &Candidate<K, A>) -> bool {
        let better = self
            .by_text
            .get(&candidate.text)
            .is_some_and(|twin| twin <= candidate);
        if better {
            self.note_twin(candidate);
        }
        better
    }

    fn note_twin(&mut self, twin: &Candidate<K, A>) {
        let articles = self.twins.entry(twin.text).or_default();
        articles.push(twin.article.clone());
        articles.extend(twin.also.iter().cloned());
    }

    /// Inserts `candidate`, in place of a worse one of the same text, which it returns.
    fn insert(&mut self, candidate: Candidate<K, A>) -> Option<Candidate<K, A>> {
        let twin = self.by_text.insert(candidate.text, candidate.clone());
        if let Some(twin) = &twin {
            self.sorted.remove(twin);
            self.note_twin(twin);
        }
        self.sorted.insert(candidate);
        twin
    }

    fn remove(&mut self, candidate: &Candidate<K, A>) {
        if self.sorted.remove(candidate) && self.by_text.get(&candidate.text) == Some(candidate) {
            self.by_text.remove(&candidate.text);
        }
    }

    fn pop_worst(&mut self) -> Option<Candidate<K, A>> {
        let worst = self.sorted.pop_last()?;
        if self.by_text.get(&worst.text) == Some(&worst) {
            self.by_text.remove(&worst.text);
        }
        Some(worst)
    }

    fn map_articles<B: Article>(self, article: &mut impl FnMut(A) -> B) -> Pool<K, B> {
        let mut mapped = Pool::new();
        for candidate in self.sorted {
            mapped.insert(candidate.map_articles(article));
        }
        mapped.twins = self
            .twins
            .into_iter()
            .map(|(text, articles)| (text, articles.into_iter().map(&mut *article).collect()))
            .collect();
        mapped
    }
}

/// The best candidates, overall and capped per article.
#[derive(Debug)]
pub(crate) struct Pools<K: Ord + Clone, A: Article = String> {
    size: usize,
    overall: Pool<K, A>,
    capped: Pool<K, A>,
    /// The capped pool's candidates of each article, best first.
    capped_by_article: HashMap<A, Vec<Candidate<K, A>>>,
}

impl<K: Ord + Clone, A: Article> Pools<K, A> {
    /// Pools of `size` candidates each.
    pub fn new(size: usize) -> Self {
        Pools {
            size,
            overall: Pool::new(),
            capped: Pool::new(),
            capped_by_article: HashMap::new(),
        }
    }

    /// Whether a candidate with `key` could enter either pool (ties on the key count as yes:
    /// the article and line decide them).
    pub fn admits(&self, key: &K) -> bool {
        let worse_than = |pool: &Pool<K, A>| {
            pool.len() >= self.size && pool.worst().is_some_and(|worst| *key > worst.key)
        };
        self.size > 0 && !(worse_than(&self.overall) && worse_than(&self.capped))
    }

    /// The worst key either pool holds, once both are full: nothing worse can enter.
    pub fn threshold(&self) -> Option<&K> {
        if self.overall.len() < self.size || self.capped.len() < self.size {
            return None;
        }
        let overall = &self.overall.worst()?.key;
        let capped = &self.capped.worst()?.key;
        Some(overall.max(capped))
    }

    /// Offers a candidate to both pools.
    pub fn offer(&mut self, candidate: Candidate<K, A>) {
        let better_than = |pool: &Pool<K, A>| {
            pool.len() < self.size || pool.worst().is_some_and(|worst| candidate < *worst)
        };
        if self.size == 0 || !(better_than(&self.overall) || better_than(&self.capped)) {
            return;
        }
        self.offer_capped(candidate.clone());
        if self.overall.has_better_twin(&candidate) {
            return;
        }
        self.overall.insert(candidate);
        if self.overall.len() > self.size {
            self.overall.pop_worst();
        }
    }

    fn offer_capped(&mut self, candidate: Candidate<K, A>) {
        if self.capped.has_better_twin(&candidate)
            || self.capped.len() >= self.size
                && self.capped.worst().is_some_and(|worst| candidate > *worst)
        {
            return;
        }
        let of_article = self
            .capped_by_article
            .entry(candidate.article.clone())
            .or_default();
        if of_article.len() >= PER_ARTICLE {
            // The article's worst makes way, or the candidate does not enter.
            match of_article.last() {
                Some(worst) if candidate < *worst => {
                    if let Some(worst) = of_article.pop() {
                        self.capped.remove(&worst);
                    }
                }
                _ => return,
            }
        }
        let at = of_article.partition_point(|c| *c < candidate);
        of_article.insert(at, candidate.clone());
        let mut left = self.capped.insert(candidate);
        if self.capped.len() > self.size {
            left = left.or(self.capped.pop_worst());
        }
        if let Some(left) = left
            && let Some(of_article) = self.capped_by_article.get_mut(&left.article)
        {
            of_article.retain(|c| *c != left);
        }
    }

    /// Every article the pools name, candidates and twins.
    pub fn articles(&self) -> Vec<A> {
        let mut articles = Vec::new();
        for pool in [&self.overall, &self.capped] {
            articles.extend(pool.sorted.iter().map(|c| c.article.clone()));
            articles.extend(pool.twins.values().flatten().cloned());
        }
        articles
    }

    /// The same pools with their articles known another way (segment ordinals as keys).
    pub fn map_articles<B: Article>(self, mut article: impl FnMut(A) -> B) -> Pools<K, B> {
        let mut mapped = Pools {
            size: self.size,
            overall: self.overall.map_articles(&mut article),
            capped: self.capped.map_articles(&mut article),
            capped_by_article: HashMap::new(),
        };
        for candidate in &mapped.capped.sorted {
            mapped
                .capped_by_article
                .entry(candidate.article.clone())
                .or_default()
                .push(candidate.clone());
        }
        mapped
    }

    /// Offers every candidate of `other` (pools of the same size, such as a segment's).
    pub fn absorb(&mut self, other: Pools<K, A>) {
        for pool in [other.capped, other.overall] {
            for (text, articles) in pool.twins {
                self.overall.twins.entry(text).or_default().extend(articles);
            }
            for candidate in pool.sorted {
                if self.admits(&candidate.key) {
                    self.offer(candidate);
                }
            }
        }
    }

    /// The hits in the order they are shown (see the module documentation), `size` at most.
    pub fn into_page(self) -> Vec<Candidate<K, A>> {
        let mut best_of_text: HashMap<u64, Candidate<K, A>> = HashMap::new();
        for candidate in self.capped.sorted.into_iter().chain(self.overall.sorted) {
            match best_of_text.get(&candidate.text) {
                Some(best) if *best <= candidate => {}
                _ => {
                    best_of_text.insert(candidate.text, candidate);
                }
            }
        }
        let mut twins = self.overall.twins;
        for (text, articles) in self.capped.twins {
            twins.entry(text).or_default().extend(articles);
        }
        let mut ranked: Vec<Candidate<K, A>> = best_of_text.into_values().collect();
        for candidate in &mut ranked {
            if let Some(articles) = twins.get(&candidate.text) {
                let mut also: Vec<A> = articles
                    .iter()
                    .filter(|a| **a != candidate.article)
                    .cloned()
                    .collect();
                also.sort();
                also.dedup();
                candidate.also = also;
            }
        }
        ranked.sort();
        let head = self.size.min(PAGE_HEAD);
        let mut page = Vec::with_capacity(ranked.len());
        let mut waiting = Vec::new();
        let mut shown: HashMap<A, usize> = HashMap::new();
        let mut rest = ranked.into_iter();
        while page.len() < head {
            let Some(candidate) = rest.next() else { break };
            let count = shown.entry(candidate.article.clone()).or_default();
            if *count < PER_ARTICLE {
                *count += 1;
                page.push(candidate);
            } else {
                waiting.push(candidate);
            }
        }
        // What waited ranks above everything not yet looked at.
        page.extend(waiting);
        page.extend(rest);
        page.truncate(self.size);
        page
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A candidate whose text is its own: no two share one.
    fn candidate(key: u32, article: &str, line: u64) -> Candidate<u32> {
        let doc = key * 100 + line as u32;
        let text = xxhash_rust::xxh3::xxh3_64(format!("{article}:{line}:{key}").as_bytes());
        Candidate {
            key,
            article: article.into(),
            line,
            address: DocAddress::new(0, doc),
            text,
            also: Vec::new(),
        }
    }

    fn articles(page: &[Candidate<u32>]) -> String {
        page.iter().map(|c| c.article.as_str()).collect()
    }

    #[test]
    fn one_article_does_not_fill_the_first_ten_while_others_match() {
        let mut pools = Pools::new(14);
        // Article a has the six best passages; b and c follow; d's four and e's one come after
        // all of them, as weaker hits (a lower tier) would.
        for line in 0..6 {
            pools.offer(candidate(line as u32, "a", line));
        }
        pools.offer(candidate(7, "b", 0));
        pools.offer(candidate(8, "c", 0));
        for line in 0..4 {
            pools.offer(candidate(10 + line as u32, "d", line));
        }
        pools.offer(candidate(20, "e", 0));
        let page = pools.into_page();
        // Three of a, b, c, three of d, e; then what waited, in rank order.
        assert_eq!(articles(&page), "aaabcddde".to_owned() + "aaad");
        assert_eq!(
            page[9].line, 3,
            "a's fourth passage waits, then comes in order"
        );
        assert_eq!(page[11].line, 5);
    }

    #[test]
    fn past_the_first_ten_hits_come_in_rank_order() {
        let mut pools = Pools::new(20);
        for line in 0..8 {
            pools.offer(candidate(line as u32, "a", line));
        }
        for (key, article) in [(10, "b"), (11, "c"), (12, "d"), (13, "e"), (14, "f")] {
            pools.offer(candidate(key, article, 0));
        }
        for line in 0..4 {
            pools.offer(candidate(15 + line as u32, "g", line));
        }
        // Three of a, b to f, two of g fill the first ten; then a's five that waited and g's
        // last two, in rank order.
        assert_eq!(articles(&pools.into_page()), "aaabcdefggaaaaagg");
    }

    #[test]
    fn a_lone_article_still_fills_the_page() {
        let mut pools = Pools::new(5);
        for line in 0..8 {
            pools.offer(candidate(line as u32, "a", line));
        }
        let lines: Vec<u64> = pools.into_page().iter().map(|c| c.line).collect();
        assert_eq!(lines, [0, 1, 2, 3, 4]);
    }

    #[test]
    fn enough_other_articles_survive_a_dominant_one() {
        // Forty passages of article a outrank everything; the pools keep 10, and b, c, d still
        // reach the page.
        let mut pools = Pools::new(10);
        for line in 0..40 {
            pools.offer(candidate(1, "a", line));
        }
        for article in ["b", "c", "d"] {
            pools.offer(candidate(5, article, 0));
        }
        assert_eq!(articles(&pools.into_page()), "aaabcdaaaa");
    }

    #[test]
    fn ties_go_to_the_earlier_article_and_line_and_segments_merge_exactly() {
        let mut one = Pools::new(3);
        let mut two = Pools::new(3);
        for (pools, articles) in [(&mut one, ["z", "m"]), (&mut two, ["b", "a"])] {
            for article in articles {
                pools.offer(candidate(7, article, 2));
                pools.offer(candidate(7, article, 1));
            }
        }
        let mut all = Pools::new(3);
        all.absorb(one);
        all.absorb(two);
        let page: Vec<(String, u64)> = all
            .into_page()
            .into_iter()
            .map(|c| (c.article, c.line))
            .collect();
        assert_eq!(page, [("a".into(), 1), ("a".into(), 2), ("b".into(), 1)]);
    }

    #[test]
    fn a_text_in_several_files_takes_one_place_its_best() {
        let mut pools = Pools::new(3);
        for (key, article) in [(5, "copy2"), (5, "copy1"), (9, "copy3"), (6, "other")] {
            pools.offer(Candidate {
                text: if article == "other" { 2 } else { 1 },
                ..candidate(key, article, 1)
            });
        }
        let page = pools.into_page();
        let articles: Vec<&str> = page.iter().map(|c| c.article.as_str()).collect();
        assert_eq!(articles, ["copy1", "other"]);
        assert_eq!(page[0].also, ["copy2", "copy3"]);
        assert!(page[1].also.is_empty());
    }

    #[test]
    fn segment_ordinals_become_keys_with_their_twins() {
        let mut pools: Pools<u32, u64> = Pools::new(3);
        for (key, article, text) in [(5, 2, 1), (5, 1, 1), (6, 0, 2)] {
            pools.offer(Candidate {
                key,
                article,
                line: 1,
                address: DocAddress::new(0, article as u32),
                text,
                also: Vec::new(),
            });
        }
        let names = ["x.txt", "b.txt", "c.txt"];
        let page = pools
            .map_articles(|ord| names[ord as usize].to_string())
            .into_page();
        let articles: Vec<&str> = page.iter().map(|c| c.article.as_str()).collect();
        assert_eq!(articles, ["b.txt", "x.txt"]);
        assert_eq!(page[0].also, ["c.txt"]);
    }

    #[test]
    fn admits_only_what_could_enter() {
        let mut pools = Pools::new(2);
        assert!(pools.admits(&100));
        pools.offer(candidate(1, "a", 1));
        pools.offer(candidate(2, "b", 1));
        assert!(pools.admits(&2) && !pools.admits(&3));
        assert_eq!(pools.threshold(), Some(&2));
        assert!(!Pools::<u32>::new(0).admits(&0));
    }
}
