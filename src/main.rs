//! The `sou` binary: parses the command line, resolves it, calls the library, prints, and maps
//! the outcome to grep's exit codes (0 found, 1 nothing found, 2 error).

mod cli;

use std::io::{IsTerminal, Write};
use std::process::ExitCode;

use anyhow::Context;
use clap::Parser;
use termcolor::{NoColor, StandardStream};

use cli::{Cli, ColorChoice, Command};
use sou::{Config, Sou, render};

fn main() -> ExitCode {
    let cli = Cli::parse_from(cli::rewrite_exclusions(std::env::args_os().collect()));
    match run(cli) {
        Ok(code) => code,
        Err(err) => {
            if is_broken_pipe(&err) {
                return ExitCode::SUCCESS;
            }
            eprintln!("sou: {err:#}");
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

fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let config = Config::new(cli.folders.seeds, cli.folders.index);
    let sou = Sou::new(config);
    match cli.command {
        Command::Index { rebuild } => {
            let report = sou.sync(rebuild, None, None)?;
            for skipped in &report.skipped {
                let path = sou::search::display_path(&sou.config().seeds, &skipped.key);
                eprintln!("sou: skipped {path}: {}", skipped.reason);
            }
            println!("{}", render::sync_summary(&report));
            Ok(ExitCode::SUCCESS)
        }
        Command::Search {
            query,
            excluded,
            limit,
            json,
            no_sync,
            color,
        } => {
            let raw = query_string(&query, &excluded);
            let outcome = sou.search(&raw, limit, !no_sync)?;
            if let Some(busy) = &outcome.busy {
                eprintln!("sou: {busy}; searching the index as last committed");
            }
            if let Some(report) = outcome.sync.as_ref().filter(|r| r.changed_anything()) {
                eprintln!("sou: index updated: {}", render::sync_summary(report));
            }
            let results = outcome.results.context("no results")?;
            let stdout = std::io::stdout();
            if json {
                let mut out = stdout.lock();
                render::json::write_json(&mut out, &results)?;
                out.flush()?;
            } else if use_color(color) {
                let mut out = StandardStream::stdout(termcolor::ColorChoice::Always);
                render::write_text(&mut out, &results)?;
                out.flush()?;
            } else {
                let mut out = NoColor::new(stdout.lock());
                render::write_text(&mut out, &results)?;
                out.flush()?;
            }
            Ok(if results.total > 0 {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            })
        }
        Command::Stats => {
            let stats = sou.stats()?;
            let mut out = std::io::stdout().lock();
            writeln!(out, "index:     {}", sou.config().index.display())?;
            writeln!(out, "articles:  {}", stats.articles)?;
            writeln!(out, "passages:  {}", stats.passages)?;
            writeln!(out, "words:     {} distinct", stats.distinct_words)?;
            writeln!(out, "size:      {:.1} MB", stats.index_bytes as f64 / 1e6)?;
            let synced = stats.synced_at.map_or_else(
                || "never".to_string(),
                |secs| {
                    let time = std::time::UNIX_EPOCH + std::time::Duration::from_secs(secs);
                    humantime::format_rfc3339_seconds(time).to_string()
                },
            );
            let state = if stats.complete {
                ""
            } else {
                " (interrupted: run `sou index`)"
            };
            writeln!(out, "synced:    {synced}{state}")?;
            writeln!(out, "skipped:   {}", stats.skipped.len())?;
            for skipped in &stats.skipped {
                let path = sou::search::display_path(&sou.config().seeds, &skipped.key);
                writeln!(out, "  {path}: {}", skipped.reason)?;
            }
            Ok(ExitCode::SUCCESS)
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
