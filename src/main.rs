//! The `sou` binary: parses the command line, resolves it, calls the library, prints, and maps
//! the outcome to grep's exit codes (0 found, 1 nothing found, 2 error; 130 interrupted).

mod cli;
mod paths;

/// mimalloc rather than the system allocator: glibc's keeps the high-water mark of every
/// thread's arena, so a build's memory kept growing with the corpus although what it holds at
/// any time does not (1.66 GB resident at 1.6 GB of text).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use anyhow::Context;
use clap::Parser;
use termcolor::{NoColor, StandardStream};

use cli::{Cli, ColorChoice, Command, SearchArgs};
use sou::{
    Config, Engine, Error, Progress, SearchOptions, SyncOptions, SyncReport, WatchEvent, render,
};

/// What a failed write to stdout was doing.
const WRITING: &str = "writing the output";

/// Set by Ctrl-C: long operations stop after their current step.
static INTERRUPTED: AtomicBool = AtomicBool::new(false);

/// How long `sou index` waits between tries while another process updates the index.
const BUSY_RETRY: Duration = Duration::from_millis(250);

/// Writes a line to stderr. A line that cannot be written (stderr closed, or a full disk) is
/// dropped: there is nowhere left to report it.
macro_rules! say {
    ($($arg:tt)*) => {{
        let _ = writeln!(std::io::stderr().lock(), $($arg)*);
    }};
}

/// What the last panic said, for the one line that reports it.
static PANIC: std::sync::Mutex<Option<String>> = std::sync::Mutex::new(None);

fn main() -> ExitCode {
    use sou::corpus::document;
    // A panic (in tantivy, on a damaged index) is reported in one line, without a backtrace.
    std::panic::set_hook(Box::new(|info| {
        let message = sou::error::panic_message(info.payload()).unwrap_or_default();
        let place = info
            .location()
            .map(|l| format!(" at {}:{}", l.file(), l.line()))
            .unwrap_or_default();
        *PANIC.lock().unwrap_or_else(|e| e.into_inner()) = Some(format!("{message}{place}"));
    }));
    let args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    // sou run by itself to read PDFs, in a process of its own (see
    // `sou::corpus::document::Isolation`): not commands for people.
    let served = match args.as_slice() {
        [_, flag] if flag == document::SERVE_ARGUMENT => Some(document::serve_children(
            &mut std::io::stdin().lock(),
            &mut std::io::stdout().lock(),
        )),
        [_, flag, path] if flag == document::CHILD_ARGUMENT => Some(document::serve_one(
            std::path::Path::new(path),
            &mut std::io::stdout(),
        )),
        _ => None,
    };
    if let Some(served) = served {
        return if served.is_ok() {
            ExitCode::SUCCESS
        } else {
            ExitCode::from(2)
        };
    }
    let args = cli::rewrite_args(args).unwrap_or_else(|message| {
        <Cli as clap::CommandFactory>::command()
            .error(clap::error::ErrorKind::UnknownArgument, message)
            .exit()
    });
    let cli = Cli::parse_from(args);
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| run(cli))) {
        Ok(Ok(code)) => code,
        Ok(Err(err)) => {
            if is_broken_pipe(&err) {
                return ExitCode::SUCCESS;
            }
            // sou's errors carry their cause in their message: no chain to append; what to do
            // about it is said here, next to the flags it names.
            let message = match err.downcast_ref::<Error>() {
                Some(sou_error) => match hint(sou_error) {
                    Some(hint) => format!("{sou_error}; {hint}"),
                    None => sou_error.to_string(),
                },
                None => format!("{err:#}"),
            };
            say!("sou: {}", render::visible(&message));
            if matches!(err.downcast_ref::<Error>(), Some(Error::Interrupted)) {
                return ExitCode::from(130);
            }
            ExitCode::from(2)
        }
        Err(_) => {
            let what = PANIC
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .take()
                .unwrap_or_default();
            say!(
                "sou: internal error ({}); please report it",
                render::visible(&what)
            );
            ExitCode::from(2)
        }
    }
}

/// The command running and its folders as the user gave them, for the advice an error gets.
struct Invocation {
    command: &'static str,
    /// ` DIR` after a command, when the seeds folder is not the default.
    seeds: String,
    /// ` --index DIR`, when the index folder was given.
    index: String,
}

static INVOCATION: std::sync::Mutex<Option<Invocation>> = std::sync::Mutex::new(None);

/// What the user can do about `err`, when something can be done.
fn hint(err: &Error) -> Option<String> {
    let invocation = INVOCATION.lock().unwrap_or_else(|e| e.into_inner());
    let (command, folders) = match invocation.as_ref() {
        Some(at) => (at.command, format!("{}{}", at.seeds, at.index)),
        None => ("", String::new()),
    };
    let index = |flags: &str| format!("`sou index{flags}{folders}`");
    Some(match err {
        Error::SeedsFolder { .. } => {
            "point sou at a folder of articles: `sou QUERY DIR`, --seeds DIR or SOU_SEEDS=DIR"
                .to_string()
        }
        Error::Damaged { .. } => format!("{} rebuilds it", index(" --rebuild")),
        Error::OtherVersion { .. } => format!("{} rebuilds it", index("")),
        Error::NoIndex { .. } => format!("run {} first", index("")),
        Error::IndexOfAnotherFolder { .. } if command == "index" => {
            "give another --index, or add --rebuild to make it this folder's index".to_string()
        }
        Error::IndexOfAnotherFolder { .. } => format!(
            "give another --index, or run {} to make it this folder's index",
            index(" --rebuild")
        ),
        _ => return None,
    })
}

fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|cause| {
        cause
            .downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}

/// How long a stop asked for by Ctrl-C may take before the process ends anyway: a worker can
/// be waiting on tantivy while it writes a segment out (seconds, in a large build). Ending the
/// process is as safe as a kill -9, which leaves the last commit whole.
const STOP_WITHIN: Duration = Duration::from_millis(700);

/// The first Ctrl-C asks long operations to stop cleanly, and ends the process if they have
/// not within [`STOP_WITHIN`]; a second one ends it at once.
fn stop_on_ctrl_c() {
    let _ = ctrlc::set_handler(|| {
        if INTERRUPTED.swap(true, Ordering::SeqCst) {
            std::process::exit(130);
        }
        std::thread::spawn(|| {
            std::thread::sleep(STOP_WITHIN);
            say!("sou: {}", Error::Interrupted);
            std::process::exit(130);
        });
    });
}

fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let Cli { folders, command } = cli;
    match &command {
        Command::Completions { shell } => return print_completions(*shell),
        Command::Man { command } => return print_man_page(command.as_deref()),
        _ => {}
    }
    let mut seeds = folders.seeds.clone();
    let mut command = command;
    let folder = match &mut command {
        Command::Search(_) => None,
        Command::Index { folder, .. }
        | Command::Watch { folder }
        | Command::Stats { folder, .. }
        | Command::Serve { folder, .. } => folder.take(),
        Command::Completions { .. } | Command::Man { .. } => None,
    };
    // The command line beats the environment; a folder both as --seeds and after the command
    // must be one folder.
    if let Some(folder) = folder {
        match &seeds {
            Some(given) if given != &folder => anyhow::bail!(
                "two seeds folders: {} (--seeds) and {} (after the command)",
                render::visible(&sou::corpus::display_os(given.as_os_str())),
                render::visible(&sou::corpus::display_os(folder.as_os_str()))
            ),
            _ => seeds = Some(folder),
        }
    }
    let seeds = seeds.or_else(|| env_var("SOU_SEEDS").map(PathBuf::from));
    let given_index = folders
        .index
        .clone()
        .or_else(|| env_var("SOU_INDEX").map(PathBuf::from));
    let shown = |flag: &str, path: &Option<PathBuf>| match path {
        Some(path) => format!("{flag} {}", sou::corpus::display_os(path.as_os_str())),
        None => String::new(),
    };
    *INVOCATION.lock().unwrap_or_else(|e| e.into_inner()) = Some(Invocation {
        command: match &command {
            Command::Index { .. } => "index",
            Command::Watch { .. } => "watch",
            Command::Stats { .. } => "stats",
            Command::Serve { .. } => "serve",
            _ => "search",
        },
        seeds: shown("", &seeds),
        index: shown(" --index", &given_index),
    });
    if let Command::Search(mut args) = command {
        // ripgrep's -e: the query is an option, and every argument a path.
        if args.query_option.is_some()
            && let Some(first) = args.query.take()
        {
            args.paths.insert(0, PathBuf::from(first));
        }
        if let Some(url) = args.server.clone() {
            return search_cluster(&url, &args);
        }
        let flag = folders.seeds.is_some();
        let targets = paths::resolve(&args.paths, seeds.as_deref(), flag, |folder| {
            default_index(folder).is_ok_and(|index| sou::index::is_index_of(&index, folder))
        })?;
        if targets.len() > 1 && given_index.is_some() {
            anyhow::bail!(
                "--index (or SOU_INDEX) names one folder's index, and the paths name {} folders: leave it out, and each keeps its own",
                targets.len()
            );
        }
        // Advice names the folder searched (`sou index news`), when it is one.
        if let [target] = targets.as_slice()
            && target.seeds != std::path::Path::new("./seeds")
            && let Some(invocation) = INVOCATION
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .as_mut()
        {
            invocation.seeds = format!(" {}", sou::corpus::display_os(target.seeds.as_os_str()));
        }
        let mut engines = Vec::with_capacity(targets.len());
        for target in targets {
            let index = match &given_index {
                Some(index) => index.clone(),
                None => default_index(&target.seeds)?,
            };
            let config = configure(&folders, target.seeds, index)?;
            // A file sou does not read would be searched for nothing, and "not found" said.
            let extensions = &config.listing.extensions;
            if let Some(file) = target
                .files
                .iter()
                .find(|file| !sou::corpus::has_extension(std::path::Path::new(file), extensions))
            {
                let path = config.seeds.join(file);
                anyhow::bail!(
                    "{}: not a file sou reads (its extension is not among {}; --ext names others)",
                    render::shown_path(&path),
                    extensions.join(",")
                );
            }
            engines.push((Engine::new(config), target.files));
        }
        // Only a search that syncs first may have a build to stop.
        if !args.no_sync {
            stop_on_ctrl_c();
        }
        return search(&engines, &args);
    }
    let seeds = seeds.unwrap_or_else(|| PathBuf::from("./seeds"));
    let index_dir = match given_index {
        Some(index) => index,
        None => default_index(&seeds)?,
    };
    let config = configure(&folders, seeds, index_dir)?;
    let sou = Engine::new(config);
    match command {
        Command::Index {
            to: Some(url),
            rebuild,
            shards,
            replicas,
            bulk_bytes,
            ..
        } => {
            stop_on_ctrl_c();
            let options = sou::cluster::export::ExportOptions {
                rebuild,
                shards,
                replicas,
                interrupt: Some(&INTERRUPTED),
                progress: None,
                bulk_bytes: bulk_bytes.unwrap_or(0),
            };
            export(&sou, &url, options)
        }
        Command::Index {
            rebuild,
            commit_every,
            ..
        } => {
            stop_on_ctrl_c();
            let report = index(&sou, rebuild, commit_every)?;
            warn_skipped(&sou.config().seeds, &report, true);
            warn_if_empty(&sou, &report);
            writeln!(
                std::io::stdout().lock(),
                "{}",
                render::sync_summary(&report)
            )
            .context(WRITING)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Watch { .. } => {
            stop_on_ctrl_c();
            watch(&sou)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Search(_) => Ok(ExitCode::SUCCESS),
        Command::Stats { json, .. } => stats(&sou, json),
        Command::Serve { port, bind, .. } => {
            stop_on_ctrl_c();
            serve(sou, std::net::SocketAddr::new(bind, port))
        }
        Command::Completions { .. } | Command::Man { .. } => Ok(ExitCode::SUCCESS),
    }
}

/// The configuration of one seeds folder and its index, from the options every command takes
/// (and their environment variables).
fn configure(folders: &cli::Folders, seeds: PathBuf, index_dir: PathBuf) -> anyhow::Result<Config> {
    let mut config = Config::new(seeds, index_dir);
    let (extensions, named_by) = match folders.ext.clone() {
        Some(given) => (given, "--ext"),
        None => match env_var("SOU_EXT") {
            Some(value) => (
                value
                    .to_string_lossy()
                    .split(',')
                    .map(String::from)
                    .collect(),
                "SOU_EXT",
            ),
            None => (
                sou::corpus::DEFAULT_EXTENSIONS.map(String::from).to_vec(),
                "",
            ),
        },
    };
    config.listing.extensions = extensions
        .iter()
        .map(|e| e.trim().trim_start_matches('.').to_lowercase())
        .filter(|e| !e.is_empty())
        .collect();
    if config.listing.extensions.is_empty() {
        anyhow::bail!("{named_by} names no extension: give some, as in --ext txt,md,html");
    }
    config.listing.respect_ignore_files = !folders.no_ignore;
    config.listing.follow_outside = folders.follow_outside;
    // PDFs are read by this executable in a process of its own, so that no PDF can crash,
    // hang or exhaust a build.
    if let Ok(exe) = std::env::current_exe() {
        config.documents = sou::corpus::document::Isolation::Child(exe);
    }
    Ok(config)
}

/// An environment variable, when it is set to something: an empty one counts as unset.
fn env_var(name: &str) -> Option<std::ffi::OsString> {
    std::env::var_os(name).filter(|value| !value.is_empty())
}

/// Where the index of `seeds` is kept when no `--index` is given (see
/// [`sou::index::default_location`]): the cache folder is `$SOU_CACHE`, else the platform's.
fn default_index(seeds: &std::path::Path) -> anyhow::Result<PathBuf> {
    let cwd = std::env::current_dir().context("the current folder")?;
    let cache =
        cache_folder().context("no cache folder for the index: give one with --index DIR")?;
    Ok(sou::index::default_location(seeds, &cwd, &cache))
}

/// sou's cache folder: `$SOU_CACHE`, else the platform's.
fn cache_folder() -> anyhow::Result<PathBuf> {
    match std::env::var_os("SOU_CACHE").filter(|v| !v.is_empty()) {
        Some(cache) => Ok(PathBuf::from(cache)),
        None => directories::ProjectDirs::from("", "", "sou")
            .map(|dirs| dirs.cache_dir().to_path_buf())
            .context("no cache folder"),
    }
}

/// `sou completions SHELL`. The script is made in memory first: clap_complete panics when it
/// cannot write, and a closed pipe must end the command quietly.
fn print_completions(shell: clap_complete::Shell) -> anyhow::Result<ExitCode> {
    let mut command = <Cli as clap::CommandFactory>::command();
    // `sou 安置房 --j<TAB>` is a search with no `search` typed: the scripts complete a word
    // that names no command with the top level's options, so search's are given there too.
    if let Some(search) = command.find_subcommand("search").cloned() {
        for arg in search.get_arguments() {
            let taken = command.get_arguments().any(|a| a.get_id() == arg.get_id());
            if !arg.is_positional() && !arg.is_global_set() && !arg.is_hide_set() && !taken {
                command = command.arg(arg.clone());
            }
        }
    }
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut command, "sou", &mut script);
    let mut out = std::io::stdout().lock();
    out.write_all(&script).context(WRITING)?;
    out.flush().context(WRITING)?;
    Ok(ExitCode::SUCCESS)
}

/// The query language and the exit status, for the pages of sou(1) and sou-search(1): what
/// clap's help does not hold.
const MAN_QUERY_AND_STATUS: &str = r#".SH "QUERY LANGUAGE"
The query is one argument: the first that is not an option (quote a query of several words); every argument after it is a file or folder to search. Words must all match; a query typed run together is read as jieba words (\fB高新区安置房\fR is \fB高新区\fR and \fB安置房\fR), and a string is found wherever it stands, not only on word boundaries.
.TP
\fB"…"\fR
only as written (spaces in the text or the query do not matter)
.TP
\fB\-word\fR, \fB\-"…"\fR
passages holding it are left out. As an argument of its own only a CJK word or a number is one (\fB\-智慧社会\fR, \fB\-2020\fR): a dash and a Latin letter is an option, as in ripgrep, so a Latin word is left out inside the quoted query (\fB'北京 \-iphone'\fR)
.TP
\fBa OR b\fR
either
.PP
Case, full and half width and traditional characters are folded, in the text and the query alike.
.SH "EXIT STATUS"
.TP
0
something was found: some article holds every word of the query
.TP
1
nothing was found (best\-effort hits, shown when no article holds every word, are not found)
.TP
2
an error, said in one line on stderr
.TP
130
interrupted by Ctrl\-C
"#;

/// `sou man [COMMAND]`: sou(1), or the page of one command (sou-search(1), …), which the
/// first one's list of commands points to.
fn print_man_page(name: Option<&str>) -> anyhow::Result<ExitCode> {
    let command = <Cli as clap::CommandFactory>::command();
    let command = match name {
        None => command,
        Some(name) => {
            let Some(sub) = command.find_subcommand(name) else {
                anyhow::bail!("no command {name}");
            };
            sub.clone()
                .name(format!("sou-{name}"))
                .bin_name(format!("sou {name}"))
        }
    };
    let mut page = Vec::new();
    clap_mangen::Man::new(command)
        .render(&mut page)
        .context(WRITING)?;
    if matches!(name, None | Some("search")) {
        page.extend_from_slice(MAN_QUERY_AND_STATUS.as_bytes());
    }
    let mut out = std::io::stdout().lock();
    out.write_all(&page).context(WRITING)?;
    out.flush().context(WRITING)?;
    Ok(ExitCode::SUCCESS)
}

/// Says so when the seeds folder holds no article at all: an empty answer is not a finding.
/// When ignore files left files out, that is said too: they may be why.
fn warn_if_empty(sou: &Engine, report: &SyncReport) {
    if report.added + report.changed + report.unchanged == 0 {
        let ignored = match report.ignored {
            0 => String::new(),
            1 => {
                "; 1 file or folder is excluded by .gitignore or .ignore (--no-ignore includes it)"
                    .to_string()
            }
            n => format!(
                "; {n} files and folders are excluded by .gitignore or .ignore (--no-ignore includes them)"
            ),
        };
        say!(
            "sou: {} holds no articles ({} files){ignored}",
            render::visible(&sou::corpus::display_os(sou.config().seeds.as_os_str())),
            sou.config()
                .listing
                .extensions
                .iter()
                .map(|e| format!(".{e}"))
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
}

/// `sou index`: waits for another process that holds the index, shows progress on a terminal.
/// `sou index --to URL`: the folder sent to a cluster index.
fn export(
    sou: &Engine,
    url: &str,
    options: sou::cluster::export::ExportOptions<'_>,
) -> anyhow::Result<ExitCode> {
    let cluster = sou::cluster::Cluster::connect(url)?;
    let bar = ProgressLine::new("");
    let progress = |p: Progress| bar.update(p);
    let options = sou::cluster::export::ExportOptions {
        progress: Some(&progress),
        ..options
    };
    let report = sou.export(&cluster, &options);
    bar.finish();
    let report = report?;
    let problems: Vec<&sou::corpus::Skipped> =
        report.skipped.iter().filter(|s| !s.other_type).collect();
    for skip in &problems {
        say!(
            "sou: {}: not sent: {}",
            render::visible(&skip.key),
            render::visible(&skip.reason)
        );
    }
    for warning in &report.warnings {
        say!("sou: {}", render::visible(warning));
    }
    let target = cluster.target();
    writeln!(
        std::io::stdout().lock(),
        "{}{}/{}: {} files sent ({} passages), {} unchanged, {} deleted, {} not sent",
        if report.created { "created " } else { "" },
        target.base,
        target.index,
        report.sent,
        report.passages,
        report.unchanged,
        report.deleted,
        report.skipped.len()
    )
    .context(WRITING)?;
    Ok(ExitCode::SUCCESS)
}

/// A path after the query of `sou search --server`, as the key it names: the files of a
/// cluster index are named by their path in the folder sent (`news/2024`, `news/a.txt`), with
/// `/` between the parts; `.` (the empty key) names them all. There is no folder here to
/// place an absolute path or `..` in.
fn key_of_path(path: &std::path::Path) -> anyhow::Result<String> {
    use std::path::Component;
    let shown = || render::visible(&sou::corpus::display_os(path.as_os_str())).into_owned();
    let mut parts = Vec::new();
    for component in path.components() {
        match component {
            Component::Normal(part) => match part.to_str() {
                Some(part) => parts.push(part),
                None => anyhow::bail!("{}: a path of the cluster index is UTF-8", shown()),
            },
            Component::CurDir => {}
            _ => anyhow::bail!(
                "{}: with --server a path names files by their path in the folder sent (news/2024), not from here",
                shown()
            ),
        }
    }
    Ok(parts.join("/"))
}

/// `sou search --server URL`: the query asked of a cluster index, answered as a local search.
fn search_cluster(url: &str, args: &SearchArgs) -> anyhow::Result<ExitCode> {
    let files = args
        .paths
        .iter()
        .map(|path| key_of_path(path))
        .collect::<anyhow::Result<Vec<String>>>()?;
    // `.` names the whole index.
    let files: Vec<String> = match files.iter().any(String::is_empty) {
        true => Vec::new(),
        false => files,
    };
    let raw = raw_query(args)?;
    let extensions = extensions_of(args);
    let options = SearchOptions {
        files: &files,
        // A cluster gives at most 10,000 hits to one search.
        limit: hit_limit(args, 10_000),
        globs: &args.glob,
        extensions: &extensions,
        snippet_columns: sou::search::snippet_columns(terminal_width()),
        fixed_strings: args.fixed_strings,
        word_boundaries: args.word_regexp,
        context: context_of(args),
        ..SearchOptions::default()
    };
    let cluster = sou::cluster::Cluster::connect(url)?;
    // Where the files the cluster index keeps beside the passages are kept once fetched.
    let cache = cache_folder().ok();
    let answer = sou::cluster::search::run(&cluster, &raw, &options, cache.as_deref())?;
    let results = {
        let search_again = |options: &SearchOptions<'_>| {
            Ok(sou::cluster::search::run(&cluster, &raw, options, cache.as_deref())?.results)
        };
        arranged(answer.results, args, options, search_again)?
    };
    if args.explain {
        for body in &answer.sent {
            say!(
                "sou: sent to {}/{}/_search: {body}",
                cluster.target().base,
                cluster.target().index
            );
        }
        say!("sou: the cluster took {} ms", answer.took_ms);
    }
    let note = |line: String| {
        if !args.quiet {
            say!("{line}");
        }
    };
    write_results(&results, args, &note)
}

fn index(sou: &Engine, rebuild: bool, commit_every: Option<u64>) -> anyhow::Result<SyncReport> {
    let bar = ProgressLine::new("");
    let progress = |p: Progress| bar.update(p);
    let mut options = SyncOptions {
        rebuild,
        interrupt: Some(&INTERRUPTED),
        progress: Some(&progress),
        ..SyncOptions::default()
    };
    if let Some(bytes) = commit_every {
        options.commit_every_bytes = bytes.max(1);
    }
    let mut said_waiting = false;
    loop {
        match sou.sync(&options) {
            Err(err @ Error::IndexBusy { .. }) => {
                if !said_waiting {
                    say!(
                        "sou: {}; waiting for it to finish",
                        render::visible(&err.to_string())
                    );
                    said_waiting = true;
                }
                if INTERRUPTED.load(Ordering::SeqCst) {
                    return Err(Error::Interrupted.into());
                }
                std::thread::sleep(BUSY_RETRY);
            }
            other => {
                bar.finish();
                return Ok(other?);
            }
        }
    }
}

/// Warns about the files a sync could not index, one line each, counts the files of other
/// types than articles in one line, says what a document held that was not indexed, and,
/// `with_settings`, says what the settings files hold that cannot be used.
fn warn_skipped(seeds: &std::path::Path, report: &SyncReport, with_settings: bool) {
    for skipped in report.skipped.iter().filter(|s| !s.other_type) {
        let path = sou::corpus::display_path(seeds, &skipped.key);
        say!(
            "sou: skipped {}: {}",
            render::visible(&path),
            render::visible(&skipped.reason)
        );
    }
    if let Some(line) = render::other_types_line(&report.skipped) {
        say!("sou: {line}");
    }
    for (key, note) in &report.notes {
        let path = sou::corpus::display_path(seeds, key);
        say!("sou: {}: {}", render::visible(&path), render::visible(note));
    }
    for warning in report.warnings.iter().filter(|_| with_settings) {
        say!("sou: {}", render::visible(warning));
    }
}

/// `sou watch`: a line per sync that changed something, until Ctrl-C.
fn watch(sou: &Engine) -> anyhow::Result<()> {
    say!(
        "sou: watching {} (Ctrl-C to stop)",
        render::visible(&sou::corpus::display_os(sou.config().seeds.as_os_str()))
    );
    let mut report = watch_reporter(sou.config());
    sou.watch(&INTERRUPTED, &mut report)?;
    Ok(())
}

/// What `sou watch` and `sou serve` say of the watch: a line per sync that changed something
/// (and the first), its warnings, and a failure once however often it is tried again.
fn watch_reporter(config: &Config) -> impl FnMut(WatchEvent) + use<> {
    let seeds_given = config.seeds.clone();
    let seeds = render::visible(&sou::corpus::display_os(seeds_given.as_os_str())).into_owned();
    let mut first = true;
    // A failure retried every half second is said once, not every time.
    let mut last_error: Option<String> = None;
    move |event| match event {
        WatchEvent::Synced(Ok(report)) => {
            last_error = None;
            warn_skipped(&seeds_given, &report, first);
            if first || report.changed_anything() {
                let mut out = std::io::stdout().lock();
                let _ = writeln!(out, "{}", render::sync_summary(&report));
                let _ = out.flush();
            }
            first = false;
        }
        WatchEvent::Synced(Err(Error::Interrupted)) => {}
        WatchEvent::Synced(Err(err)) => {
            let line = render::visible(&err.to_string()).into_owned();
            if last_error.as_ref() != Some(&line) {
                say!("sou: {line}");
                last_error = Some(line);
            }
        }
        WatchEvent::FolderGone => say!("sou: {seeds} is gone; waiting for it to come back"),
        WatchEvent::FolderBack => say!("sou: {seeds} is back (or replaced); watching it"),
    }
}

/// `sou serve`: says where it listens (and warns when that is not this machine only), then
/// what the watch says, until Ctrl-C.
fn serve(sou: Engine, address: std::net::SocketAddr) -> anyhow::Result<ExitCode> {
    let seeds =
        render::visible(&sou::corpus::display_os(sou.config().seeds.as_os_str())).into_owned();
    let mut watch_report = watch_reporter(sou.config());
    let result = sou::serve::serve(sou, address, &INTERRUPTED, &mut |event| match event {
        sou::serve::ServeEvent::Listening(at) => {
            if !at.ip().is_loopback() {
                say!(
                    "sou: warning: listening on {at}: anyone who can reach this address can read every article in {seeds}"
                );
            }
            let shown = match at.ip() {
                ip if ip.is_unspecified() => {
                    std::net::SocketAddr::new(std::net::Ipv4Addr::LOCALHOST.into(), at.port())
                        .to_string()
                }
                _ => at.to_string(),
            };
            let mut out = std::io::stdout().lock();
            let _ = writeln!(
                out,
                "sou: serving {seeds} at http://{shown}/ (Ctrl-C to stop)"
            );
            let _ = out.flush();
        }
        sou::serve::ServeEvent::Watch(event) => watch_report(event),
    });
    result?;
    Ok(ExitCode::SUCCESS)
}

/// One folder a search covers: its engine and the articles searched in it (empty: all).
type Searched = (Engine, Vec<String>);

/// The query the arguments give: `-e`'s and the positional one, with the exclusions written as
/// `-word`, or with -F the string as written.
fn raw_query(args: &SearchArgs) -> anyhow::Result<String> {
    let mut words = Vec::new();
    if let Some(query) = &args.query_option {
        words.push(query.clone());
    }
    if let Some(word) = &args.query {
        match word.to_str() {
            Some(word) => words.push(word.to_string()),
            None => anyhow::bail!(
                "query: {} is not text (not valid UTF-8)",
                sou::corpus::display_os(word)
            ),
        }
    }
    if let (true, Some(word)) = (args.fixed_strings, args.excluded.first()) {
        anyhow::bail!(
            "-F finds the query as written, with no exclusions: -{} is not part of it (quote the whole string to find it)",
            render::visible(word)
        );
    }
    let raw = match args.fixed_strings {
        true => words.join(" "),
        false => query_string(&words, &args.excluded),
    };
    Ok(raw)
}

/// The passages shown before and after each hit (`-B`, `-A`, `-C`).
fn context_of(args: &SearchArgs) -> (usize, usize) {
    let context = args.context.unwrap_or(0);
    (
        args.before_context.unwrap_or(context),
        args.after_context.unwrap_or(context),
    )
}

/// The extensions of the files `-t` names.
fn extensions_of(args: &SearchArgs) -> Vec<String> {
    args.types
        .iter()
        .flat_map(|kind| match kind.as_str() {
            "md" => vec!["md", "markdown"],
            "html" => vec!["html", "htm", "xhtml"],
            other => vec![other],
        })
        .map(String::from)
        .collect()
}

/// How many hits a search asks for: paths and counts cover every match (at most `every`)
/// unless told otherwise.
fn hit_limit(args: &SearchArgs, every: usize) -> usize {
    let listing = args.files_with_matches || args.count;
    match (args.limit, listing, args.quiet) {
        (_, _, true) => 1,
        (_, true, _) if args.count => 0,
        (Some(limit), _, _) if !args.files_with_matches => limit,
        (_, true, _) => every,
        (None, _, _) => 10,
        (Some(limit), _, _) => limit,
    }
}

fn search(engines: &[Searched], args: &SearchArgs) -> anyhow::Result<ExitCode> {
    let raw = raw_query(args)?;
    let listing = args.files_with_matches || args.count;
    let extensions = extensions_of(args);
    let bar = ProgressLine::new("before searching");
    let progress = |p: Progress| bar.update(p);
    let options = SearchOptions {
        limit: hit_limit(args, usize::MAX),
        globs: &args.glob,
        exact_total: args.count,
        with_text: !(listing || args.quiet),
        snippet_columns: sou::search::snippet_columns(terminal_width()),
        fixed_strings: args.fixed_strings,
        extensions: &extensions,
        files: &[],
        word_boundaries: args.word_regexp,
        context: context_of(args),
    };
    let sync = SyncOptions {
        interrupt: Some(&INTERRUPTED),
        progress: Some(&progress),
        ..SyncOptions::default()
    };
    let sync = (!args.no_sync).then_some(&sync);
    // With -q only errors are said.
    let note = |line: String| {
        if !args.quiet {
            say!("{line}");
        }
    };
    let several = engines.len() > 1;
    let mut all = Vec::with_capacity(engines.len());
    for (sou, files) in engines {
        let options = SearchOptions { files, ..options };
        let outcome = search_one(sou, &raw, &options, sync, &note, &bar);
        bar.finish();
        let outcome = outcome?;
        // Why the index searched may be behind, in one line: a search that found nothing in an
        // incomplete index fails with it, rather than answer "not found".
        let mut behind = Vec::new();
        if let Some(busy) = &outcome.busy {
            behind.push(format!(
                "{}; searching the index as last committed",
                render::visible(&busy.to_string())
            ));
        }
        if outcome.incomplete {
            behind.push(format!(
                "the index in {} is incomplete: a build was interrupted or is under way (sou index finishes it)",
                render::visible(&sou::corpus::display_os(sou.config().index.as_os_str()))
            ));
        }
        if outcome.incomplete && outcome.results.total_all_words == 0 {
            anyhow::bail!(
                "{}; nothing found in what it holds so far",
                behind.join("; ")
            );
        }
        if !behind.is_empty() {
            note(format!("sou: {}", behind.join("; ")));
        }
        if let Some(report) = &outcome.sync {
            if report.changed_anything() {
                let of = match several {
                    true => format!(" ({})", render::shown_path(&sou.config().seeds)),
                    false => String::new(),
                };
                note(format!(
                    "sou: index updated{of}: {}",
                    render::sync_summary(report)
                ));
                // What could not be indexed is said by the first command that finds it.
                if !args.quiet {
                    warn_skipped(&sou.config().seeds, report, true);
                }
            }
            if !args.quiet {
                warn_if_empty(sou, report);
            }
        }
        all.push(outcome.results);
    }
    let results = merged(all, options.limit);
    let search_again = |options: &SearchOptions<'_>| {
        let mut all = Vec::with_capacity(engines.len());
        for (sou, files) in engines {
            let options = SearchOptions { files, ..*options };
            all.push(sou.search(&raw, &options, None)?.results);
        }
        Ok(merged(all, options.limit))
    };
    let results = arranged(results, args, options, search_again)?;
    write_results(&results, args, &note)
}

/// `results` as `-m` and `--sort` arrange them, searching again (`search_again`) with a
/// wider limit while `-m` leaves too few.
fn arranged(
    mut results: sou::Results,
    args: &SearchArgs,
    options: SearchOptions<'_>,
    search_again: impl FnMut(&SearchOptions<'_>) -> anyhow::Result<sou::Results>,
) -> anyhow::Result<sou::Results> {
    if let Some(per_file) = args.max_count {
        results = at_most_per_file(search_again, options, results, per_file as usize)?;
    }
    if args.sort == cli::SortBy::Path {
        // Paths compared as the user sees them, byte for byte (ripgrep's order).
        results
            .hits
            .sort_by(|a, b| (a.path.as_os_str(), a.line).cmp(&(b.path.as_os_str(), b.line)));
    }
    Ok(results)
}

/// Prints `results` as `args` ask (text, JSON, paths, a count, vimgrep lines), and says
/// whether the query was found as grep's status does.
fn write_results(
    results: &sou::Results,
    args: &SearchArgs,
    note: &dyn Fn(String),
) -> anyhow::Result<ExitCode> {
    // Found or not, whatever the limit shows (`-n 0` too), as grep's status: found when some
    // article holds every word; best-effort hits are shown, but do not tell a script that the
    // query was found.
    let found = results.total_all_words > 0;
    let mut out = std::io::stdout().lock();
    if args.json {
        render::json::write_json(&mut out, results).context(WRITING)?;
    } else if args.files_with_matches {
        let files = args.limit.unwrap_or(usize::MAX);
        render::write_files(&mut out, results, files).context(WRITING)?;
    } else if args.count {
        writeln!(out, "{}", results.total_all_words).context(WRITING)?;
    } else if args.vimgrep {
        let left_out = render::write_vimgrep(&mut out, results).context(WRITING)?;
        if left_out > 0 {
            note(format!(
                "sou: {left_out} hits in documents (PDF, Word, …) left out: an editor cannot open them at a line (--json names their page)"
            ));
        }
        note(render::summary_line(results));
    } else if !args.quiet {
        // How the query was read and how many passages matched go to stderr, so that a pipe
        // sees hits only; on a terminal they stand before and after the hits.
        if let Some(line) = render::reading_line(results) {
            say!("{line}\n");
        }
        let layout = render::Layout {
            width: output_width(),
        };
        if use_color(args.color) {
            drop(out);
            let mut colored = StandardStream::stdout(termcolor::ColorChoice::Always);
            render::write_text(&mut colored, results, &layout).context(WRITING)?;
            colored.flush().context(WRITING)?;
            out = std::io::stdout().lock();
        } else {
            render::write_text(&mut NoColor::new(&mut out), results, &layout).context(WRITING)?;
        }
        say!("{}", render::summary_line(results));
    }
    out.flush().context(WRITING)?;
    Ok(if found {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// Searches one folder, syncing first when `sync` says so, and waiting while another process
/// builds its index: that build's answer is what the search is for.
fn search_one(
    sou: &Engine,
    raw: &str,
    options: &SearchOptions<'_>,
    sync: Option<&SyncOptions<'_>>,
    note: &dyn Fn(String),
    bar: &ProgressLine,
) -> anyhow::Result<sou::SearchOutcome> {
    let mut said_waiting = false;
    loop {
        match sou.search(raw, options, sync) {
            Err(err @ Error::IndexBusy { .. }) => {
                if !said_waiting {
                    note(format!(
                        "sou: {}; waiting for it to finish the index",
                        render::visible(&err.to_string())
                    ));
                    said_waiting = true;
                }
                if INTERRUPTED.load(Ordering::SeqCst) {
                    bar.finish();
                    return Err(Error::Interrupted.into());
                }
                std::thread::sleep(BUSY_RETRY);
            }
            other => return Ok(other?),
        }
    }
}

/// The answers of several folders as one: their hits in rank order (by score; ties to the
/// folder given first), the best `limit`, and their counts added up.
fn merged(mut all: Vec<sou::Results>, limit: usize) -> sou::Results {
    if all.len() == 1
        && let Some(one) = all.pop()
    {
        return one;
    }
    let mut results = match all.first() {
        Some(first) => sou::Results {
            hits: Vec::new(),
            ..first.clone()
        },
        None => return empty_results(),
    };
    results.total = all.iter().map(|r| r.total).sum();
    results.total_all_words = all.iter().map(|r| r.total_all_words).sum();
    results.total_exact = all.iter().all(|r| r.total_exact);
    results.split = all.iter().any(|r| r.split);
    results.took = all.iter().map(|r| r.took).sum();
    let mut hits: Vec<sou::search::Hit> = all.into_iter().flat_map(|r| r.hits).collect();
    // Stable: equal scores keep the folders' order and each folder's own.
    hits.sort_by(|a, b| b.score.total_cmp(&a.score));
    hits.truncate(limit);
    results.all_words = hits
        .iter()
        .all(|hit| hit.tier < sou::search::Tier::SomeWords);
    for (i, hit) in hits.iter_mut().enumerate() {
        hit.rank = i + 1;
    }
    results.hits = hits;
    results
}

fn empty_results() -> sou::Results {
    sou::Results {
        corrections: Vec::new(),
        query: String::new(),
        words: Vec::new(),
        split: false,
        all_words: true,
        total: 0,
        total_all_words: 0,
        total_exact: true,
        hits: Vec::new(),
        took: Duration::ZERO,
    }
}

/// The best `options.limit` hits of `results` with at most `per_file` from one file, searching
/// again with a larger limit (and no sync) while capping left too few and more hits may exist.
/// Ranks are counted again over what is kept.
fn at_most_per_file(
    mut search_again: impl FnMut(&SearchOptions<'_>) -> anyhow::Result<sou::Results>,
    mut options: SearchOptions<'_>,
    mut results: sou::Results,
    per_file: usize,
) -> anyhow::Result<sou::Results> {
    /// Past this many hits, a search is not widened again: what is kept is shown.
    const WIDEST: usize = 10_000;
    let wanted = options.limit;
    loop {
        let mut per_path: std::collections::HashMap<std::path::PathBuf, usize> = Default::default();
        let kept: Vec<sou::search::Hit> = results
            .hits
            .iter()
            .filter(|hit| {
                let seen = per_path.entry(hit.path.clone()).or_default();
                *seen += 1;
                *seen <= per_file
            })
            .take(wanted)
            .cloned()
            .collect();
        let exhausted = results.hits.len() < options.limit;
        if kept.len() >= wanted || exhausted || options.limit >= WIDEST {
            results.hits = kept;
            for (i, hit) in results.hits.iter_mut().enumerate() {
                hit.rank = i + 1;
            }
            return Ok(results);
        }
        options.limit = options.limit.saturating_mul(4).min(WIDEST);
        results = search_again(&options)?;
    }
}

/// The terminal's width in columns, for snippets of about two lines; 80 when unknown.
fn terminal_width() -> usize {
    output_width().unwrap_or(80)
}

/// The width text output fits: the terminal's when stdout is one, else `$COLUMNS` when set
/// (as a shell exports it for a pipe read on the terminal), else none: a pipe gets a line per
/// hit and snippet, whole.
fn output_width() -> Option<usize> {
    let width = match terminal_size::terminal_size_of(std::io::stdout()) {
        Some((terminal_size::Width(w), _)) => usize::from(w),
        None => std::env::var("COLUMNS").ok()?.trim().parse().ok()?,
    };
    Some(width.max(20))
}

fn stats(sou: &Engine, json: bool) -> anyhow::Result<ExitCode> {
    let stats = sou.stats()?;
    let mut out = std::io::stdout().lock();
    let (index, seeds) = (&sou.config().index, &sou.config().seeds);
    if json {
        let stats = render::json::JsonStats::new(&stats, index, seeds);
        serde_json::to_writer(&mut out, &stats).context(WRITING)?;
        writeln!(out).context(WRITING)?;
    } else {
        render::write_stats(&mut out, &stats, index, seeds).context(WRITING)?;
    }
    out.flush().context(WRITING)?;
    Ok(ExitCode::SUCCESS)
}

/// Progress of a build that takes more than about a second: a bar on stderr on a terminal,
/// otherwise one line saying what sou is doing.
struct ProgressLine {
    bar: Option<indicatif::ProgressBar>,
    /// Said once, off a terminal (`before searching`, for a search that builds first).
    doing: &'static str,
    said: AtomicBool,
    started: Instant,
}

impl ProgressLine {
    fn new(doing: &'static str) -> Self {
        let bar = std::io::stderr().is_terminal().then(|| {
            let bar = indicatif::ProgressBar::hidden();
            // The bar takes the columns the rest leaves; on a narrow terminal the rest is cut
            // down, so that the line never wraps (about 60, 25 and 5 columns of text).
            let width = terminal_size::terminal_size_of(std::io::stderr())
                .map_or(80, |(terminal_size::Width(w), _)| usize::from(w));
            let template = match width {
                75.. => "{wide_bar} {msg} {binary_bytes}/{binary_total_bytes} {binary_bytes_per_sec} ETA {eta}",
                40..75 => "{wide_bar} {msg} ETA {eta}",
                _ => "{wide_bar} {percent}%",
            };
            bar.set_style(
                indicatif::ProgressStyle::with_template(template)
                    .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
            );
            bar
        });
        ProgressLine {
            bar,
            doing,
            said: AtomicBool::new(false),
            started: Instant::now(),
        }
    }

    fn update(&self, progress: Progress) {
        // A merge sends one update and may take minutes: it shows at once.
        if !progress.merging && self.started.elapsed() <= progress_after() {
            if let Some(bar) = &self.bar {
                bar.set_length(progress.bytes_total);
                bar.set_position(progress.bytes_done);
            }
            if !progress_after().is_zero() {
                return;
            }
        }
        let Some(bar) = &self.bar else {
            if !self.said.swap(true, Ordering::Relaxed) {
                if progress.merging {
                    say!("sou: merging the index {}…", self.doing);
                } else {
                    say!(
                        "sou: indexing {} files ({}) {}…",
                        progress.files_total,
                        render::human_bytes(progress.bytes_total),
                        self.doing
                    );
                }
            }
            return;
        };
        if bar.is_hidden() {
            bar.set_draw_target(indicatif::ProgressDrawTarget::stderr());
        }
        if progress.merging {
            // Bytes and files are all done: a spinner and the time spent say the rest.
            if let Ok(style) =
                indicatif::ProgressStyle::with_template("{spinner} {msg} ({elapsed})")
            {
                bar.set_style(style);
            }
            bar.set_message("merging the index");
            bar.reset_elapsed();
            bar.enable_steady_tick(Duration::from_millis(120));
            return;
        }
        bar.set_length(progress.bytes_total);
        bar.set_position(progress.bytes_done);
        bar.set_message(format!(
            "{}/{} files",
            progress.files_done, progress.files_total
        ));
    }

    fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

/// How long a build runs before its progress shows: a second, or `$SOU_PROGRESS_AFTER_MS`
/// (tests set it to 0 to see the progress of a small build).
fn progress_after() -> Duration {
    std::env::var("SOU_PROGRESS_AFTER_MS")
        .ok()
        .and_then(|ms| ms.parse().ok())
        .map_or(Duration::from_secs(1), Duration::from_millis)
}

/// The query as one string: its words, then the exclusions the command line took apart.
fn query_string(words: &[String], excluded: &[String]) -> String {
    let mut parts: Vec<String> = words.to_vec();
    for word in excluded {
        if word.chars().any(char::is_whitespace) && !word.starts_with('"') {
            parts.push(format!("-\"{word}\""));
        } else {
            parts.push(format!("-{word}"));
        }
    }
    parts.join(" ")
}

/// Color only on a terminal with NO_COLOR unset, unless the user said otherwise.
fn use_color(choice: ColorChoice) -> bool {
    match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            std::io::stdout().is_terminal()
                && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
                && std::env::var_os("TERM").is_none_or(|term| term != "dumb")
        }
    }
}
