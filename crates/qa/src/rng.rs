//! The sample's random numbers: SplitMix64, written here so a stored seed draws the same sample
//! on every platform and after every dependency upgrade (a library's generator may change
//! between versions; this one changes only with a failing golden test).

/// SplitMix64 (Steele, Lea, Flood 2014): 64 bits of state, passes BigCrush, trivially portable.
#[derive(Debug, Clone)]
pub(crate) struct SplitMix64 {
    state: u64,
}

impl SplitMix64 {
    pub(crate) fn new(seed: u64) -> Self {
        Self { state: seed }
    }

    /// A generator for one part of a draw (an agent), independent of the other parts: adding
    /// an agent to the month does not change another agent's sample.
    pub(crate) fn for_part(seed: u64, part: &str) -> Self {
        Self::new(seed ^ fnv1a(part.as_bytes()))
    }

    pub(crate) fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A uniform number in `0..bound` (0 when `bound` is 0), without modulo bias: draws that
    /// fall in the incomplete last block are rejected.
    pub(crate) fn below(&mut self, bound: u64) -> u64 {
        if bound == 0 {
            return 0;
        }
        let zone = u64::MAX - (u64::MAX % bound);
        loop {
            let x = self.next_u64();
            if x < zone {
                return x % bound;
            }
        }
    }

    /// Moves `k` items chosen uniformly at random to the front of `items` (a partial
    /// Fisher–Yates shuffle) and returns them in the order drawn.
    pub(crate) fn choose<T>(&mut self, items: &mut [T], k: usize) -> usize {
        let n = items.len();
        let k = k.min(n);
        for i in 0..k {
            let span = (n - i) as u64;
            let j = i + usize::try_from(self.below(span)).unwrap_or(0);
            items.swap(i, j);
        }
        k
    }
}

/// FNV-1a, 64 bits: a stable hash of a name (std's hasher is randomised per process).
fn fnv1a(bytes: &[u8]) -> u64 {
    let mut hash: u64 = 0xCBF2_9CE4_8422_2325;
    for byte in bytes {
        hash ^= u64::from(*byte);
        hash = hash.wrapping_mul(0x0000_0100_0000_01B3);
    }
    hash
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splitmix64_matches_the_reference_output() {
        // First outputs of the reference C implementation for seed 1234567.
        let mut rng = SplitMix64::new(1_234_567);
        let got: Vec<u64> = (0..5).map(|_| rng.next_u64()).collect();
        assert_eq!(
            got,
            [
                6_457_827_717_110_365_317,
                3_203_168_211_198_807_973,
                9_817_491_932_198_370_423,
                4_593_380_528_125_082_431,
                16_408_922_859_458_223_821,
            ]
        );
    }

    #[test]
    fn fnv1a_matches_the_reference_values() {
        assert_eq!(fnv1a(b""), 0xCBF2_9CE4_8422_2325);
        assert_eq!(fnv1a(b"a"), 0xAF63_DC4C_8601_EC8C);
    }

    #[test]
    fn below_stays_in_range_and_covers_it() {
        let mut rng = SplitMix64::new(7);
        let mut seen = [0u32; 6];
        for _ in 0..6000 {
            let x = rng.below(6) as usize;
            seen[x] += 1;
        }
        assert!(seen.iter().all(|&n| (800..1200).contains(&n)), "{seen:?}");
        assert_eq!(rng.below(0), 0);
        assert_eq!(rng.below(1), 0);
    }

    #[test]
    fn choose_picks_distinct_items() {
        let mut rng = SplitMix64::new(42);
        let mut items: Vec<u32> = (0..10).collect();
        let k = rng.choose(&mut items, 4);
        assert_eq!(k, 4);
        let mut picked = items[..4].to_vec();
        picked.sort_unstable();
        picked.dedup();
        assert_eq!(picked.len(), 4);
        let mut all = items.clone();
        all.sort_unstable();
        assert_eq!(all, (0..10).collect::<Vec<_>>());
        assert_eq!(rng.choose(&mut items, 99), 10);
    }
}
