//! The command line as the user types it (clap derive). `main.rs` resolves it into a `Config`
//! and calls the library.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// sou (搜): search a folder of Chinese articles. The index follows the folder by itself.
#[derive(Debug, Parser)]
#[command(name = "sou", version, about, long_about = None)]
pub struct Cli {
    /// Folders to work on.
    #[command(flatten)]
    pub folders: Folders,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The seeds and index folders, accepted by every subcommand.
#[derive(Debug, Args)]
pub struct Folders {
    /// The folder of articles (.txt and .md files, searched recursively).
    #[arg(
        long,
        global = true,
        env = "SOU_SEEDS",
        default_value = "./seeds",
        value_name = "DIR"
    )]
    pub seeds: PathBuf,
    /// The folder where the index is kept.
    #[arg(
        long,
        global = true,
        env = "SOU_INDEX",
        default_value = "./index",
        value_name = "DIR"
    )]
    pub index: PathBuf,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Bring the index in step with the seeds folder (add, re-index, delete what changed).
    Index {
        /// Re-index every article.
        #[arg(long)]
        rebuild: bool,
    },
    /// Search, after bringing the index in step. Words must all match; "quotes" match as
    /// written; -word excludes; a OR b accepts either.
    Search {
        /// The query; several arguments form one query.
        #[arg(required = true, allow_hyphen_values = true, value_name = "QUERY")]
        query: Vec<String>,
        /// How many passages to show.
        #[arg(long, short = 'n', default_value_t = 10, value_name = "N")]
        limit: usize,
        /// Print one JSON object instead of text.
        #[arg(long)]
        json: bool,
        /// Search the index as it is, without syncing first.
        #[arg(long)]
        no_sync: bool,
        /// When to color the output.
        #[arg(long, value_enum, default_value_t = ColorChoice::Auto, value_name = "WHEN")]
        color: ColorChoice,
    },
    /// Show what the index holds.
    Stats,
}

/// When to color text output.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    /// When stdout is a terminal and NO_COLOR is unset.
    Auto,
    /// Always.
    Always,
    /// Never.
    Never,
}
