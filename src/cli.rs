//! The command line as the user types it (clap derive). `main.rs` resolves it into a `Config`
//! and calls the library.

use std::path::PathBuf;

use clap::{Args, CommandFactory, Parser, Subcommand, ValueEnum};

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
    /// File extensions that make a file an article, comma-separated.
    #[arg(
        long,
        global = true,
        value_delimiter = ',',
        default_value = "txt,md",
        value_name = "EXT,..."
    )]
    pub ext: Vec<String>,
    /// Do not leave out what .gitignore and .ignore files exclude.
    #[arg(long, global = true)]
    pub no_ignore: bool,
    /// Follow symbolic links that lead out of the seeds folder.
    #[arg(long, global = true)]
    pub follow_outside: bool,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Bring the index in step with the seeds folder (add, re-index, delete what changed).
    Index {
        /// Re-index every article.
        #[arg(long)]
        rebuild: bool,
        /// Commit after this many bytes of files (tests use it to make interruptions likely).
        #[arg(long, hide = true, value_name = "BYTES")]
        commit_every: Option<u64>,
    },
    /// Keep the index in step with the seeds folder until Ctrl-C, printing a line per sync.
    Watch,
    /// Search, after bringing the index in step. Words must all match; "quotes" match as
    /// written; -word excludes; a OR b accepts either.
    Search {
        /// The query; several arguments form one query.
        #[arg(required_unless_present = "excluded", value_name = "QUERY")]
        query: Vec<String>,
        /// Words given as `-word`: rewritten to this before parsing, so that a query word
        /// starting with `-` is not taken for an option.
        #[arg(long = "exclude", hide = true, value_name = "WORD")]
        excluded: Vec<String>,
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

/// What the command line's definitions say about its options: which take a value (so the next
/// argument is that value, whatever it looks like) and which short flags exist. Asked of clap,
/// never kept by hand.
struct OptionNames {
    take_values: Vec<String>,
    shorts: Vec<char>,
}

impl OptionNames {
    fn of(command: &clap::Command) -> Self {
        let mut names = OptionNames {
            take_values: Vec::new(),
            shorts: Vec::new(),
        };
        let mut add = |command: &clap::Command| {
            for arg in command.get_arguments().filter(|a| !a.is_positional()) {
                let takes_value = arg.get_action().takes_values();
                if let Some(long) = arg.get_long()
                    && takes_value
                {
                    names.take_values.push(format!("--{long}"));
                }
                if let Some(short) = arg.get_short() {
                    names.shorts.push(short);
                    if takes_value {
                        names.take_values.push(format!("-{short}"));
                    }
                }
            }
        };
        add(command);
        for sub in command.get_subcommands() {
            add(sub);
        }
        names.shorts.extend(['h', 'V']);
        names
    }
}

/// Rewrites the `-word` exclusions of a `sou search` command line (`-智慧社会`, `-"安置房 建设"`,
/// `-iphone`, `-2020`) into `--exclude=word`, leaving options, option values and anything after
/// `--` alone. An argument is an exclusion when it starts with one `-` followed by a character
/// that is not one of the command's short flags.
pub fn rewrite_exclusions(args: Vec<std::ffi::OsString>) -> Vec<std::ffi::OsString> {
    let names = OptionNames::of(&Cli::command());
    let mut out = Vec::with_capacity(args.len());
    let mut in_search = false;
    let mut takes_value = false;
    let mut rest_positional = false;
    for (i, arg) in args.into_iter().enumerate() {
        let text = arg.to_str().map(str::to_owned);
        let Some(text) = text.filter(|_| i > 0 && !takes_value && !rest_positional) else {
            takes_value = false;
            out.push(arg);
            continue;
        };
        if text == "--" {
            rest_positional = true;
        } else if names.take_values.contains(&text) {
            takes_value = true;
        } else if !in_search && text == "search" {
            in_search = true;
        } else if in_search
            && let Some(word) = text.strip_prefix('-')
            && word
                .chars()
                .next()
                .is_some_and(|c| c != '-' && !names.shorts.contains(&c))
        {
            out.push(format!("--exclude={word}").into());
            continue;
        }
        out.push(text.into());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rewrite(args: &[&str]) -> Vec<String> {
        rewrite_exclusions(args.iter().map(Into::into).collect())
            .into_iter()
            .map(|a| a.into_string().unwrap())
            .collect()
    }

    #[test]
    fn exclusions_become_options_and_everything_else_stays() {
        assert_eq!(
            rewrite(&[
                "sou",
                "search",
                "智慧产业",
                "-智慧社会",
                "--json",
                "-n",
                "3"
            ]),
            [
                "sou",
                "search",
                "智慧产业",
                "--exclude=智慧社会",
                "--json",
                "-n",
                "3"
            ]
        );
        assert_eq!(
            rewrite(&["sou", "--seeds", "search", "search", "a", "--", "-b"]),
            ["sou", "--seeds", "search", "search", "a", "--", "-b"]
        );
        assert_eq!(rewrite(&["sou", "index", "-智"]), ["sou", "index", "-智"]);
        assert_eq!(rewrite(&["sou", "search", "-"]), ["sou", "search", "-"]);
        // Latin words and numbers are exclusions too, unless they start with a short flag.
        assert_eq!(
            rewrite(&["sou", "search", "苹果", "-iphone", "-2020", "-n5"]),
            [
                "sou",
                "search",
                "苹果",
                "--exclude=iphone",
                "--exclude=2020",
                "-n5"
            ]
        );
    }

    #[test]
    fn the_options_that_take_values_come_from_the_definitions() {
        let names = OptionNames::of(&Cli::command());
        for option in ["--limit", "-n", "--color", "--seeds", "--index"] {
            assert!(names.take_values.iter().any(|n| n == option), "{option}");
        }
        for flag in ["--json", "--no-sync", "--rebuild"] {
            assert!(!names.take_values.iter().any(|n| n == flag), "{flag}");
        }
        assert!(names.shorts.contains(&'n'));
    }

    #[test]
    fn the_rewritten_line_parses() {
        let args = rewrite_exclusions(
            ["sou", "search", "智慧产业", "-智慧社会", "--json"]
                .iter()
                .map(Into::into)
                .collect(),
        );
        let cli = Cli::try_parse_from(args).unwrap();
        let Command::Search {
            query,
            excluded,
            json,
            ..
        } = cli.command
        else {
            panic!("not a search");
        };
        assert_eq!(query, ["智慧产业"]);
        assert_eq!(excluded, ["智慧社会"]);
        assert!(json);
    }
}
