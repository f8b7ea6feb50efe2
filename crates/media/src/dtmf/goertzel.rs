//! The Goertzel algorithm: the power of one frequency in a block of samples, at a fraction of
//! an FFT's cost. The DTMF detector runs eight of them plus harmonics; tests use [`power`] to
//! check which tone a stream carries.

use std::f64::consts::TAU;

use crate::tone::SAMPLE_RATE;

/// Mean power of `freq` in 8 kHz `samples`, scaled so that a sine of peak `A` at exactly
/// `freq` gives about `A²/2` (its mean square) whatever the block length.
pub fn power(freq: f64, samples: &[i16]) -> f64 {
    power_at(freq, SAMPLE_RATE, samples)
}

/// [`power`] at another sample rate.
pub fn power_at(freq: f64, rate: u32, samples: &[i16]) -> f64 {
    let mut filter = Goertzel::new(freq, rate);
    for &s in samples {
        filter.push(f64::from(s));
    }
    filter.power(samples.len())
}

/// One running Goertzel filter; feed samples, read the power, reset for the next block.
#[derive(Debug, Clone, Copy)]
pub struct Goertzel {
    coeff: f64,
    s1: f64,
    s2: f64,
}

impl Goertzel {
    pub fn new(freq: f64, rate: u32) -> Self {
        Self {
            coeff: Self::coefficient(freq, rate),
            s1: 0.0,
            s2: 0.0,
        }
    }

    /// The recurrence coefficient `2·cos(2π·f/rate)`, for banks that keep their own state.
    pub fn coefficient(freq: f64, rate: u32) -> f64 {
        2.0 * (TAU * freq / f64::from(rate)).cos()
    }

    /// [`Goertzel::power`] from a bank's own state.
    pub fn power_of(coeff: f64, s1: f64, s2: f64, n: usize) -> f64 {
        if n == 0 {
            return 0.0;
        }
        let magnitude2 = s1 * s1 + s2 * s2 - coeff * s1 * s2;
        2.0 * magnitude2 / (n as f64 * n as f64)
    }

    #[inline]
    pub fn push(&mut self, sample: f64) {
        let s = sample + self.coeff * self.s1 - self.s2;
        self.s2 = self.s1;
        self.s1 = s;
    }

    /// Mean power over the `n` samples pushed since the last reset (see [`power`]).
    pub fn power(&self, n: usize) -> f64 {
        Self::power_of(self.coeff, self.s1, self.s2, n)
    }

    pub fn reset(&mut self) {
        self.s1 = 0.0;
        self.s2 = 0.0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tone::sine;

    #[test]
    fn sine_power_is_its_mean_square_and_other_frequencies_see_little() {
        let s = sine(1000.0, 10_000.0, 800);
        let p = power(1000.0, &s);
        assert!((p / 50_000_000.0 - 1.0).abs() < 0.02, "{p}");
        assert!(power(1300.0, &s) < p / 1000.0);
        assert!(power(500.0, &s) < p / 1000.0);
        assert_eq!(power(1000.0, &[]), 0.0);
    }
}
