//! Byte scans of keys, eight bytes at a time: every change's keys are scanned for the
//! bytes that make them special (escaped in a JSON Pointer, not addressable in an update),
//! and a map patch's keys are sorted by the bytes that tell them apart.

/// The length of the longest common prefix of `a` and `b`, at most `limit`.
pub(crate) fn common_prefix(a: &[u8], b: &[u8], limit: usize) -> usize {
    let len = limit.min(a.len()).min(b.len());
    let mut at = 0;
    while at + 8 <= len {
        let diff = u64::from_le_bytes(eight(&a[at..])) ^ u64::from_le_bytes(eight(&b[at..]));
        if diff != 0 {
            // Little-endian: the lowest set bit is in the first byte that differs.
            return at + (diff.trailing_zeros() / 8) as usize;
        }
        at += 8;
    }
    at + a[at..len]
        .iter()
        .zip(&b[at..len])
        .take_while(|(x, y)| x == y)
        .count()
}

/// The eight bytes of `bytes` from `at` as a big-endian number, zeros past the end: two
/// byte strings that agree before `at` compare as these numbers do, unless the numbers are
/// equal (then the rest decides).
pub(crate) fn word_at(bytes: &[u8], at: usize) -> u64 {
    let tail = bytes.get(at..).unwrap_or_default();
    if tail.len() >= 8 {
        return u64::from_be_bytes(eight(tail));
    }
    // Fewer than eight: placed byte by byte (a copy of a few bytes would call `memcpy`).
    tail.iter()
        .zip((0..8).rev())
        .fold(0, |word, (&b, byte)| word | u64::from(b) << (8 * byte))
}

/// Whether `bytes` holds `a` or `b`.
#[inline]
pub(crate) fn contains_either(bytes: &[u8], a: u8, b: u8) -> bool {
    let len = bytes.len();
    if len < 4 {
        return bytes.iter().any(|&x| x == a || x == b);
    }
    if len < 8 {
        // Two words of four that overlap cover the bytes.
        let word = |at: usize| u64::from(u32::from_le_bytes(four(&bytes[at..])));
        return either_in(word(0) | word(len - 4) << 32, a, b);
    }
    // Words of eight, the last one overlapping the one before when the length is not a
    // multiple of eight.
    let word = |at: usize| u64::from_le_bytes(eight(&bytes[at..]));
    (0..len / 8).any(|i| either_in(word(i * 8), a, b)) || either_in(word(len - 8), a, b)
}

/// Whether one of the eight bytes of `word` is `a` or `b`. A word has a zero byte iff
/// `(w - 0x01…) & !w & 0x80…` is not zero (a borrow can only reach the high bit of a byte
/// above a zero one).
#[inline]
fn either_in(word: u64, a: u8, b: u8) -> bool {
    const LOW: u64 = u64::from_le_bytes([0x01; 8]);
    const HIGH: u64 = u64::from_le_bytes([0x80; 8]);
    let has_zero = |w: u64| w.wrapping_sub(LOW) & !w & HIGH != 0;
    has_zero(word ^ (LOW * u64::from(a))) || has_zero(word ^ (LOW * u64::from(b)))
}

/// The first four bytes of `bytes` (at least four long).
#[inline]
fn four(bytes: &[u8]) -> [u8; 4] {
    let mut out = [0; 4];
    out.copy_from_slice(&bytes[..4]);
    out
}

/// The first eight bytes of `bytes` (at least eight long).
#[inline]
fn eight(bytes: &[u8]) -> [u8; 8] {
    let mut out = [0; 8];
    out.copy_from_slice(&bytes[..8]);
    out
}

#[cfg(test)]
mod tests {
    use super::contains_either;

    #[test]
    fn prefixes_and_words_order_keys_as_strings_do() {
        let words = [
            "",
            "a",
            "b",
            "ab",
            "abc",
            "label000003",
            "label000006",
            "label00000",
            "label0000030",
            "labels",
            "label",
            "é",
            "e\u{301}",
            "\u{7f}",
            "\u{80}",
            "app.kubernetes.io/name",
            "app.kubernetes.io/nam",
            "app.kubernetes.io/namf",
            "abcdefgh",
            "abcdefgi",
            "abcdefghabcdefgh",
            "abcdefghabcdefgg",
            "abcdefgh\u{0}",
            "abcdefgh\u{0}\u{0}",
        ];
        for a in words {
            for b in words {
                let (x, y) = (a.as_bytes(), b.as_bytes());
                let naive = x.iter().zip(y).take_while(|(p, q)| p == q).count();
                for limit in [0, 3, 8, 9, 100] {
                    assert_eq!(
                        super::common_prefix(x, y, limit),
                        naive.min(limit),
                        "{a:?} {b:?}"
                    );
                }
                for at in 0..=naive {
                    let by_words = super::word_at(x, at)
                        .cmp(&super::word_at(y, at))
                        .then_with(|| a.cmp(b));
                    assert_eq!(by_words, a.cmp(b), "{a:?} {b:?} at {at}");
                }
            }
        }
    }

    #[test]
    fn finds_either_byte_at_every_position_and_nothing_else() {
        for len in 0..40 {
            for at in 0..len {
                for (x, found) in [
                    (b'.', true),
                    (0, true),
                    (b'-', false),
                    (0x80, false),
                    (0xae, false),
                ] {
                    let mut bytes = vec![b'a'; len];
                    bytes[at] = x;
                    assert_eq!(contains_either(&bytes, b'.', 0), found, "{bytes:?}");
                }
            }
            assert!(!contains_either(&vec![0xffu8; len], b'.', 0));
            assert!(!contains_either(&vec![0x01u8; len], b'~', b'/'));
        }
    }
}
