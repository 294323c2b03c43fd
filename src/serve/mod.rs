//! `sou serve`: the HTTP front end. One process keeps the index in step with the folder (the
//! watch of [`crate::watch`], on a thread of its own) and answers HTTP from a [`Session`] on the
//! last commit that ends a sync, so a sync never blocks a search and a search never sees half a
//! build. It owns the routes, the limits that keep one client from exhausting the server, and
//! the page (HTML, CSS and JavaScript embedded in the binary, in `page/`).
//!
//! Routes: `/` (the page), `/api/search` (the JSON of `sou search --json`, with paging),
//! `/api/article` (an indexed article's passages, with a query's matches), `/api/stats` (the
//! JSON of `sou stats --json`). Nothing writes. Everything the page shows comes from files
//! anyone may have written: the page puts text in the document as text, never as markup, and
//! every response forbids inline script (Content-Security-Policy).

use std::net::SocketAddr;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, Method, Request, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::Serialize;

use crate::render::json::{JsonArticle, JsonResults, JsonStats};
use crate::search::{SearchOptions, Session};
use crate::watch::WatchEvent;
use crate::{Engine, Error, Result};

/// The longest query accepted, in characters.
pub const MAX_QUERY_CHARS: usize = 256;
/// The most hits one request returns.
pub const MAX_HITS: usize = 100;
/// The deepest a page of hits may start: past it, a query is too vague to page through.
pub const MAX_OFFSET: usize = 1000;
/// The most `glob` parameters of one search.
const MAX_GLOBS: usize = 16;
/// How long a request may wait for and run its search before it is answered 503.
const SEARCH_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a client may take to send a request's headers.
const HEADER_TIMEOUT: Duration = Duration::from_secs(10);
/// The longest one connection is kept, however busy.
const CONNECTION_LIFETIME: Duration = Duration::from_secs(300);
/// Connections served at once; more wait in the listen backlog.
const MAX_CONNECTIONS: usize = 512;
/// The most bytes of a request's line and headers.
const MAX_HEADER_BYTES: usize = 16 * 1024;

/// What every response carries: no script but the page's own file, nothing fetched from
/// elsewhere, no framing by other sites.
const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; \
    style-src 'self'; img-src 'self'; connect-src 'self'; base-uri 'none'; \
    form-action 'self'; frame-ancestors 'none'";

const PAGE_HTML: &str = include_str!("page/index.html");
const PAGE_JS: &str = include_str!("page/app.js");
const PAGE_CSS: &str = include_str!("page/app.css");

/// What the server reports as it runs.
#[derive(Debug)]
pub enum ServeEvent {
    /// Listening at this address.
    Listening(SocketAddr),
    /// The watch that keeps the index in step reported this.
    Watch(WatchEvent),
}

/// Serves `engine`'s folder at `address` until `stop` is set, reporting to `report`. Fails when
/// the seeds folder cannot be read or the address cannot be listened on; ends with
/// [`Error::Interrupted`] once stopped.
pub fn serve(
    engine: Engine,
    address: SocketAddr,
    stop: &'static AtomicBool,
    report: &mut dyn FnMut(ServeEvent),
) -> Result<()> {
    crate::corpus::check_seeds(&engine.config().seeds)?;
    let listen_error = |err: std::io::Error| Error::Listen {
        address,
        reason: err.to_string(),
    };
    let listener = std::net::TcpListener::bind(address).map_err(listen_error)?;
    listener.set_nonblocking(true).map_err(listen_error)?;
    let bound = listener.local_addr().map_err(listen_error)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("sou-serve")
        .build()
        .map_err(listen_error)?;
    let listener = {
        let _entered = runtime.enter();
        tokio::net::TcpListener::from_std(listener).map_err(listen_error)?
    };
    let searches = std::thread::available_parallelism().map_or(2, |n| n.get()) * 2;
    let shared = Arc::new(Shared {
        engine: Arc::new(engine),
        current: Mutex::new(None),
        searches: tokio::sync::Semaphore::new(searches),
        loopback_only: address.ip().is_loopback(),
    });
    let (events, received) = std::sync::mpsc::channel::<WatchEvent>();
    let watcher = {
        let shared = shared.clone();
        std::thread::Builder::new()
            .name("sou-watch".into())
            .spawn(move || {
                shared.engine.watch(stop, &mut |event| {
                    if matches!(event, WatchEvent::Synced(Ok(_))) {
                        // Opened here, off the requests' path, as soon as a sync commits.
                        let _ = shared.session();
                    }
                    let _ = events.send(event);
                })
            })
            .map_err(listen_error)?
    };
    let (shutdown, shutting_down) = tokio::sync::watch::channel(false);
    runtime.spawn(accept(listener, router(shared), shutting_down));
    report(ServeEvent::Listening(bound));
    while !stop.load(Ordering::Relaxed) {
        match received.recv_timeout(Duration::from_millis(100)) {
            Ok(event) => report(ServeEvent::Watch(event)),
            Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {}
            // The watch ended by itself: it could not go on.
            Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => break,
        }
    }
    let stopped = stop.swap(true, Ordering::Relaxed);
    let _ = shutdown.send(true);
    let watched = watcher.join();
    for event in received.try_iter() {
        report(ServeEvent::Watch(event));
    }
    runtime.shutdown_timeout(Duration::from_millis(300));
    match watched {
        Ok(Err(err)) if !stopped => Err(err),
        _ => Err(Error::Interrupted),
    }
}

/// What the requests share.
struct Shared {
    engine: Arc<Engine>,
    /// The session answering searches, and the commit it is on.
    current: Mutex<Option<(CommitId, Arc<Session>)>>,
    /// Searches running at once; more wait (up to [`SEARCH_TIMEOUT`]).
    searches: tokio::sync::Semaphore,
    /// Listening on a loopback address: a request must name one as its host, so that a web
    /// page elsewhere cannot reach the folder through a name it points at 127.0.0.1.
    loopback_only: bool,
}

/// Which commit `meta.json` names: tantivy replaces the file at each commit, so its inode,
/// size and time change with it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct CommitId(u64, u64, std::time::SystemTime);

fn commit_id(index: &Path) -> Option<CommitId> {
    let meta = std::fs::metadata(index.join("meta.json")).ok()?;
    #[cfg(unix)]
    let inode = std::os::unix::fs::MetadataExt::ino(&meta);
    #[cfg(not(unix))]
    let inode = 0;
    Some(CommitId(inode, meta.len(), meta.modified().ok()?))
}

impl Shared {
    /// A session on the last commit that ends a sync: a new one when a sync (this process's
    /// or another's) committed since the last. A commit in the middle of a sync is not
    /// searched while an earlier whole one is open: it holds only part of the folder.
    fn session(&self) -> Result<Arc<Session>> {
        let index = &self.engine.config().index;
        let mut current = self.current.lock().unwrap_or_else(|e| e.into_inner());
        let id = commit_id(index);
        if let Some((at, session)) = current.as_ref()
            && (Some(*at) == id || !index_is_complete(index))
        {
            return Ok(session.clone());
        }
        let session = Arc::new(self.engine.session()?.for_many_searches());
        if !session.complete() {
            return Err(Error::IndexBusy {
                path: index.clone(),
            });
        }
        if let Some(id) = id {
            *current = Some((id, session.clone()));
        }
        Ok(session)
    }
}

fn index_is_complete(index: &Path) -> bool {
    crate::index::last_payload(index).is_some_and(|p| p.complete)
}

/// Accepts connections until `shutting_down` turns true, each served by a task of its own
/// with the limits above.
async fn accept(
    listener: tokio::net::TcpListener,
    app: Router,
    mut shutting_down: tokio::sync::watch::Receiver<bool>,
) {
    let connections = Arc::new(tokio::sync::Semaphore::new(MAX_CONNECTIONS));
    loop {
        let permit = tokio::select! {
            permit = connections.clone().acquire_owned() => permit,
            _ = shutting_down.changed() => return,
        };
        let Ok(permit) = permit else { return };
        let stream = tokio::select! {
            accepted = listener.accept() => accepted,
            _ = shutting_down.changed() => return,
        };
        let Ok((stream, _)) = stream else {
            // Out of file descriptors, most likely: wait for some to be given back.
            tokio::time::sleep(Duration::from_millis(50)).await;
            continue;
        };
        let service = hyper_util::service::TowerToHyperService::new(app.clone());
        tokio::spawn(async move {
            let _permit = permit;
            let mut builder = hyper::server::conn::http1::Builder::new();
            builder
                .timer(hyper_util::rt::TokioTimer::new())
                .header_read_timeout(HEADER_TIMEOUT)
                .max_buf_size(MAX_HEADER_BYTES);
            let connection =
                builder.serve_connection(hyper_util::rt::TokioIo::new(stream), service);
            let _ = tokio::time::timeout(CONNECTION_LIFETIME, connection).await;
        });
    }
}

fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route("/", get(page_html))
        .route("/app.js", get(page_js))
        .route("/app.css", get(page_css))
        .route("/api/search", get(search))
        .route("/api/article", get(article))
        .route("/api/stats", get(stats))
        .fallback(not_found)
        .layer(axum::middleware::from_fn_with_state(
            shared.clone(),
            guard_request,
        ))
        .with_state(shared)
}

/// Refuses what no route should see (a body, a method other than GET, a host that is not
/// this machine's when listening on loopback) and adds the security headers to every answer.
async fn guard_request(
    State(shared): State<Arc<Shared>>,
    request: Request<Body>,
    next: axum::middleware::Next,
) -> Response {
    let refused = if !matches!(*request.method(), Method::GET | Method::HEAD) {
        Some(failure(
            StatusCode::METHOD_NOT_ALLOWED,
            "only GET: sou serve writes nothing",
        ))
    } else if has_body(request.headers()) {
        Some(failure(
            StatusCode::PAYLOAD_TOO_LARGE,
            "requests carry no body",
        ))
    } else if shared.loopback_only && !names_loopback(request.headers()) {
        Some(failure(
            StatusCode::FORBIDDEN,
            "this server answers only requests addressed to this machine (localhost)",
        ))
    } else {
        None
    };
    let mut response = match refused {
        Some(refused) => refused,
        None => next.run(request).await,
    };
    let headers = response.headers_mut();
    let set = |headers: &mut HeaderMap, name, value: &'static str| {
        headers.insert(name, HeaderValue::from_static(value));
    };
    set(
        headers,
        header::CONTENT_SECURITY_POLICY,
        CONTENT_SECURITY_POLICY,
    );
    set(headers, header::X_CONTENT_TYPE_OPTIONS, "nosniff");
    set(headers, header::REFERRER_POLICY, "no-referrer");
    set(headers, header::X_FRAME_OPTIONS, "DENY");
    set(headers, header::CACHE_CONTROL, "no-store");
    response
}

fn has_body(headers: &HeaderMap) -> bool {
    let length = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    length.is_some_and(|n| n > 0) || headers.contains_key(header::TRANSFER_ENCODING)
}

/// Whether the request's Host is a loopback name or address (any port).
fn names_loopback(headers: &HeaderMap) -> bool {
    let Some(host) = headers.get(header::HOST).and_then(|h| h.to_str().ok()) else {
        return false;
    };
    let name = match host.strip_prefix('[') {
        Some(bracketed) => bracketed.split(']').next().unwrap_or(""),
        None => host.rsplit_once(':').map_or(host, |(name, _)| name),
    };
    name.eq_ignore_ascii_case("localhost")
        || name
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// A JSON error: `{"error": "…"}`.
fn failure(status: StatusCode, message: impl Into<String>) -> Response {
    #[derive(Serialize)]
    struct Failure {
        error: String,
    }
    json_response(
        status,
        &Failure {
            error: message.into(),
        },
    )
}

fn json_response(status: StatusCode, value: &impl Serialize) -> Response {
    match serde_json::to_vec(value) {
        Ok(body) => (
            status,
            [(header::CONTENT_TYPE, "application/json; charset=utf-8")],
            body,
        )
            .into_response(),
        Err(err) => (StatusCode::INTERNAL_SERVER_ERROR, err.to_string()).into_response(),
    }
}

/// The status and message of a library error met answering a request.
fn error_response(err: &Error) -> Refusal {
    let status = match err {
        Error::Query(_) | Error::Glob { .. } => StatusCode::BAD_REQUEST,
        Error::IndexBusy { .. } | Error::NoIndex { .. } => StatusCode::SERVICE_UNAVAILABLE,
        _ => StatusCode::INTERNAL_SERVER_ERROR,
    };
    let message = match err {
        Error::IndexBusy { .. } | Error::NoIndex { .. } => {
            "the index is being built: try again in a moment".to_string()
        }
        other => other.to_string(),
    };
    Refusal(status, message)
}

async fn not_found() -> Response {
    failure(StatusCode::NOT_FOUND, "no such page")
}

fn asset(content_type: &'static str, body: &'static str) -> Response {
    ([(header::CONTENT_TYPE, content_type)], body).into_response()
}

async fn page_html() -> Response {
    asset("text/html; charset=utf-8", PAGE_HTML)
}

async fn page_js() -> Response {
    asset("text/javascript; charset=utf-8", PAGE_JS)
}

async fn page_css() -> Response {
    asset("text/css; charset=utf-8", PAGE_CSS)
}

/// A request's parameters, each name allowed once unless `repeated` names it.
struct Parameters(Vec<(String, String)>);

impl Parameters {
    /// Parses `raw`, refusing a name not in `known`, and a name given twice that is not
    /// `repeated`.
    fn parse(
        raw: Option<&str>,
        known: &[&str],
        repeated: &[&str],
    ) -> std::result::Result<Self, Refusal> {
        let pairs: Vec<(String, String)> = form_urlencoded::parse(raw.unwrap_or("").as_bytes())
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
        for (i, (name, _)) in pairs.iter().enumerate() {
            if !known.contains(&name.as_str()) {
                return Err(bad_request(format!(
                    "unknown parameter {name:?} (known: {})",
                    known.join(", ")
                )));
            }
            if !repeated.contains(&name.as_str()) && pairs[..i].iter().any(|(n, _)| n == name) {
                return Err(bad_request(format!("parameter {name} given twice")));
            }
        }
        Ok(Parameters(pairs))
    }

    fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    fn all(&self, name: &str) -> Vec<String> {
        self.0
            .iter()
            .filter(|(n, _)| n == name)
            .map(|(_, v)| v.clone())
            .collect()
    }

    /// The number `name`, `default` when absent, refused outside `range`.
    fn number(
        &self,
        name: &str,
        default: usize,
        range: std::ops::RangeInclusive<usize>,
    ) -> std::result::Result<usize, Refusal> {
        let Some(text) = self.get(name) else {
            return Ok(default);
        };
        match text.parse::<usize>() {
            Ok(n) if range.contains(&n) => Ok(n),
            _ => Err(bad_request(format!(
                "{name} must be a number from {} to {}, not {text:?}",
                range.start(),
                range.end()
            ))),
        }
    }

    /// The query `q`: required unless `optional`, at most [`MAX_QUERY_CHARS`].
    fn query(&self, optional: bool) -> std::result::Result<Option<String>, Refusal> {
        match self.get("q").map(str::trim) {
            None | Some("") if optional => Ok(None),
            None | Some("") => Err(bad_request("q, the query, is missing")),
            Some(q) if q.chars().count() > MAX_QUERY_CHARS => Err(bad_request(format!(
                "q is longer than {MAX_QUERY_CHARS} characters"
            ))),
            Some(q) => Ok(Some(q.to_string())),
        }
    }
}

/// Why a request is not answered as asked: a status and a message, sent as a JSON error.
struct Refusal(StatusCode, String);

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        failure(self.0, self.1)
    }
}

fn bad_request(message: impl Into<String>) -> Refusal {
    Refusal(StatusCode::BAD_REQUEST, message.into())
}

/// Runs `work` on a blocking thread once a search permit is free, within [`SEARCH_TIMEOUT`].
async fn blocking<T: Send + 'static>(
    shared: &Arc<Shared>,
    work: impl FnOnce(&Shared) -> Result<T> + Send + 'static,
) -> std::result::Result<T, Refusal> {
    let busy = || {
        Refusal(
            StatusCode::SERVICE_UNAVAILABLE,
            "the server is busy: try again in a moment".to_string(),
        )
    };
    let run = async {
        let _permit = shared.searches.acquire().await.map_err(|_| busy())?;
        let shared = shared.clone();
        let joined = tokio::task::spawn_blocking(move || {
            let index = shared.engine.config().index.clone();
            crate::index::faults::guard_index(&index, || work(&shared))
        })
        .await;
        match joined {
            Ok(Ok(value)) => Ok(value),
            Ok(Err(err)) => Err(error_response(&err)),
            Err(_) => Err(Refusal(
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal error".to_string(),
            )),
        }
    };
    tokio::time::timeout(SEARCH_TIMEOUT, run)
        .await
        .unwrap_or_else(|_| Err(busy()))
}

/// `/api/search`: the JSON of `sou search --json`, with `offset` and `next_offset`.
#[derive(Serialize)]
struct SearchPage {
    #[serde(flatten)]
    results: JsonResults,
    /// Where this page starts among the hits.
    offset: usize,
    /// Where the next page starts; `null` when there is none.
    next_offset: Option<usize>,
}

async fn search(State(shared): State<Arc<Shared>>, RawQuery(raw): RawQuery) -> Response {
    let answer = async {
        let params = Parameters::parse(raw.as_deref(), &["q", "n", "offset", "glob"], &["glob"])?;
        let query = params.query(false)?.unwrap_or_default();
        let n = params.number("n", 10, 1..=MAX_HITS)?;
        let offset = params.number("offset", 0, 0..=MAX_OFFSET)?;
        let globs = params.all("glob");
        if globs.len() > MAX_GLOBS || globs.iter().any(|g| g.chars().count() > MAX_QUERY_CHARS) {
            return Err(bad_request(format!(
                "at most {MAX_GLOBS} globs of {MAX_QUERY_CHARS} characters"
            )));
        }
        let results = blocking(&shared, move |shared| {
            let session = shared.session()?;
            let options = SearchOptions {
                limit: offset + n,
                globs: &globs,
                ..SearchOptions::default()
            };
            session.search(&query, &options)
        })
        .await?;
        let mut json = JsonResults::from(&results);
        let more = json.hits.len() == offset + n && json.total > offset + n;
        json.hits.drain(..offset.min(json.hits.len()));
        Ok(json_response(
            StatusCode::OK,
            &SearchPage {
                results: json,
                offset,
                next_offset: more.then_some(offset + n),
            },
        ))
    };
    answer.await.unwrap_or_else(IntoResponse::into_response)
}

async fn article(State(shared): State<Arc<Shared>>, RawQuery(raw): RawQuery) -> Response {
    let answer = async {
        let params = Parameters::parse(raw.as_deref(), &["path", "q"], &[])?;
        let Some(path) = params.get("path").filter(|p| !p.is_empty()) else {
            return Err(bad_request("path, the article's path, is missing"));
        };
        let query = params.query(true)?;
        let key = key_of_shown(&shared.engine.config().seeds, path);
        let shown = path.to_string();
        let found = blocking(&shared, move |shared| {
            let session = shared.session()?;
            session.article(&key, query.as_deref())
        })
        .await?;
        match found {
            Some(article) => Ok(json_response(StatusCode::OK, &JsonArticle::from(&article))),
            None => Err(Refusal(
                StatusCode::NOT_FOUND,
                format!("no indexed article at {shown}"),
            )),
        }
    };
    answer.await.unwrap_or_else(IntoResponse::into_response)
}

/// The key of an article from its path as the search JSON shows it (the seeds folder as given,
/// then the key); a path not below that folder is taken as a key. Either way only a key the
/// index holds is read.
fn key_of_shown(seeds: &Path, shown: &str) -> String {
    match Path::new(shown).strip_prefix(seeds) {
        Ok(_) if !seeds.as_os_str().is_empty() => crate::corpus::key_of(seeds, Path::new(shown)),
        _ => shown.to_string(),
    }
}

async fn stats(State(shared): State<Arc<Shared>>, RawQuery(raw): RawQuery) -> Response {
    let answer = async {
        Parameters::parse(raw.as_deref(), &[], &[])?;
        let stats = blocking(&shared, |shared| shared.engine.stats()).await?;
        let config = shared.engine.config();
        Ok::<_, Refusal>(json_response(
            StatusCode::OK,
            &JsonStats::new(&stats, &config.index, &config.seeds),
        ))
    };
    answer.await.unwrap_or_else(IntoResponse::into_response)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_host_names_loopback_only_when_it_is_this_machine() {
        let host = |value: &str| {
            let mut headers = HeaderMap::new();
            headers.insert(header::HOST, HeaderValue::from_str(value).unwrap());
            names_loopback(&headers)
        };
        assert!(host("localhost:8700"));
        assert!(host("127.0.0.1:8700"));
        assert!(host("[::1]:8700"));
        assert!(host("LOCALHOST"));
        assert!(!host("evil.example:8700"));
        assert!(!host("127.0.0.1.evil.example"));
        assert!(!names_loopback(&HeaderMap::new()));
    }

    #[test]
    fn a_shown_path_is_a_key_below_the_seeds_folder() {
        let seeds = Path::new("./seeds");
        assert_eq!(key_of_shown(seeds, "./seeds/a/b.txt"), "a/b.txt");
        assert_eq!(key_of_shown(seeds, "a/b.txt"), "a/b.txt");
        assert_eq!(
            key_of_shown(seeds, "./seeds/../../etc/passwd"),
            "../../etc/passwd"
        );
        assert_eq!(key_of_shown(seeds, "/etc/passwd"), "/etc/passwd");
    }
}
