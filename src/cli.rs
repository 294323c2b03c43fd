//! The command line as the user types it (clap derive). `main.rs` resolves it into a `Config`
//! and calls the library.

use std::path::PathBuf;

use clap::{Args, CommandFactory, Parser, Subcommand, ValueEnum};

/// Examples shown at the end of `sou --help`.
const EXAMPLES: &str = "\
Examples:
  sou 安置房                         search ./seeds (the index is built or updated first)
  sou 高新区安置房 ~/news ~/reports    search your own folders of articles
  sou '智慧产业 -智慧社会' -l          a word left out, files only
  vim -q <(sou 安置房 --vimgrep)       jump to every hit in vim";

/// Examples shown at the end of `sou search --help`.
const SEARCH_EXAMPLES: &str = "\
Examples:
  sou 安置房什么时候建成 -n 5          words, questions and titles find the article
  sou '\"智慧产业\" -智慧社会' -l        as written, excluding a word, files only
  sou '苹果 -iphone' news            a Latin word is excluded inside the query
  sou 安置房 -g 'policy/**' --json   only files below policy/, as JSON
  sou 安置房 news/0001.txt -C 1      one file, with a passage of context";

/// Examples shown at the end of `sou serve --help`.
const SERVE_EXAMPLES: &str = "\
Examples:
  sou serve                        the page at http://127.0.0.1:8700/ over ./seeds
  sou serve ~/news --port 9000     another folder, another port
  curl 'http://127.0.0.1:8700/api/search?q=安置房&n=5'";

/// sou (搜): search a folder of Chinese articles. The index follows the folder by itself.
#[derive(Debug, Parser)]
#[command(
    name = "sou",
    version,
    about,
    long_about = None,
    after_help = EXAMPLES,
    arg_required_else_help = true,
    override_usage = "sou [OPTIONS] <QUERY> [PATH]...\n       sou <COMMAND>"
)]
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
    /// The folder of articles (.txt and .md files, searched recursively); a folder given after
    /// the command does the same [default: $SOU_SEEDS, else ./seeds].
    #[arg(long, global = true, value_name = "DIR")]
    pub seeds: Option<PathBuf>,
    /// The folder where the index is kept [default: $SOU_INDEX, else ./index for ./seeds, else a
    /// folder of the user's cache named after the seeds folder].
    #[arg(long, global = true, value_name = "DIR")]
    pub index: Option<PathBuf>,
    /// File extensions that make a file an article, comma-separated [default: $SOU_EXT, else
    /// txt,md].
    #[arg(long, global = true, value_delimiter = ',', value_name = "EXT,...")]
    pub ext: Option<Vec<String>>,
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
        /// The seeds folder (as --seeds).
        #[arg(value_name = "DIR")]
        folder: Option<PathBuf>,
        /// Re-index every article.
        #[arg(long)]
        rebuild: bool,
        /// Commit after this many bytes of files (tests use it to make interruptions likely).
        #[arg(long, hide = true, value_name = "BYTES")]
        commit_every: Option<u64>,
        /// Send the folder to the OpenSearch index at this address
        /// (http(s)://HOST:PORT/INDEX) instead of building a local index: analyzed by sou, so
        /// the cluster needs no Chinese plugin. Only what changed since the last export is
        /// sent. Credentials and CA as for `sou search --server`.
        #[arg(long, value_name = "URL")]
        to: Option<String>,
        /// With --to: primary shards of an index created now.
        #[arg(long, value_name = "N", default_value_t = 1, requires = "to")]
        shards: u32,
        /// With --to: replicas of each shard of an index created now.
        #[arg(long, value_name = "N", default_value_t = 1, requires = "to")]
        replicas: u32,
        /// With --to: send a bulk request when it holds this many bytes (tests use it to make
        /// a kill land between requests).
        #[arg(long, hide = true, value_name = "BYTES", requires = "to")]
        bulk_bytes: Option<usize>,
    },
    /// Keep the index in step with the seeds folder until Ctrl-C, printing a line per sync.
    Watch {
        /// The seeds folder (as --seeds).
        #[arg(value_name = "DIR")]
        folder: Option<PathBuf>,
    },
    /// Search, after bringing the index in step: the first argument that is not an option is
    /// the query, every later one a path. `sou QUERY [PATH]...` is short for this.
    #[command(
        after_help = SEARCH_EXAMPLES,
        override_usage = "sou [OPTIONS] <QUERY> [PATH]...\n       sou search [OPTIONS] <QUERY> [PATH]...\n       sou [OPTIONS] -e <QUERY> [PATH]..."
    )]
    Search(SearchArgs),
    /// Show what the index holds.
    Stats {
        /// The seeds folder (as --seeds).
        #[arg(value_name = "DIR")]
        folder: Option<PathBuf>,
        /// Print one JSON object instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Serve a search page and a JSON API over HTTP, keeping the index in step with the
    /// folder (as `watch` does), until Ctrl-C.
    #[command(after_help = SERVE_EXAMPLES)]
    Serve {
        /// The seeds folder (as --seeds).
        #[arg(value_name = "DIR")]
        folder: Option<PathBuf>,
        /// The port to listen on (0: any free port; the address is printed).
        #[arg(long, short = 'p', default_value_t = 8700, value_name = "N")]
        port: u16,
        /// The address to listen on. Any other than a loopback one lets everyone who can
        /// reach it read the folder.
        #[arg(long, default_value = "127.0.0.1", value_name = "ADDR")]
        bind: std::net::IpAddr,
    },
    /// Print a completion script for a shell (bash, zsh, fish, powershell, elvish).
    Completions {
        /// The shell.
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff), for `man -l -` or a man folder: sou(1), or with a command
    /// its own page (`sou man search` is sou-search(1)).
    Man {
        /// The command whose page to print.
        #[arg(value_parser = ["index", "watch", "search", "stats", "serve", "completions", "man"])]
        command: Option<String>,
    },
}

/// What `sou search` takes.
#[derive(Debug, Args)]
pub struct SearchArgs {
    /// The query: one argument (quote a query of several words: '安置房 -建设'). Words must
    /// all match; "quotes" match as written; -word excludes; a OR b accepts either.
    #[arg(required_unless_present_any = ["excluded", "query_option"], value_name = "QUERY")]
    pub query: Option<std::ffi::OsString>,
    /// Files and folders to search [default: $SOU_SEEDS, else ./seeds when it exists, else the
    /// current folder]. Each folder keeps its own index; a file is searched in the index of the
    /// folder holding it. With --server, by their path inside the folder sent (news/2024).
    #[arg(value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    /// The query, given as an option (as ripgrep's -e): every argument is then a path.
    #[arg(long = "query", short = 'e', value_name = "QUERY")]
    pub query_option: Option<String>,
    /// Words given as `-智慧社会`, a CJK word after a dash (no option is CJK): rewritten to
    /// this before parsing.
    #[arg(long = "exclude", hide = true, value_name = "WORD")]
    pub excluded: Vec<String>,
    /// How many passages to show [default: 10] (with -l, how many files [default: all of them]).
    #[arg(long, short = 'n', value_name = "N", allow_negative_numbers = true)]
    pub limit: Option<usize>,
    /// Print one JSON object instead of text.
    #[arg(long, conflicts_with_all = ["vimgrep", "files_with_matches", "count", "quiet"])]
    pub json: bool,
    /// One line per hit, `path:line:column:text`, as vim's `-q`, Emacs and VS Code read it.
    #[arg(long, conflicts_with_all = ["files_with_matches", "count", "quiet"])]
    pub vimgrep: bool,
    /// Print the paths of the files with hits, one per line, best first.
    #[arg(long, short = 'l', conflicts_with_all = ["count", "quiet"])]
    pub files_with_matches: bool,
    /// Print how many passages match.
    #[arg(long, short = 'c', conflicts_with = "quiet")]
    pub count: bool,
    /// Print nothing: the exit status says whether something was found.
    #[arg(long, short = 'q')]
    pub quiet: bool,
    /// Accepted as ripgrep's flag, and changes nothing: sou always folds case (and width, and
    /// traditional characters to simplified).
    #[arg(long, short = 'i')]
    pub ignore_case: bool,
    /// Only files whose path in the seeds folder matches this glob (`policy/**`); a glob
    /// starting with `!` leaves files out. Repeatable.
    #[arg(long, short = 'g', value_name = "GLOB")]
    pub glob: Vec<String>,
    /// Search the OpenSearch index at this address (http(s)://HOST:PORT/INDEX) that
    /// `sou index --to` filled, instead of a local index; credentials come from the
    /// environment (SOU_CLUSTER_API_KEY, SOU_CLUSTER_USER and SOU_CLUSTER_PASSWORD, or
    /// SOU_CLUSTER_CREDENTIALS naming a file), a CA from SOU_CLUSTER_CA.
    #[arg(long, value_name = "URL", env = "SOU_SERVER")]
    pub server: Option<String>,
    /// With --server: print each query sent to the cluster (JSON, on stderr).
    #[arg(long, requires = "server")]
    pub explain: bool,
    /// Search the index as it is, without syncing first.
    #[arg(long)]
    pub no_sync: bool,
    /// Only files of this type (as ripgrep's -t; repeatable): txt, md (.md, .markdown), html
    /// (.html, .htm, .xhtml), pdf, docx, odt, epub. Only what --ext indexes is searched.
    #[arg(long = "type", short = 't', value_name = "TYPE",
          value_parser = ["txt", "md", "html", "pdf", "docx", "odt", "epub"])]
    pub types: Vec<String>,
    /// At most N hits from one file (as ripgrep's -m): the next best file's come instead.
    /// Text, --json and --vimgrep only.
    #[arg(long, short = 'm', value_name = "N", value_parser = clap::value_parser!(u64).range(1..),
          conflicts_with_all = ["files_with_matches", "count", "quiet"])]
    pub max_count: Option<u64>,
    /// Find the query as written, one string (as grep -F): no word reading, no exclusions
    /// or OR; case, width and traditional characters are still folded.
    #[arg(long, short = 'F')]
    pub fixed_strings: bool,
    /// Only hits whose words stand on jieba word boundaries (as grep's -w on words): 和服 is
    /// not found in 管理和服务.
    #[arg(long, short = 'w')]
    pub word_regexp: bool,
    /// Show N passages of the article after each hit.
    #[arg(long, short = 'A', value_name = "N", conflicts_with_all = ["files_with_matches", "count", "quiet", "vimgrep"])]
    pub after_context: Option<usize>,
    /// Show N passages of the article before each hit.
    #[arg(long, short = 'B', value_name = "N", conflicts_with_all = ["files_with_matches", "count", "quiet", "vimgrep"])]
    pub before_context: Option<usize>,
    /// Show N passages of the article before and after each hit (-A and -B win over it).
    #[arg(long, short = 'C', value_name = "N", conflicts_with_all = ["files_with_matches", "count", "quiet", "vimgrep"])]
    pub context: Option<usize>,
    /// When to color the output.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto, value_name = "WHEN")]
    pub color: ColorChoice,
    /// The order of the hits shown: best first, or by path and line (the same best N).
    #[arg(long, value_enum, default_value_t = SortBy::Rank, value_name = "BY")]
    pub sort: SortBy,
}

/// The order `--sort` shows hits in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SortBy {
    /// Best first.
    Rank,
    /// By file path, then line (as `rg --sort path`).
    Path,
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
    /// Whether `-word` reads as short flags: a short option that takes a value (`-n5`), or
    /// only short flags (`-lq`). Anything else (`-iphone`, `-智慧社会`) is an exclusion.
    fn are_short_flags(&self, word: &str) -> bool {
        let Some(first) = word.chars().next() else {
            return false;
        };
        self.take_values.contains(&format!("-{first}"))
            || word.chars().all(|c| self.shorts.contains(&c))
    }

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

/// The command line as clap should see it: `sou QUERY` becomes `sou search QUERY`, and the
/// `-智慧社会` exclusions of a search become options (see [`rewrite_exclusions`]). An error
/// names an argument that reads as neither an option nor an exclusion.
pub fn rewrite_args(args: Vec<std::ffi::OsString>) -> Result<Vec<std::ffi::OsString>, String> {
    rewrite_exclusions(insert_search(args))
}

/// Inserts `search` before the first argument that is neither a global option (or its value)
/// nor a subcommand: `sou 安置房`, `sou --seeds ~/news 安置房 -n 3`.
fn insert_search(mut args: Vec<std::ffi::OsString>) -> Vec<std::ffi::OsString> {
    let command = Cli::command();
    let globals: Vec<&clap::Arg> = command.get_arguments().collect();
    let is_global = |text: &str| {
        let name = text.split_once('=').map_or(text, |(name, _)| name);
        matches!(name, "-h" | "--help" | "-V" | "--version")
            || globals.iter().any(|arg| {
                arg.get_long()
                    .is_some_and(|long| name == format!("--{long}"))
                    || arg
                        .get_short()
                        .is_some_and(|short| name == format!("-{short}"))
            })
    };
    let takes_value = |text: &str| {
        !text.contains('=')
            && globals.iter().any(|arg| {
                arg.get_action().takes_values()
                    && arg
                        .get_long()
                        .is_some_and(|long| text == format!("--{long}"))
            })
    };
    let mut i = 1;
    while let Some(arg) = args.get(i) {
        let Some(text) = arg.to_str() else { break };
        if is_global(text) {
            i += if takes_value(text) { 2 } else { 1 };
            continue;
        }
        let subcommand = command
            .get_subcommands()
            .any(|sub| sub.get_name() == text || sub.get_all_aliases().any(|a| a == text))
            || text == "help";
        if !subcommand {
            args.insert(i, "search".into());
        }
        break;
    }
    args
}

/// Rewrites the exclusions of a `sou search` command line given as arguments of their own
/// (`-智慧社会`, `-"安置房 建设"`, `-2020`: a dash then a character no option starts with) into
/// `--exclude=word`, leaving options, option values and anything after `--` alone. A dash then a
/// Latin letter is an option, as in ripgrep: when it is none of sou's, the error says how to
/// exclude a Latin word instead (inside the query: `'苹果 -iphone'`).
fn rewrite_exclusions(args: Vec<std::ffi::OsString>) -> Result<Vec<std::ffi::OsString>, String> {
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
            && let Some(first) = word.chars().next()
            && first != '-'
        {
            if !first.is_ascii_alphabetic() {
                out.push(format!("--exclude={word}").into());
                continue;
            }
            if !names.are_short_flags(word) {
                return Err(format!(
                    "unexpected argument '{text}': sou has no such option; to leave out a Latin word, put it in the query, as in sou 'QUERY {text}'"
                ));
            }
        }
        out.push(text.into());
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rewrite(args: &[&str]) -> Vec<String> {
        rewrite_args(args.iter().map(Into::into).collect())
            .unwrap()
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
        // A query without a subcommand is a search.
        assert_eq!(rewrite(&["sou", "安置房"]), ["sou", "search", "安置房"]);
        assert_eq!(
            rewrite(&["sou", "--seeds", "x", "安置房", "-n", "3", "-建设"]),
            [
                "sou",
                "--seeds",
                "x",
                "search",
                "安置房",
                "-n",
                "3",
                "--exclude=建设"
            ]
        );
        assert_eq!(
            rewrite(&["sou", "--seeds=x", "-n", "3", "安置房"]),
            ["sou", "--seeds=x", "search", "-n", "3", "安置房"]
        );
        for line in [
            &["sou", "stats"][..],
            &["sou", "--help"],
            &["sou", "help", "search"],
        ] {
            assert_eq!(rewrite(line), line);
        }
        assert_eq!(rewrite(&["sou", "search", "-"]), ["sou", "search", "-"]);
        // Numbers are exclusions too; Latin letters are options, as in ripgrep.
        assert_eq!(
            rewrite(&["sou", "search", "苹果", "-2020", "-n5", "-lq", "-iw", "-C2"]),
            [
                "sou",
                "search",
                "苹果",
                "--exclude=2020",
                "-n5",
                "-lq",
                "-iw",
                "-C2"
            ]
        );
        for line in [
            &["sou", "苹果", "-iphone"][..],
            &["sou", "search", "苹果", "-law"],
        ] {
            let args = line.iter().map(Into::into).collect();
            let err = rewrite_args(args).unwrap_err();
            assert!(err.contains(line[line.len() - 1]), "{err}");
            assert!(err.contains("in the query"), "{err}");
        }
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
        let args = rewrite_args(
            ["sou", "智慧产业", "-智慧社会", "news", "--json", "old"]
                .iter()
                .map(Into::into)
                .collect(),
        )
        .unwrap();
        let cli = Cli::try_parse_from(args).unwrap();
        let Command::Search(search) = cli.command else {
            panic!("not a search");
        };
        assert_eq!(search.query.as_deref(), Some("智慧产业".as_ref()));
        assert_eq!(search.paths, [PathBuf::from("news"), PathBuf::from("old")]);
        assert_eq!(search.excluded, ["智慧社会"]);
        assert!(search.json);
    }
}
