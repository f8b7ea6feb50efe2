//! In-band DTMF detection on 8 kHz linear audio (decode G.711 first). Blocks of 102 samples
//! (12.75 ms) go through Goertzel filters at the 8 DTMF frequencies and at the second
//! harmonics of the column tones. A block is a hit for a key when:
//! - both its tones are loud enough (absolute floor),
//! - twist is within limits (column louder than row by ≤ 8 dB, row louder by ≤ 4 dB),
//! - each tone beats the others of its group by 8 dB,
//! - the two tones hold most of the block's energy (speech and music spread theirs),
//! - the column's second harmonic is weak (voiced speech is a harmonic series).
//!
//! A key starts after 2 consecutive hit blocks (> 25 ms, so ITU's 40 ms minimum tone is always
//! caught) and ends after 2 blocks without it; it is reported at its end, once.

use std::time::Duration;

use super::goertzel::Goertzel;
use super::{DtmfEvent, DtmfSource};
use crate::tone::{DTMF_COLS, DTMF_KEYS, DTMF_ROWS, SAMPLE_RATE};

const BLOCK: usize = 102;
/// Per-tone mean power floor: a sine of peak ~250 (about -27 dBm0).
const MIN_TONE_POWER: f64 = 250.0 * 250.0 / 2.0;
/// Column may exceed row by 8 dB ("normal twist")...
const MAX_NORMAL_TWIST: f64 = 6.31;
/// ...and row may exceed column by 4 dB ("reverse twist").
const MAX_REVERSE_TWIST: f64 = 2.51;
/// Best tone of a group over the next best of that group: 8 dB.
const MIN_GROUP_MARGIN: f64 = 6.31;
/// Share of the block's energy that the two tones must hold.
const MIN_SHARE_OF_TOTAL: f64 = 0.7;
/// Column tone over its second harmonic: 10 dB.
const MIN_HARMONIC_MARGIN: f64 = 10.0;
/// Consecutive hit blocks to start a key, consecutive other blocks to end it.
const START_BLOCKS: u32 = 2;
const END_BLOCKS: u32 = 2;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Idle { candidate: Option<char>, hits: u32 },
    Active { digit: char, hits: u32, misses: u32 },
}

/// Filters: 4 rows, 4 columns, 4 column second harmonics.
const FILTERS: usize = 12;

/// Streaming detector for one audio direction.
#[derive(Debug, Clone)]
pub struct InbandDetector {
    /// The Goertzel bank as plain arrays, so the per-sample update runs across all filters
    /// at once (vectorised): this is the IVR's hot loop.
    coeff: [f64; FILTERS],
    s1: [f64; FILTERS],
    s2: [f64; FILTERS],
    energy: f64,
    filled: usize,
    state: State,
}

impl Default for InbandDetector {
    fn default() -> Self {
        Self::new()
    }
}

impl InbandDetector {
    pub fn new() -> Self {
        // Rows, columns, then the columns' second harmonics.
        let freqs = (DTMF_ROWS.iter().copied())
            .chain(DTMF_COLS.iter().copied())
            .chain(DTMF_COLS.iter().map(|f| 2.0 * f));
        let mut coeff = [0.0; FILTERS];
        for (c, f) in coeff.iter_mut().zip(freqs) {
            *c = Goertzel::coefficient(f, SAMPLE_RATE);
        }
        Self {
            coeff,
            s1: [0.0; FILTERS],
            s2: [0.0; FILTERS],
            energy: 0.0,
            filled: 0,
            state: State::Idle {
                candidate: None,
                hits: 0,
            },
        }
    }

    /// Feed 8 kHz samples; `on_digit` is called for each key that ended inside them.
    pub fn push(&mut self, mut samples: &[i16], mut on_digit: impl FnMut(DtmfEvent)) {
        while !samples.is_empty() {
            let take = (BLOCK - self.filled).min(samples.len());
            let (now, rest) = samples.split_at(take);
            samples = rest;
            for &s in now {
                let x = f64::from(s);
                let filters = self.coeff.iter().zip(&mut self.s1).zip(&mut self.s2);
                for ((c, s1), s2) in filters {
                    let v = x + c * *s1 - *s2;
                    *s2 = *s1;
                    *s1 = v;
                }
                self.energy += x * x;
            }
            self.filled += take;
            if self.filled == BLOCK {
                let hit = self.classify();
                self.s1 = [0.0; FILTERS];
                self.s2 = [0.0; FILTERS];
                self.energy = 0.0;
                self.filled = 0;
                if let Some(event) = self.advance(hit) {
                    on_digit(event);
                }
            }
        }
    }

    fn power(&self, i: usize) -> f64 {
        match (self.coeff.get(i), self.s1.get(i), self.s2.get(i)) {
            (Some(&c), Some(&s1), Some(&s2)) => Goertzel::power_of(c, s1, s2, BLOCK),
            _ => 0.0,
        }
    }

    /// The key this block carries, if any (the checks of the module doc).
    fn classify(&self) -> Option<char> {
        let rows: [f64; 4] = std::array::from_fn(|i| self.power(i));
        let cols: [f64; 4] = std::array::from_fn(|i| self.power(4 + i));
        let (r, row) = best(&rows);
        let (c, col) = best(&cols);
        if row < MIN_TONE_POWER || col < MIN_TONE_POWER {
            return None;
        }
        if col > row * MAX_NORMAL_TWIST || row > col * MAX_REVERSE_TWIST {
            return None;
        }
        let beats_group = |powers: &[f64; 4], i: usize, best: f64| {
            (powers.iter().enumerate()).all(|(j, p)| j == i || p * MIN_GROUP_MARGIN <= best)
        };
        if !beats_group(&rows, r, row) || !beats_group(&cols, c, col) {
            return None;
        }
        let mean_square = self.energy / BLOCK as f64;
        if row + col < MIN_SHARE_OF_TOTAL * mean_square {
            return None;
        }
        if self.power(8 + c) * MIN_HARMONIC_MARGIN > col {
            return None;
        }
        DTMF_KEYS.get(r)?.get(c).copied()
    }

    fn advance(&mut self, hit: Option<char>) -> Option<DtmfEvent> {
        match (self.state, hit) {
            (State::Idle { candidate, hits }, Some(d)) => {
                let hits = if candidate == Some(d) { hits + 1 } else { 1 };
                self.state = if hits >= START_BLOCKS {
                    State::Active {
                        digit: d,
                        hits,
                        misses: 0,
                    }
                } else {
                    State::Idle {
                        candidate: Some(d),
                        hits,
                    }
                };
                None
            }
            (State::Idle { .. }, None) => {
                self.state = State::Idle {
                    candidate: None,
                    hits: 0,
                };
                None
            }
            (State::Active { digit, hits, .. }, Some(d)) if d == digit => {
                self.state = State::Active {
                    digit,
                    hits: hits + 1,
                    misses: 0,
                };
                None
            }
            (
                State::Active {
                    digit,
                    hits,
                    misses,
                },
                _,
            ) => {
                let misses = misses + 1;
                if misses < END_BLOCKS {
                    self.state = State::Active {
                        digit,
                        hits,
                        misses,
                    };
                    return None;
                }
                // The gap before the next key is these END_BLOCKS: a new key starts from zero.
                self.state = State::Idle {
                    candidate: None,
                    hits: 0,
                };
                Some(DtmfEvent {
                    digit,
                    source: DtmfSource::InBand,
                    duration: Duration::from_micros(
                        u64::from(hits) * BLOCK as u64 * 1_000_000 / u64::from(SAMPLE_RATE),
                    ),
                })
            }
        }
    }
}

fn best(powers: &[f64; 4]) -> (usize, f64) {
    powers.iter().copied().enumerate().fold(
        (0, f64::MIN),
        |acc, (i, p)| if p > acc.1 { (i, p) } else { acc },
    )
}
