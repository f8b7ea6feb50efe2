//! Shared by the simulation and forecast tests: a small seeded random source.

/// SplitMix64: small, seedable, good enough for exponential and Poisson draws.
pub struct Rng(pub u64);

impl Rng {
    /// Uniform in [0, 1).
    pub fn unit(&mut self) -> f64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        ((z ^ (z >> 31)) >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Exponential with this mean.
    #[allow(dead_code)] // not every test file draws these
    pub fn exp(&mut self, mean: f64) -> f64 {
        -mean * (1.0 - self.unit()).ln()
    }

    /// Poisson by counting exponential gaps in one unit of time (fine for means in hundreds).
    #[allow(dead_code)]
    pub fn poisson(&mut self, mean: f64) -> f64 {
        let (mut t, mut n) = (0.0, 0.0);
        loop {
            t += -(1.0 - self.unit()).ln() / mean;
            if t > 1.0 {
                return n;
            }
            n += 1.0;
        }
    }
}
