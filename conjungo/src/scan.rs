//! Byte scans of keys, eight bytes at a time: every change's keys are scanned for the
//! bytes that make them special (escaped in a JSON Pointer, not addressable in an update).

/// Whether `bytes` holds `a` or `b`.
#[inline]
pub(crate) fn contains_either(bytes: &[u8], a: u8, b: u8) -> bool {
    const LOW: u64 = u64::from_ne_bytes([0x01; 8]);
    const HIGH: u64 = u64::from_ne_bytes([0x80; 8]);
    let (wa, wb) = (LOW * u64::from(a), LOW * u64::from(b));
    // A word has a zero byte iff `(w - LOW) & !w & HIGH` is not zero (the borrow of a
    // lower byte can only set a high bit above a byte that is zero itself).
    let has_zero = |w: u64| w.wrapping_sub(LOW) & !w & HIGH != 0;
    let mut words = bytes.chunks_exact(8);
    for word in &mut words {
        let w = u64::from_ne_bytes(word.try_into().unwrap_or_default());
        if has_zero(w ^ wa) || has_zero(w ^ wb) {
            return true;
        }
    }
    words.remainder().iter().any(|&x| x == a || x == b)
}

#[cfg(test)]
mod tests {
    use super::contains_either;

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
