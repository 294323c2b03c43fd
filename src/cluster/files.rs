//! Files sou keeps in a cluster index beside the passages, as a local index keeps its sidecars
//! in its folder ([`crate::index::sidecar`]): the corpus words by pinyin, from which a search
//! reads homophone typos and pinyin, the folder's synonyms, and its user dictionary, with which
//! a search cuts the query as the passages were cut.
//!
//! A file is a head document (`kind: file`, its name, its version — a hash of its bytes — and
//! how many parts it has) and its parts (`kind: file-part`, a MiB each, base64 in a `binary`
//! field that is stored, never indexed). The parts of a new version are written before the
//! head names them, and the old version's parts are deleted after: a reader finds one whole
//! version or the other, whatever stops a send. Parts are read by id (`_mget`), which is
//! real-time.
//!
//! A search reads the heads in an aggregation of its first request ([`heads_aggregation`]),
//! which sees what the last refresh made visible ([`store`] refreshes before it deletes an old
//! version's parts); the bytes are fetched once per version and kept in the cache folder
//! (`cluster/HASH-OF-THE-INDEX-ADDRESS/NAME-VERSION`), where a search maps them as a local one
//! maps its sidecar; the pinyin only when the query has a term to read anew.

use std::path::Path;

use base64::Engine as _;
use serde_json::{Value, json};

use super::Cluster;
use crate::Result;
use crate::analysis::UserWords;
use crate::analysis::dictionary::Dictionary;
use crate::index::sidecar::{self, Mapped};

/// The name of the corpus words by pinyin (see [`crate::index::sidecar::keep_pinyin`]).
pub(crate) const PINYIN: &str = "pinyin";
/// The name of the folder's synonyms, parsed (see [`crate::search::Synonyms::kept_bytes`]).
pub(crate) const SYNONYMS: &str = "synonyms";
/// The name of the folder's user dictionary as jieba resolves it: the dictionary's total
/// frequency (8 bytes, little-endian), the longest word (8 bytes) and the FST of
/// [`sidecar::user_words_fst`]; no bytes for a folder without one.
pub(crate) const USER_WORDS: &str = "user-words";
/// What stands for the synonyms file's size and times in the parsed form a cluster keeps:
/// the version of the parsed form is what tells it apart.
pub(crate) const STAMP: [u64; 4] = [0; 4];

/// Bytes of a file in one part.
const PART_BYTES: usize = 1 << 20;

/// The head of a file: which version is current, in how many parts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Head {
    version: String,
    parts: usize,
}

/// The id of the head document of `name`.
fn head_id(name: &str) -> String {
    format!("sou-file-{name}")
}

/// The id of part `part` of version `version` of `name`.
fn part_id(name: &str, version: &str, part: usize) -> String {
    format!("sou-file-{name}-{version}-{part}")
}

/// The version of a file whose bytes are `bytes`.
fn version_of(bytes: &[u8]) -> String {
    format!("{:032x}", xxhash_rust::xxh3::xxh3_128(bytes))
}

/// The head of `name`, when the index holds the file.
fn head(cluster: &Cluster, name: &str) -> Result<Option<Head>> {
    let answer = cluster.call("GET", &format!("/_doc/{}", head_id(name)), None)?;
    if answer.status == 404 {
        return Ok(None);
    }
    if !(200..300).contains(&answer.status) {
        return Err(cluster.refused(&answer));
    }
    Ok(head_of(&answer.body["_source"]))
}

/// The head a head document's source holds.
fn head_of(source: &Value) -> Option<Head> {
    Some(Head {
        version: source["version"].as_str()?.to_string(),
        parts: usize::try_from(source["parts"].as_u64()?).ok()?,
    })
}

/// The bytes of the version `head` names.
fn bytes_of(cluster: &Cluster, name: &str, head: &Head) -> Result<Vec<u8>> {
    let ids: Vec<String> = (0..head.parts)
        .map(|part| part_id(name, &head.version, part))
        .collect();
    let answer = cluster.ok("POST", "/_mget", Some(&json!({"ids": ids})))?;
    let mut bytes = Vec::new();
    let docs = answer["docs"].as_array().cloned().unwrap_or_default();
    for (part, doc) in docs.iter().enumerate() {
        let blob = doc
            .pointer("/_source/blob")
            .and_then(Value::as_str)
            .ok_or_else(|| {
                cluster.error(format!(
                    "part {part} of sou's {name} file (version {}) is missing",
                    head.version
                ))
            })?;
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(blob)
            .map_err(|err| cluster.error(format!("part {part} of sou's {name} file: {err}")))?;
        bytes.extend_from_slice(&decoded);
    }
    if docs.len() != head.parts || version_of(&bytes) != head.version {
        return Err(cluster.error(format!(
            "sou's {name} file does not match its version {} (sent again by the next sou index --to)",
            head.version
        )));
    }
    Ok(bytes)
}

/// The bytes of `name` as the index holds them, when it does.
pub(crate) fn fetch(cluster: &Cluster, name: &str) -> Result<Option<Vec<u8>>> {
    match head(cluster, name)? {
        Some(head) => bytes_of(cluster, name, &head).map(Some),
        None => Ok(None),
    }
}

/// Makes `bytes` the file `name` of the index: its parts, then its head, then the old
/// version's parts deleted. Nothing is sent when the index holds these bytes already.
pub(crate) fn store(cluster: &Cluster, name: &str, bytes: &[u8]) -> Result<()> {
    let old = head(cluster, name)?;
    let version = version_of(bytes);
    if old.as_ref().is_some_and(|old| old.version == version) {
        return Ok(());
    }
    let chunks: Vec<&[u8]> = match bytes.is_empty() {
        true => vec![&[]],
        false => bytes.chunks(PART_BYTES).collect(),
    };
    let mut body = String::new();
    for (part, chunk) in chunks.iter().enumerate() {
        let doc = json!({
            "kind": "file-part", "name": name, "version": version, "part": part,
            "blob": base64::engine::general_purpose::STANDARD.encode(chunk),
        });
        body.push_str(&json!({"index": {"_id": part_id(name, &version, part)}}).to_string());
        body.push('\n');
        body.push_str(&doc.to_string());
        body.push('\n');
    }
    super::export::send_bulk(cluster, body)?;
    let doc = json!({"kind": "file", "name": name, "version": version, "parts": chunks.len()});
    cluster.ok("PUT", &format!("/_doc/{}", head_id(name)), Some(&doc))?;
    if let Some(old) = old {
        // A search reads heads through a search (see [`heads_aggregation`]): the new one must
        // be visible, on every copy, before the old parts go. Replicas still behind after
        // the wait are said by the send's own last wait.
        cluster.refresh_all_copies()?;
        let mut body = String::new();
        for part in 0..old.parts {
            let id = part_id(name, &old.version, part);
            body.push_str(&json!({"delete": {"_id": id}}).to_string());
            body.push('\n');
        }
        super::export::send_bulk(cluster, body)?;
    }
    Ok(())
}

/// The id of the mark that a send has not yet kept its part of `name`.
fn pending_id(name: &str) -> String {
    format!("sou-pending-{name}")
}

/// Marks `name` as not yet holding what a send is sending.
pub(crate) fn mark_pending(cluster: &Cluster, name: &str) -> Result<()> {
    let doc = json!({"kind": "file", "name": name});
    cluster
        .ok("PUT", &format!("/_doc/{}", pending_id(name)), Some(&doc))
        .map(drop)
}

/// Whether a send marked `name` pending and stopped before it kept it.
pub(crate) fn is_pending(cluster: &Cluster, name: &str) -> Result<bool> {
    let answer = cluster.call("GET", &format!("/_doc/{}", pending_id(name)), None)?;
    match answer.status {
        404 => Ok(false),
        200..300 => Ok(answer.body["found"].as_bool() != Some(false)),
        _ => Err(cluster.refused(&answer)),
    }
}

/// Clears the mark of [`mark_pending`].
pub(crate) fn clear_pending(cluster: &Cluster, name: &str) -> Result<()> {
    let answer = cluster.call("DELETE", &format!("/_doc/{}", pending_id(name)), None)?;
    match answer.status {
        200..300 | 404 => Ok(()),
        _ => Err(cluster.refused(&answer)),
    }
}

/// An aggregation that reads the heads of `names` along with a search whose query leaves
/// them in (one round trip fewer than asking for them by id); read back with [`heads_from`].
pub(crate) fn heads_aggregation(names: &[&str]) -> Value {
    let ids: Vec<String> = names.iter().map(|name| head_id(name)).collect();
    json!({
        "filter": {"ids": {"values": ids}},
        "aggs": {"heads": {"top_hits": {"size": names.len(), "_source": ["name", "version", "parts"]}}},
    })
}

/// The heads of `names` that `aggregation`, the answer to [`heads_aggregation`], holds.
pub(crate) fn heads_from(aggregation: &Value, names: &[&str]) -> Vec<Option<Head>> {
    let hits = aggregation
        .pointer("/heads/hits/hits")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default();
    names
        .iter()
        .map(|name| {
            hits.iter()
                .map(|hit| &hit["_source"])
                .find(|source| source["name"].as_str() == Some(name))
                .and_then(head_of)
        })
        .collect()
}

/// The bytes of the version of `name` that `head` names: from `cache`, where they are kept
/// once fetched (`cluster/HASH-OF-THE-INDEX-ADDRESS/NAME-VERSION`), else from the index.
pub(crate) fn local_copy(
    cluster: &Cluster,
    cache: Option<&Path>,
    name: &str,
    head: &Head,
) -> Result<Mapped> {
    let Some(cache) = cache else {
        return bytes_of(cluster, name, head).map(Mapped::Read);
    };
    let target = cluster.target();
    let address = format!("{}/{}", target.base, target.index);
    let dir = cache.join("cluster").join(format!(
        "{:016x}",
        xxhash_rust::xxh3::xxh3_64(address.as_bytes())
    ));
    let file_name = format!("{name}-{}", head.version);
    let path = dir.join(&file_name);
    if let Ok(mapped) = sidecar::map(&path) {
        return Ok(mapped);
    }
    let bytes = bytes_of(cluster, name, head)?;
    // A cache that cannot be written costs the next search a fetch, nothing more.
    if std::fs::create_dir_all(&dir).is_ok()
        && sidecar::write_atomically(&dir, &file_name, &bytes).is_ok()
    {
        // The versions before it are of no more use.
        for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
            let other = entry.file_name();
            let other = other.to_string_lossy();
            if other != file_name && other.starts_with(&format!("{name}-")) {
                let _ = std::fs::remove_file(entry.path());
            }
        }
    }
    Ok(Mapped::Read(bytes))
}

/// The bytes of [`USER_WORDS`] for `words`.
pub(crate) fn user_words_bytes(words: &UserWords) -> std::io::Result<Vec<u8>> {
    let Some((fst, longest)) = sidecar::user_words_fst(words)? else {
        return Ok(Vec::new());
    };
    let mut bytes = words.total.to_le_bytes().to_vec();
    bytes.extend_from_slice(&(longest as u64).to_le_bytes());
    bytes.extend_from_slice(&fst);
    Ok(bytes)
}

/// The dictionary that cuts a query as the passages of [`USER_WORDS`]' `bytes` were cut;
/// `None` for no user words, or bytes damaged past reading.
pub(crate) fn dictionary_of(bytes: &[u8]) -> Option<Dictionary> {
    let number = |at: usize| Some(u64::from_le_bytes(bytes.get(at..at + 8)?.try_into().ok()?));
    let (total, longest) = (number(0)?, number(8)?);
    let words = fst::Map::new(Mapped::Read(bytes.get(16..)?.to_vec())).ok()?;
    let kept = sidecar::WordsRef {
        file: String::new(),
        total,
        longest: usize::try_from(longest).ok()?,
    };
    Some(Dictionary::with_kept_words(words, &kept))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_name_the_bytes_and_parts_are_told_apart() {
        assert_eq!(version_of(b"abc"), version_of(b"abc"));
        assert_ne!(version_of(b"abc"), version_of(b"abd"));
        assert_eq!(version_of(b"").len(), 32);
        assert_ne!(part_id(PINYIN, "v", 1), part_id(PINYIN, "v", 10));
        assert_ne!(head_id(PINYIN), head_id(SYNONYMS));
    }

    #[test]
    fn user_words_cut_a_query_as_they_cut_the_passages() {
        let words = UserWords::resolve(
            &crate::analysis::UserDict::parse("高新智慧 5000\n", "dict.txt").entries,
        );
        let bytes = user_words_bytes(&words).unwrap();
        let dictionary = dictionary_of(&bytes).unwrap();
        assert!(dictionary.contains("高新智慧"));
        assert!(!Dictionary::new(&Default::default()).contains("高新智慧"));
        assert!(user_words_bytes(&UserWords::default()).unwrap().is_empty());
        assert!(dictionary_of(&[]).is_none() && dictionary_of(&bytes[..12]).is_none());
    }
}
