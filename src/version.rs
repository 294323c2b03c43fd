//! Versions derived from the parameters they stand for, so that a changed parameter changes the
//! index fingerprint and rebuilds the index, instead of a hand-kept number someone forgets.

/// A version string derived from parameters that change what the index holds: `name`, the
/// hand-kept `revision` of the code applying them, and a hash of the parameters themselves.
pub(crate) fn derived(name: &str, revision: u32, params: &dyn std::fmt::Debug) -> String {
    let hash = xxhash_rust::xxh3::xxh3_64(format!("{params:?}").as_bytes());
    format!("{name}-r{revision}-{hash:016x}")
}
