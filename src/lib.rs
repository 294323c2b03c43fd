//! sou (搜): a search engine for folders of Chinese text.
//!
//! Data flows one way: files ([`corpus`]: walk, read each format, cut into passages that know
//! where they stand in their file) → terms ([`analysis`]: folding, jieba words, and the gram
//! contract that says what a passage is indexed as and how a string is found in it) → a tantivy
//! index ([`index`]: the documents, the manifest, the incremental sync) → ranked hits
//! ([`search`]: query language, tiers over BM25, highlights, a [`search::Session`] on one
//! commit) → output ([`render`]: text and JSON). An [`Engine`] made from a [`Config`] is the one
//! entry: it syncs, opens sessions for many searches (what a server keeps), and runs one search
//! with a sync before it (what the command line does); [`watch`] re-runs a sync when the folder
//! changes. The library never prints and never reads the environment.
#![warn(missing_docs)]

pub mod analysis;
pub mod cluster;
pub mod corpus;
mod engine;
pub mod error;
pub mod index;
pub mod render;
pub mod search;
pub mod serve;
pub mod units;
mod version;
pub mod watch;

pub use engine::{Config, Engine, SearchOutcome};
pub use error::{Error, Op, Result};
pub use index::Stats;
pub use index::sync::{Progress, SyncOptions, SyncReport};
pub use search::{Results, SearchOptions, Session};
pub use watch::WatchEvent;
