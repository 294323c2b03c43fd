//! The `sou` binary: parses the command line, resolves it, calls the library, prints, and maps
//! the outcome to grep's exit codes (0 found, 1 nothing found, 2 error; 130 interrupted).

mod cli;

use std::io::{IsTerminal, Write};
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use anyhow::Context;
use clap::Parser;
use termcolor::{NoColor, StandardStream};

use cli::{Cli, ColorChoice, Command};
use sou::index::sync::{Progress, SyncOptions, SyncReport};
use sou::watch::WatchEvent;
use sou::{Config, Error, Sou, render};

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
    // A panic (in tantivy, on a damaged index) is reported in one line, without a backtrace.
    std::panic::set_hook(Box::new(|info| {
        let message = match info.payload().downcast_ref::<&str>() {
            Some(text) => text.to_string(),
            None => info
                .payload()
                .downcast_ref::<String>()
                .cloned()
                .unwrap_or_default(),
        };
        let place = info
            .location()
            .map(|l| format!(" at {}:{}", l.file(), l.line()))
            .unwrap_or_default();
        *PANIC.lock().unwrap_or_else(|e| e.into_inner()) = Some(format!("{message}{place}"));
    }));
    let cli = Cli::parse_from(cli::rewrite_exclusions(std::env::args_os().collect()));
    let index = cli.folders.index.clone();
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| run(cli))) {
        Ok(Ok(code)) => code,
        Ok(Err(err)) => {
            if is_broken_pipe(&err) {
                return ExitCode::SUCCESS;
            }
            // sou's errors carry their cause in their message: no chain to append.
            let message = match err.downcast_ref::<Error>() {
                Some(sou_error) => sou_error.to_string(),
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
                "sou: internal error ({}); if the index in {} is damaged, `sou index --rebuild` rebuilds it",
                render::visible(&what),
                render::visible(&index.to_string_lossy())
            );
            ExitCode::from(2)
        }
    }
}

fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|cause| {
        cause
            .downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}

/// The first Ctrl-C asks long operations to stop cleanly; a second one ends the process.
fn stop_on_ctrl_c() {
    let _ = ctrlc::set_handler(|| {
        if INTERRUPTED.swap(true, Ordering::SeqCst) {
            std::process::exit(130);
        }
    });
}

fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let mut config = Config::new(cli.folders.seeds, cli.folders.index);
    config.extensions = cli
        .folders
        .ext
        .iter()
        .map(|e| e.trim().trim_start_matches('.').to_lowercase())
        .filter(|e| !e.is_empty())
        .collect();
    config.respect_ignore_files = !cli.folders.no_ignore;
    config.follow_outside = cli.folders.follow_outside;
    let sou = Sou::new(config);
    match cli.command {
        Command::Index {
            rebuild,
            commit_every,
        } => {
            stop_on_ctrl_c();
            let report = index(&sou, rebuild, commit_every)?;
            warn_skipped(&sou, &report, true);
            writeln!(
                std::io::stdout().lock(),
                "{}",
                render::sync_summary(&report)
            )
            .context(WRITING)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Watch => {
            stop_on_ctrl_c();
            watch(&sou)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Search {
            query,
            excluded,
            limit,
            json,
            no_sync,
            color,
        } => search(
            &sou,
            &query_string(&query, &excluded),
            limit,
            json,
            no_sync,
            color,
        ),
        Command::Stats => stats(&sou),
    }
}

/// `sou index`: waits for another process that holds the index, shows progress on a terminal.
fn index(sou: &Sou, rebuild: bool, commit_every: Option<u64>) -> anyhow::Result<SyncReport> {
    let bar = ProgressLine::new();
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
        match sou.sync_with(&options) {
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
/// types than articles in one line, and, `with_settings`, says what the settings files hold
/// that cannot be used.
fn warn_skipped(sou: &Sou, report: &SyncReport, with_settings: bool) {
    for skipped in report.skipped.iter().filter(|s| !s.other_type) {
        let path = sou::corpus::display_path(&sou.config().seeds, &skipped.key);
        say!(
            "sou: skipped {}: {}",
            render::visible(&path),
            render::visible(&skipped.reason)
        );
    }
    if let Some(line) = render::other_types_line(&report.skipped) {
        say!("sou: {line}");
    }
    for warning in report.warnings.iter().filter(|_| with_settings) {
        say!("sou: {}", render::visible(warning));
    }
}

/// `sou watch`: a line per sync that changed something, until Ctrl-C.
fn watch(sou: &Sou) -> anyhow::Result<()> {
    say!(
        "sou: watching {} (Ctrl-C to stop)",
        render::visible(&sou.config().seeds.to_string_lossy())
    );
    let seeds = render::visible(&sou.config().seeds.to_string_lossy()).into_owned();
    let mut first = true;
    // A failure retried every half second is said once, not every time.
    let mut last_error: Option<String> = None;
    sou.watch(&INTERRUPTED, &mut |event| match event {
        WatchEvent::Synced(Ok(report)) => {
            last_error = None;
            warn_skipped(sou, &report, first);
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
    })?;
    Ok(())
}

fn search(
    sou: &Sou,
    raw: &str,
    limit: usize,
    json: bool,
    no_sync: bool,
    color: ColorChoice,
) -> anyhow::Result<ExitCode> {
    let outcome = sou.search(raw, limit, !no_sync)?;
    if let Some(busy) = &outcome.busy {
        say!(
            "sou: {}; searching the index as last committed",
            render::visible(&busy.to_string())
        );
    }
    if let Some(report) = outcome.sync.as_ref().filter(|r| r.changed_anything()) {
        say!("sou: index updated: {}", render::sync_summary(report));
    }
    let results = outcome.results;
    let stdout = std::io::stdout();
    if json {
        let mut out = stdout.lock();
        render::json::write_json(&mut out, &results).context(WRITING)?;
        out.flush().context(WRITING)?;
    } else {
        // How the query was read and how many passages matched go to stderr, so that a pipe
        // sees hits only; on a terminal they stand before and after the hits.
        if let Some(line) = render::reading_line(&results) {
            say!("{line}\n");
        }
        if use_color(color) {
            let mut out = StandardStream::stdout(termcolor::ColorChoice::Always);
            render::write_text(&mut out, &results).context(WRITING)?;
            out.flush().context(WRITING)?;
        } else {
            let mut out = NoColor::new(stdout.lock());
            render::write_text(&mut out, &results).context(WRITING)?;
            out.flush().context(WRITING)?;
        }
        say!("{}", render::summary_line(&results));
    }
    Ok(if results.hits.is_empty() {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

fn stats(sou: &Sou) -> anyhow::Result<ExitCode> {
    let stats = sou.stats()?;
    let mut out = std::io::stdout().lock();
    render::write_stats(&mut out, &stats, &sou.config().index, &sou.config().seeds)
        .context(WRITING)?;
    out.flush().context(WRITING)?;
    Ok(ExitCode::SUCCESS)
}

/// A progress bar on stderr for builds that take more than about a second, only on a terminal.
struct ProgressLine {
    bar: Option<indicatif::ProgressBar>,
    started: Instant,
}

impl ProgressLine {
    fn new() -> Self {
        let bar = std::io::stderr().is_terminal().then(|| {
            let bar = indicatif::ProgressBar::hidden();
            bar.set_style(
                indicatif::ProgressStyle::with_template(
                    "{bar:30} {msg} {binary_bytes}/{binary_total_bytes} {binary_bytes_per_sec} ETA {eta}",
                )
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
            );
            bar
        });
        ProgressLine {
            bar,
            started: Instant::now(),
        }
    }

    fn update(&self, progress: Progress) {
        let Some(bar) = &self.bar else { return };
        if bar.is_hidden() && self.started.elapsed() > Duration::from_secs(1) {
            bar.set_draw_target(indicatif::ProgressDrawTarget::stderr());
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

/// The query as one string: its words, then the exclusions the command line took apart.
fn query_string(words: &[String], excluded: &[String]) -> String {
    let mut parts: Vec<String> = words.to_vec();
    for word in excluded {
        if word.chars().any(char::is_whitespace) {
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
        }
    }
}
