//! Taking sou's analysis to an OpenSearch cluster: the index sou creates there, the terms it
//! sends, and the HTTP client that talks to it. [`export`] sends a folder's passages, already
//! analyzed; [`search`] reads a query as a local search does and asks the cluster in its query
//! DSL.
//!
//! The cluster analyses nothing of its own: each passage's gram field is sent as the tokens
//! sou's gram contract indexes ([`crate::analysis::grams`]), escaped so that a whitespace
//! tokenizer splits them back exactly (see [`terms`]). Lucene's tokens cannot share a position
//! as tantivy's boundary markers and grams do, so a passage's stream character `i` owns two
//! positions: `2i` for the boundary marker before it (or a hole) and `2i + 1` for its gram. A
//! phrase with holes (stop words that leave a gap) then finds the same strings, on the same word
//! boundaries, as the local index does. The whitespace tokenizer and the stop filter come from
//! OpenSearch's `analysis-common` module, which every distribution ships: no plugin is needed.
//!
//! The client is `ureq` (blocking, maintained, rustls with the system's roots or a given CA): a
//! command-line tool sends one request at a time and needs no async runtime for it, and the
//! `opensearch` crate would bring a second HTTP stack (reqwest, hyper's client) for the handful
//! of endpoints sou uses (`_bulk`, `_search`, `_count`, `_refresh`, the index itself).

pub mod export;
pub(crate) mod files;
pub mod search;
pub(crate) mod terms;
mod words;

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::{Error, Result};

/// What the index's mapping says about who made it: a cluster index without it, or with another
/// layout or contract, is refused rather than written into or searched.
const LAYOUT: &str = "sou-cluster-5";

/// Tries of one request that the cluster answers 429 or 503, or that cannot reach it.
const TRIES: u32 = 8;
/// Tries of a request whose node cannot be reached.
const UNREACHABLE_TRIES: u32 = 3;
/// The wait before the second try; it doubles with each try after.
const FIRST_WAIT: Duration = Duration::from_millis(100);

/// How long a send waits for the replicas to copy its last segments before it says they are
/// still copying.
const REPLICAS_WAIT: Duration = Duration::from_secs(120);

/// The environment variables that carry credentials: never flags, which `ps` shows.
pub const API_KEY_VAR: &str = "SOU_CLUSTER_API_KEY";
/// See [`API_KEY_VAR`]: the user of basic authentication.
pub const USER_VAR: &str = "SOU_CLUSTER_USER";
/// See [`API_KEY_VAR`]: the password of basic authentication.
pub const PASSWORD_VAR: &str = "SOU_CLUSTER_PASSWORD";
/// A file whose first line is `user:password`, or `ApiKey KEY`.
pub const CREDENTIALS_FILE_VAR: &str = "SOU_CLUSTER_CREDENTIALS";
/// A PEM file of the certificate authorities to trust instead of the system's.
pub const CA_VAR: &str = "SOU_CLUSTER_CA";

/// An index on a cluster, as `http(s)://HOST:PORT/INDEX` names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// `scheme://host:port`, without a trailing slash.
    pub base: String,
    /// `host:port`: how errors name the node.
    pub node: String,
    /// The index name.
    pub index: String,
}

impl Target {
    /// Reads `http(s)://HOST[:PORT]/INDEX`.
    pub fn parse(url: &str) -> Result<Target> {
        let bad = |why: &str| Error::Query(format!("cluster address {url}: {why}"));
        let (scheme, rest) = url
            .split_once("://")
            .ok_or_else(|| bad("give it as http://HOST:PORT/INDEX"))?;
        if scheme != "http" && scheme != "https" {
            return Err(bad("only http and https are spoken"));
        }
        let (authority, path) = rest
            .split_once('/')
            .ok_or_else(|| bad("name the index after the host, as in http://HOST:9200/news"))?;
        if authority.is_empty() || authority.contains('@') {
            return Err(bad(
                "give the host alone (credentials come from the environment, see sou-index(1))",
            ));
        }
        let index = path.trim_end_matches('/');
        let valid = !index.is_empty()
            && index.len() <= 255
            && !index.starts_with(['-', '_', '+', '.'])
            && index.chars().all(|c| {
                c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '-' | '_' | '.')
            });
        if !valid {
            return Err(bad(
                "the index name must be lower-case letters, digits, '-', '_' or '.' (an OpenSearch index name)",
            ));
        }
        let node = if authority.contains(':') {
            authority.to_string()
        } else {
            format!("{authority}:{}", if scheme == "https" { 443 } else { 9200 })
        };
        Ok(Target {
            base: format!("{scheme}://{authority}"),
            node,
            index: index.to_string(),
        })
    }
}

/// A connection to one index of a cluster.
pub struct Cluster {
    agent: ureq::Agent,
    target: Target,
    authorization: Option<String>,
    /// Whether the index's replicas copy the primary's segments (OpenSearch's segment
    /// replication) rather than index each document again: learnt when the index is checked or
    /// created. Such replicas catch up a moment after a refresh, so what a send reads back of
    /// its own writes is read from the primaries, and a send ends when the replicas hold it.
    copies_segments: AtomicBool,
}

impl std::fmt::Debug for Cluster {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the credentials.
        f.debug_struct("Cluster")
            .field("target", &self.target)
            .finish()
    }
}

/// The cluster's answer to one request.
pub(crate) struct Answer {
    /// The HTTP status.
    pub status: u16,
    /// The body, parsed.
    pub body: Value,
}

impl Cluster {
    /// Prepares to talk to the index `url` names, with the credentials and certificate
    /// authorities of the environment (see [`API_KEY_VAR`] and [`CA_VAR`]). Sends nothing.
    pub fn connect(url: &str) -> Result<Cluster> {
        let target = Target::parse(url)?;
        let roots = match std::env::var_os(CA_VAR) {
            Some(path) => {
                let shown = crate::corpus::display_os(&path);
                let pem = std::fs::read(&path).map_err(|err| {
                    Error::Query(format!("{CA_VAR}={shown}: cannot read it: {err}"))
                })?;
                let certs: Vec<ureq::tls::Certificate<'static>> = ureq::tls::parse_pem(&pem)
                    .filter_map(|item| match item {
                        Ok(ureq::tls::PemItem::Certificate(cert)) => Some(cert),
                        _ => None,
                    })
                    .collect();
                if certs.is_empty() {
                    return Err(Error::Query(format!(
                        "{CA_VAR}={shown}: holds no PEM certificate"
                    )));
                }
                ureq::tls::RootCerts::new_with_certs(&certs)
            }
            None => ureq::tls::RootCerts::PlatformVerifier,
        };
        let config = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_connect(Some(Duration::from_secs(10)))
            .timeout_global(Some(Duration::from_secs(300)))
            .tls_config(ureq::tls::TlsConfig::builder().root_certs(roots).build())
            .build();
        Ok(Cluster {
            agent: ureq::Agent::with_parts(
                config,
                ureq::unversioned::transport::DefaultConnector::new(),
                NumbersAsTheyAre::default(),
            ),
            target,
            authorization: authorization()?,
            copies_segments: AtomicBool::new(false),
        })
    }

    /// The index and node.
    pub fn target(&self) -> &Target {
        &self.target
    }

    /// An error of this cluster's node.
    pub(crate) fn error(&self, reason: impl Into<String>) -> Error {
        Error::Cluster {
            node: self.target.node.clone(),
            reason: reason.into(),
        }
    }

    /// Sends `body` (JSON, or NDJSON for `_bulk`) with `method` to `path` below the index
    /// (`""` for the index itself), trying again with a growing wait while the cluster says it
    /// is too busy (429, 503) or cannot be reached. Any other status is the caller's to judge.
    pub(crate) fn call(&self, method: &str, path: &str, body: Option<&str>) -> Result<Answer> {
        let url = format!("{}/{}{path}", self.target.base, self.target.index);
        self.call_url(method, &url, path, body)
    }

    /// [`Cluster::call`] for `path` below the node rather than the index (`/_cat/…`).
    fn call_node(&self, method: &str, path: &str, body: Option<&str>) -> Result<Answer> {
        let url = format!("{}{path}", self.target.base);
        self.call_url(method, &url, path, body)
    }

    /// [`Cluster::call`] to `url`, whose part after the index or node is `path`.
    fn call_url(&self, method: &str, url: &str, path: &str, body: Option<&str>) -> Result<Answer> {
        let content_type = if path.starts_with("/_bulk") || path.starts_with("/_msearch") {
            "application/x-ndjson"
        } else {
            "application/json"
        };
        let mut wait = FIRST_WAIT;
        let mut last_reason = String::new();
        for attempt in 0..TRIES {
            if attempt > 0 {
                std::thread::sleep(wait);
                wait *= 2;
            }
            let mut request = ureq::http::Request::builder()
                .method(method)
                .uri(url)
                .header("content-type", content_type);
            if let Some(value) = &self.authorization {
                request = request.header("authorization", value);
            }
            let sent = match body {
                Some(body) => request
                    .body(body.to_string())
                    .map_err(|err| self.error(err.to_string()))
                    .and_then(|request| {
                        self.agent
                            .run(request)
                            .map_err(|err| self.error(err.to_string()))
                    }),
                None => request
                    .body(())
                    .map_err(|err| self.error(err.to_string()))
                    .and_then(|request| {
                        self.agent
                            .run(request)
                            .map_err(|err| self.error(err.to_string()))
                    }),
            };
            let mut response = match sent {
                Ok(response) => response,
                Err(Error::Cluster { reason, .. }) => {
                    last_reason = reason;
                    // A node that cannot be reached at all is said soon: a busy one is waited for.
                    if attempt + 1 >= UNREACHABLE_TRIES {
                        return Err(self.error(last_reason));
                    }
                    continue;
                }
                Err(other) => return Err(other),
            };
            let status = response.status().as_u16();
            let text = response
                .body_mut()
                .with_config()
                .limit(1 << 30)
                .read_to_string()
                .map_err(|err| self.error(format!("reading the answer: {err}")))?;
            if status == 429 || status == 503 {
                last_reason = reason_of(&serde_json::from_str(&text).unwrap_or(Value::Null))
                    .unwrap_or_else(|| format!("HTTP {status}"));
                continue;
            }
            let body = if text.trim().is_empty() {
                Value::Null
            } else {
                serde_json::from_str(&text).map_err(|_| {
                    let head: String = text.chars().take(120).collect();
                    self.error(format!("HTTP {status}, not JSON: {}", head.trim()))
                })?
            };
            return Ok(Answer { status, body });
        }
        Err(self.error(format!(
            "{last_reason} (after {TRIES} tries over {:.1} s)",
            (FIRST_WAIT * (2u32.pow(TRIES - 1))).as_secs_f32()
        )))
    }

    /// [`Cluster::call`], with a status other than 2xx an error naming the cluster's reason.
    pub(crate) fn ok(&self, method: &str, path: &str, body: Option<&Value>) -> Result<Value> {
        let text = body.map(Value::to_string);
        let answer = self.call(method, path, text.as_deref())?;
        if !(200..300).contains(&answer.status) {
            return Err(self.refused(&answer));
        }
        Ok(answer.body)
    }

    /// The error an answer that refused a request is: the cluster's reason, else the status.
    pub(crate) fn refused(&self, answer: &Answer) -> Error {
        self.error(reason_of(&answer.body).unwrap_or_else(|| format!("HTTP {}", answer.status)))
    }

    /// Whether the index exists, and if it does, whether sou made it with the contract in
    /// force: an index made by something else (or another version of sou) is an error. Says how
    /// many primary shards it has.
    pub(crate) fn check_index(&self) -> Result<Option<u32>> {
        let Some((meta, shards)) = self.index_meta()? else {
            return Ok(None);
        };
        let expected = meta_value();
        match meta {
            Some(meta) if meta == expected => Ok(Some(shards)),
            Some(meta) if is_sous(&meta) => Err(self.error(format!(
                "index {} was made by another version of sou ({} {}); export again with --rebuild to remake it",
                self.target.index,
                meta.get("layout").and_then(Value::as_str).unwrap_or("?"),
                meta.get("contract").and_then(Value::as_str).unwrap_or("?")
            ))),
            _ => Err(self.not_sous()),
        }
    }

    /// The error for an index sou did not make.
    fn not_sous(&self) -> Error {
        self.error(format!(
            "index {} is not one sou made (its mapping is not sou's): name another index, or delete it first",
            self.target.index
        ))
    }

    /// The index's `_meta.sou` (when it has one) and its number of primary shards; `None`
    /// when there is no such index. Notes whether its replicas copy segments.
    fn index_meta(&self) -> Result<Option<(Option<Value>, u32)>> {
        // From the node asked: a node that has lost the cluster manager still searches.
        let answer = self.call("GET", "?local=true", None)?;
        match answer.status {
            404 => return Ok(None),
            200..300 => {}
            _ => return Err(self.refused(&answer)),
        }
        let index = answer
            .body
            .as_object()
            .and_then(|indices| indices.values().next());
        let meta = index.and_then(|index| index.pointer("/mappings/_meta/sou"));
        let copies_segments = index
            .and_then(|index| index.pointer("/settings/index/replication/type"))
            .and_then(Value::as_str)
            .is_some_and(|kind| kind.eq_ignore_ascii_case("SEGMENT"));
        self.copies_segments
            .store(copies_segments, Ordering::Relaxed);
        let shards = index
            .and_then(|index| index.pointer("/settings/index/number_of_shards"))
            .and_then(Value::as_str)
            .and_then(|n| n.parse().ok())
            .unwrap_or(1);
        Ok(Some((meta.cloned(), shards)))
    }

    /// Creates the index with sou's settings and mapping, `replicas` copies of each of its
    /// `shards` made as it fills by segment replication (OpenSearch 2.7 and later): the
    /// documents are indexed once, on the primaries, and the replicas copy the segments as they
    /// are written, not throttled as a recovery is. Where the cluster refuses that setting (an
    /// older version, or an operator who fixed the replication type), the index is made
    /// without replicas and without refreshes, the documents indexed once again, and the
    /// replicas are left for [`Cluster::add_replicas`] after the send (OpenSearch's advice for
    /// bulk loads). Says whether the replicas are made now.
    pub(crate) fn create_index(&self, shards: u32, replicas: u32) -> Result<bool> {
        let mut body = json!({
            "settings": {
                "number_of_shards": shards,
                "number_of_replicas": replicas,
                "replication": {"type": "SEGMENT"},
                "analysis": {
                    "filter": {"sou_holes": {"type": "stop", "stopwords": [terms::HOLE]}},
                    "analyzer": {"sou_terms": {
                        "type": "custom", "tokenizer": "whitespace", "filter": ["sou_holes"]
                    }}
                },
            },
            "mappings": mapping(),
        });
        let answer = self.call("PUT", "", Some(&body.to_string()))?;
        if (200..300).contains(&answer.status) {
            self.copies_segments.store(true, Ordering::Relaxed);
            return Ok(true);
        }
        let refused_copying = answer.status == 400
            && reason_of(&answer.body).is_some_and(|reason| reason.contains("replication.type"));
        if !refused_copying {
            return Err(self.refused(&answer));
        }
        let settings = &mut body["settings"];
        if let Some(settings) = settings.as_object_mut() {
            settings.remove("replication");
        }
        settings["number_of_replicas"] = json!(0);
        settings["refresh_interval"] = json!("-1");
        self.ok("PUT", "", Some(&body))?;
        // The cluster's own default replication type is the index's.
        self.index_meta()?;
        Ok(false)
    }

    /// Gives an index that [`Cluster::create_index`] made without its replicas `replicas`
    /// of them, and refreshes back: its segments committed first, so that the replicas copy
    /// the files rather than index every document again from the translog.
    pub(crate) fn add_replicas(&self, replicas: u32) -> Result<()> {
        self.ok("POST", "/_refresh", None)?;
        self.ok("POST", "/_flush", None)?;
        let settings = json!({"index": {"refresh_interval": null, "number_of_replicas": replicas}});
        self.ok("PUT", "/_settings", Some(&settings)).map(drop)
    }

    /// Searches with `body` as a send reads back its own writes: from the primaries when the
    /// replicas copy segments and may not hold the last refresh yet.
    pub(crate) fn search_own_writes(&self, body: &Value) -> Result<Value> {
        let path = match self.copies_segments.load(Ordering::Relaxed) {
            true => "/_search?preference=_primary",
            false => "/_search",
        };
        self.ok("POST", path, Some(body))
    }

    /// Makes what was sent visible to searches on every copy: a refresh, and where the
    /// replicas copy segments, the wait until they have copied it (at most [`REPLICAS_WAIT`]).
    /// Says, when they have not, how far behind they are.
    pub(crate) fn refresh_all_copies(&self) -> Result<Option<String>> {
        self.ok("POST", "/_refresh", None)?;
        if !self.copies_segments.load(Ordering::Relaxed) {
            return Ok(None);
        }
        let index = &self.target.index;
        let path = format!("/_cat/segment_replication/{index}?format=json");
        let started = Instant::now();
        let mut pause = Duration::from_millis(10);
        loop {
            let answer = self.call_node("GET", &path, None)?;
            if !(200..300).contains(&answer.status) {
                let reason =
                    reason_of(&answer.body).unwrap_or_else(|| format!("HTTP {}", answer.status));
                return Ok(Some(format!(
                    "could not ask whether the replicas of {index} hold the last passages sent ({reason}); a search that reaches a replica may miss them for a moment"
                )));
            }
            let behind = checkpoints_behind(&answer.body);
            if behind == 0 {
                return Ok(None);
            }
            if started.elapsed() >= REPLICAS_WAIT {
                return Ok(Some(format!(
                    "the replicas of {index} are still copying the last passages sent ({behind} checkpoints behind after {} s); a search that reaches them misses those until they have",
                    REPLICAS_WAIT.as_secs()
                )));
            }
            std::thread::sleep(pause);
            pause = (pause * 2).min(Duration::from_millis(250));
        }
    }

    /// Deletes the index for a rebuild, when sou made it (with any version); an index that does
    /// not exist is not an error, one sou did not make is never deleted.
    pub(crate) fn delete_index(&self) -> Result<()> {
        match self.index_meta()? {
            None => return Ok(()),
            Some((Some(meta), _)) if is_sous(&meta) => {}
            Some(_) => return Err(self.not_sous()),
        }
        let answer = self.call("DELETE", "", None)?;
        match answer.status {
            200..300 | 404 => Ok(()),
            _ => Err(self.refused(&answer)),
        }
    }
}

/// How many checkpoints the replicas in `rows` (`_cat/segment_replication` as JSON) are behind
/// their primaries, all told.
fn checkpoints_behind(rows: &Value) -> u64 {
    rows.as_array()
        .into_iter()
        .flatten()
        .filter_map(|row| row["checkpoints_behind"].as_str()?.parse::<u64>().ok())
        .sum()
}

/// Whether `meta` (an index's `_meta.sou`) says sou made the index, in any version.
fn is_sous(meta: &Value) -> bool {
    meta.get("layout")
        .and_then(Value::as_str)
        .is_some_and(|layout| layout.starts_with("sou-cluster-"))
}

/// The `_meta.sou` of the mapping: the layout of this module and the versions of what decides
/// the terms sent (the gram contract, the cutting of passages, the analysis).
fn meta_value() -> Value {
    json!({
        "layout": LAYOUT,
        "contract": format!(
            "{}+{}+{}",
            crate::analysis::grams::version(),
            crate::corpus::passage::version(),
            crate::analysis::ANALYSIS_VERSION
        ),
    })
}

/// The mapping: one document per passage, one per article (the record of what was sent), and
/// sou's own files ([`files`]).
fn mapping() -> Value {
    let stored = json!({"type": "text", "index": false});
    json!({
        "dynamic": "strict",
        "_meta": {"sou": meta_value()},
        // The terms are indexed, never read back: kept out of the stored source, they would
        // be most of it.
        "_source": {"excludes": ["grams", "solo_words", "tail_key"]},
        "properties": {
            "kind": {"type": "keyword"},
            "key": {"type": "keyword"},
            "line": {"type": "long"},
            "unit": {"type": "integer"},
            "title": stored,
            "text": stored,
            "tail": stored,
            // Kept in the source, never indexed nor parsed.
            "origin": {"type": "object", "enabled": false},
            "text_hash": {"type": "keyword"},
            "grams": {"type": "text", "analyzer": "sou_terms"},
            // A passage's gram field length and its unit's, as the local index reads them
            // (see [`words`]): an article's BM25 is normalised by them.
            "grams_count": {"type": "long"},
            "unit_grams": {"type": "long"},
            "solo_words": {
                "type": "text", "analyzer": "sou_terms", "index_options": "docs", "norms": false
            },
            "tail_key": {"type": "keyword"},
            "hash": {"type": "keyword"},
            "size": {"type": "long"},
            "mtime": {"type": "long"},
            "passages": {"type": "long"},
            // sou's own files (see [`files`]): stored, never searched.
            "name": {"type": "keyword"},
            "version": {"type": "keyword"},
            "parts": {"type": "integer"},
            "part": {"type": "integer"},
            "blob": {"type": "binary"},
        }
    })
}

/// Runs the search `body` (sorted to a total order) page by page with `search_after`, `size`
/// hits a page, through `search`, handing each answer and its hits to `each` until it breaks or
/// a page comes back short.
pub(crate) fn pages(
    mut search: impl FnMut(Value) -> Result<Value>,
    body: Value,
    size: usize,
    mut each: impl FnMut(&Value, &[Value]) -> std::ops::ControlFlow<()>,
) -> Result<()> {
    let mut after: Option<Value> = None;
    loop {
        let mut body = body.clone();
        body["size"] = json!(size);
        if let Some(after) = after.take() {
            body["search_after"] = after;
        }
        let answer = search(body)?;
        let hits = answer
            .pointer("/hits/hits")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        if each(&answer, &hits).is_break() || hits.len() < size {
            return Ok(());
        }
        after = hits.last().map(|hit| hit["sort"].clone());
    }
}

/// Resolves a host written as an address (`127.0.0.1`, `[::1]`) by reading it, and leaves
/// names to ureq's resolver. With a timeout set, that resolver starts a thread for each
/// request, even to an address: half a millisecond of a search's few (measured on loopback).
#[derive(Debug, Default)]
struct NumbersAsTheyAre(ureq::unversioned::resolver::DefaultResolver);

impl ureq::unversioned::resolver::Resolver for NumbersAsTheyAre {
    fn resolve(
        &self,
        uri: &ureq::http::Uri,
        config: &ureq::config::Config,
        timeout: ureq::unversioned::transport::NextTimeout,
    ) -> std::result::Result<ureq::unversioned::resolver::ResolvedSocketAddrs, ureq::Error> {
        let address = uri
            .scheme()
            .zip(uri.authority())
            .and_then(|(scheme, authority)| {
                ureq::unversioned::resolver::DefaultResolver::host_and_port(scheme, authority)?
                    .parse::<std::net::SocketAddr>()
                    .ok()
            });
        match address {
            Some(address) => {
                let mut addresses = self.empty();
                addresses.push(address);
                Ok(addresses)
            }
            None => self.0.resolve(uri, config, timeout),
        }
    }
}

/// The reason an error answer gives, in one line: `type: reason`, from its root cause.
pub(crate) fn reason_of(body: &Value) -> Option<String> {
    let error = body.get("error")?;
    if let Some(text) = error.as_str() {
        return Some(text.to_string());
    }
    let cause = error
        .pointer("/root_cause/0")
        .filter(|cause| cause.get("reason").is_some())
        .unwrap_or(error);
    let kind = cause.get("type").and_then(Value::as_str).unwrap_or("error");
    let reason = cause.get("reason").and_then(Value::as_str).unwrap_or("");
    Some(format!("{kind}: {reason}").replace('\n', " "))
}

/// The `authorization` header the environment gives: an API key, a user and password, or a
/// credentials file (see [`API_KEY_VAR`]).
fn authorization() -> Result<Option<String>> {
    authorization_from(&|name| std::env::var_os(name))
}

/// [`authorization`], from the variables `var` gives.
fn authorization_from(var: &dyn Fn(&str) -> Option<std::ffi::OsString>) -> Result<Option<String>> {
    use base64::Engine as _;
    let text = |name: &str| {
        var(name)
            .and_then(|value| value.into_string().ok())
            .filter(|value| !value.is_empty())
    };
    let basic = |user: &str, password: &str| {
        let token = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"));
        format!("Basic {token}")
    };
    if let Some(key) = text(API_KEY_VAR) {
        return Ok(Some(format!("ApiKey {key}")));
    }
    if let Some(user) = text(USER_VAR) {
        let password = text(PASSWORD_VAR).unwrap_or_default();
        return Ok(Some(basic(&user, &password)));
    }
    let Some(path) = var(CREDENTIALS_FILE_VAR) else {
        return Ok(None);
    };
    let shown = crate::corpus::display_os(&path);
    let text = std::fs::read_to_string(&path)
        .map_err(|err| Error::Query(format!("{CREDENTIALS_FILE_VAR}={shown}: {err}")))?;
    let line = text.lines().next().unwrap_or("").trim();
    if let Some(key) = line.strip_prefix("ApiKey ") {
        return Ok(Some(format!("ApiKey {}", key.trim())));
    }
    match line.split_once(':') {
        Some((user, password)) if !user.is_empty() => Ok(Some(basic(user, password))),
        _ => Err(Error::Query(format!(
            "{CREDENTIALS_FILE_VAR}={shown}: its first line is neither user:password nor ApiKey KEY"
        ))),
    }
}

/// The stand-in's half of an HTTP exchange, shared with the tests in `tests/`.
#[cfg(test)]
#[path = "../../tests/common/stand_in.rs"]
mod stand_in;

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::cluster::stand_in as http;

    /// A client of the index `news` on a stand-in cluster that answers each request with the
    /// next of `answers` (status, body), and the stand-in, which ends with the requests seen
    /// (request line, body), in order.
    pub(crate) fn news_on_stand_in(
        answers: Vec<(&'static str, String)>,
    ) -> (Cluster, std::thread::JoinHandle<Vec<(String, String)>>) {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let server = stand_in(listener, answers);
        let cluster = Cluster::connect(&format!("http://127.0.0.1:{port}/news")).unwrap();
        (cluster, server)
    }

    /// Answers each request on `listener` with the next of `answers`; the requests seen.
    fn stand_in(
        listener: std::net::TcpListener,
        answers: Vec<(&'static str, String)>,
    ) -> std::thread::JoinHandle<Vec<(String, String)>> {
        std::thread::spawn(move || {
            let mut seen = Vec::new();
            for (status, body) in answers {
                let (mut stream, _) = listener.accept().unwrap();
                let (head, request) = http::read_request(&mut stream);
                let line = head.lines().next().unwrap_or("").to_string();
                seen.push((line, String::from_utf8_lossy(&request).into_owned()));
                http::write_answer(&mut stream, status, &body);
            }
            seen
        })
    }

    /// The paths of `seen`'s request lines.
    pub(crate) fn paths(seen: &[(String, String)]) -> Vec<&str> {
        seen.iter()
            .map(|(line, _)| line.split(' ').nth(1).unwrap_or(""))
            .collect()
    }

    /// What a send asks of `cluster` about its copies: to create the index (one shard, one
    /// replica), to read back its own writes, to make them visible on every copy. Whether the
    /// replicas were made with the index, and the requests `server` saw.
    fn a_send_on(
        cluster: Cluster,
        server: std::thread::JoinHandle<Vec<(String, String)>>,
    ) -> (bool, Vec<(String, String)>) {
        let replicas_now = cluster.create_index(1, 1).unwrap();
        cluster.search_own_writes(&json!({"size": 0})).unwrap();
        assert_eq!(cluster.refresh_all_copies().unwrap(), None);
        (replicas_now, server.join().unwrap())
    }

    #[test]
    fn an_index_copies_segments_where_the_cluster_allows_it() {
        let (cluster, server) = news_on_stand_in(vec![
            ("200 OK", r#"{"acknowledged":true}"#.to_string()),
            ("200 OK", r#"{"hits":{"hits":[]}}"#.to_string()),
            ("200 OK", r#"{}"#.to_string()),
            (
                "200 OK",
                r#"[{"checkpoints_behind":"2"},{"checkpoints_behind":"0"}]"#.to_string(),
            ),
            (
                "200 OK",
                r#"[{"checkpoints_behind":"0"},{"checkpoints_behind":"0"}]"#.to_string(),
            ),
        ]);
        let (replicas_now, seen) = a_send_on(cluster, server);
        assert!(replicas_now);
        assert_eq!(
            paths(&seen),
            [
                "/news",
                "/news/_search?preference=_primary",
                "/news/_refresh",
                "/_cat/segment_replication/news?format=json",
                "/_cat/segment_replication/news?format=json",
            ]
        );
        let settings: Value = serde_json::from_str(&seen[0].1).unwrap();
        assert_eq!(settings["settings"]["replication"]["type"], "SEGMENT");
        assert_eq!(settings["settings"]["number_of_replicas"], 1);
    }

    #[test]
    fn where_the_cluster_refuses_copying_segments_replicas_come_after_the_send() {
        let refused = r#"{"error":{"type":"settings_exception","reason":"unknown setting [index.replication.type] please check that any required plugins are installed"},"status":400}"#;
        let made = r#"{"news":{"mappings":{},"settings":{"index":{"number_of_shards":"1","replication":{"type":"DOCUMENT"}}}}}"#;
        let (cluster, server) = news_on_stand_in(vec![
            ("400 Bad Request", refused.to_string()),
            ("200 OK", r#"{"acknowledged":true}"#.to_string()),
            ("200 OK", made.to_string()),
            ("200 OK", r#"{"hits":{"hits":[]}}"#.to_string()),
            ("200 OK", r#"{}"#.to_string()),
        ]);
        let (replicas_now, seen) = a_send_on(cluster, server);
        assert!(!replicas_now);
        assert_eq!(
            paths(&seen),
            [
                "/news",
                "/news",
                "/news?local=true",
                "/news/_search",
                "/news/_refresh"
            ]
        );
        let settings: Value = serde_json::from_str(&seen[1].1).unwrap();
        assert_eq!(settings["settings"]["number_of_replicas"], 0);
        assert_eq!(settings["settings"]["refresh_interval"], "-1");
        assert!(settings["settings"].get("replication").is_none());
    }

    #[test]
    fn replicas_behind_all_told() {
        let rows = json!([{"checkpoints_behind": "2"}, {"checkpoints_behind": "3"}, {}]);
        assert_eq!(checkpoints_behind(&rows), 5);
        assert_eq!(checkpoints_behind(&json!([])), 0);
    }

    #[test]
    fn addresses_are_read_and_names_resolved() {
        use ureq::unversioned::resolver::Resolver;
        let resolver = NumbersAsTheyAre::default();
        let config = ureq::config::Config::default();
        let resolve = |uri: &str| {
            let timeout = ureq::unversioned::transport::NextTimeout {
                after: Duration::from_secs(5).into(),
                reason: ureq::Timeout::Resolve,
                per_read: None,
                per_write: None,
            };
            let uri: ureq::http::Uri = uri.parse().unwrap();
            resolver
                .resolve(&uri, &config, timeout)
                .map(|addresses| addresses.iter().map(|a| a.to_string()).collect::<Vec<_>>())
        };
        assert_eq!(
            resolve("http://127.0.0.1:9250/news").unwrap(),
            ["127.0.0.1:9250"]
        );
        assert_eq!(resolve("https://[::1]/news").unwrap(), ["[::1]:443"]);
        // A name goes to ureq's resolver (which finds localhost without a network).
        assert!(!resolve("http://localhost:9250/news").unwrap().is_empty());
    }

    #[test]
    fn cluster_addresses_name_a_host_and_an_index() {
        let target = Target::parse("http://127.0.0.1:9200/news").unwrap();
        assert_eq!(target.base, "http://127.0.0.1:9200");
        assert_eq!(target.node, "127.0.0.1:9200");
        assert_eq!(target.index, "news");
        assert_eq!(
            Target::parse("https://search.example/news/").unwrap().node,
            "search.example:443"
        );
        for bad in [
            "127.0.0.1:9200/news",
            "ftp://host/news",
            "http://host:9200",
            "http://host:9200/",
            "http://host:9200/News",
            "http://user:pw@host:9200/news",
            "http://host:9200/_all",
        ] {
            let err = Target::parse(bad).unwrap_err().to_string();
            assert!(err.contains(bad), "{bad}: {err}");
        }
    }

    #[test]
    fn credentials_come_from_the_environment_or_a_file() {
        let with = |vars: &[(&str, &str)]| {
            let vars: Vec<(String, String)> = vars
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect();
            authorization_from(&move |name| {
                vars.iter()
                    .find(|(k, _)| k == name)
                    .map(|(_, v)| std::ffi::OsString::from(v))
            })
        };
        assert_eq!(with(&[]).unwrap(), None);
        assert_eq!(with(&[(API_KEY_VAR, "k1")]).unwrap().unwrap(), "ApiKey k1");
        // base64("admin:s3cret")
        let basic = "Basic YWRtaW46czNjcmV0";
        let user = [(USER_VAR, "admin"), (PASSWORD_VAR, "s3cret")];
        assert_eq!(with(&user).unwrap().unwrap(), basic);
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("credentials");
        let path = file.to_str().unwrap();
        std::fs::write(&file, "admin:s3cret\n").unwrap();
        assert_eq!(
            with(&[(CREDENTIALS_FILE_VAR, path)]).unwrap().unwrap(),
            basic
        );
        std::fs::write(&file, "ApiKey k2\n").unwrap();
        assert_eq!(
            with(&[(CREDENTIALS_FILE_VAR, path)]).unwrap().unwrap(),
            "ApiKey k2"
        );
        std::fs::write(&file, "nothing useful").unwrap();
        let err = with(&[(CREDENTIALS_FILE_VAR, path)])
            .unwrap_err()
            .to_string();
        assert!(
            err.contains(CREDENTIALS_FILE_VAR) && err.contains(path),
            "{err}"
        );
        // The key first, whatever else is set.
        let both = [(API_KEY_VAR, "k3"), (USER_VAR, "admin")];
        assert_eq!(with(&both).unwrap().unwrap(), "ApiKey k3");
    }

    #[test]
    fn an_error_answer_is_said_in_one_line() {
        let body = json!({"error": {"root_cause": [{"type": "index_not_found_exception", "reason": "no such index [x]"}], "type": "x", "reason": "y"}, "status": 404});
        assert_eq!(
            reason_of(&body).unwrap(),
            "index_not_found_exception: no such index [x]"
        );
        assert_eq!(reason_of(&json!({"ok": true})), None);
    }
}
