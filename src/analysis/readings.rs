//! A character's toneless pinyin readings, from the `pinyin` crate. Shared by the library and
//! `build.rs`, which tabulates every character of the CJK Unified Ideographs block by reading at
//! build time, so that a pinyin query does not read 21,000 characters' data at run time.

use std::borrow::Cow;

use pinyin::ToPinyinMulti;

/// The toneless readings of `c`, commonest first (`行` → `xing`, `hang`); `ü` is written `v`,
/// as input methods take it. Empty for a character with none.
pub fn char_readings(c: char) -> Vec<Cow<'static, str>> {
    let mut out: Vec<Cow<'static, str>> = Vec::new();
    if let Some(multi) = c.to_pinyin_multi() {
        for reading in multi {
            let plain = reading.plain();
            let plain = if plain.contains('ü') {
                Cow::Owned(plain.replace('ü', "v"))
            } else {
                Cow::Borrowed(plain)
            };
            if !out.contains(&plain) {
                out.push(plain);
            }
        }
    }
    out
}
