//! Tone synthesis at 8 kHz: single sines for tone prompts and the DTMF dual tones (with their
//! frequency table, shared with the in-band detector).

use std::f64::consts::TAU;

/// Sample rate of everything the IVR plays and detects.
pub const SAMPLE_RATE: u32 = 8000;

/// Low-group (row) frequencies of DTMF, Hz.
pub const DTMF_ROWS: [f64; 4] = [697.0, 770.0, 852.0, 941.0];
/// High-group (column) frequencies of DTMF, Hz.
pub const DTMF_COLS: [f64; 4] = [1209.0, 1336.0, 1477.0, 1633.0];
/// Keypad layout: `DTMF_KEYS[row][col]`.
pub const DTMF_KEYS: [[char; 4]; 4] = [
    ['1', '2', '3', 'A'],
    ['4', '5', '6', 'B'],
    ['7', '8', '9', 'C'],
    ['*', '0', '#', 'D'],
];

/// Row and column frequencies of a DTMF key (`0-9 * # A-D`, case-insensitive letters).
pub fn dtmf_frequencies(digit: char) -> Option<(f64, f64)> {
    let digit = digit.to_ascii_uppercase();
    DTMF_KEYS.iter().enumerate().find_map(|(r, row)| {
        row.iter()
            .position(|&k| k == digit)
            .map(|c| (DTMF_ROWS[r], DTMF_COLS[c]))
    })
}

/// `count` samples of a sine of peak `amplitude` (in 16-bit units), starting at phase 0.
pub fn sine(freq: f64, amplitude: f64, count: usize) -> Vec<i16> {
    mix(&[(freq, amplitude)], count)
}

/// A sum of sines `(frequency, peak amplitude)`, saturated to 16 bits.
pub fn mix(parts: &[(f64, f64)], count: usize) -> Vec<i16> {
    (0..count)
        .map(|n| {
            let t = n as f64 / f64::from(SAMPLE_RATE);
            let v: f64 = parts.iter().map(|(f, a)| a * (TAU * f * t).sin()).sum();
            v.round().clamp(f64::from(i16::MIN), f64::from(i16::MAX)) as i16
        })
        .collect()
}

/// A DTMF key as audio: both tones at `amplitude` peak each, `ms` long. `None` for a non-key.
pub fn dtmf(digit: char, amplitude: f64, ms: u32) -> Option<Vec<i16>> {
    let (row, col) = dtmf_frequencies(digit)?;
    Some(mix(
        &[(row, amplitude), (col, amplitude)],
        samples_for_ms(ms),
    ))
}

/// Number of 8 kHz samples in `ms` milliseconds.
pub fn samples_for_ms(ms: u32) -> usize {
    ms as usize * SAMPLE_RATE as usize / 1000
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keypad_frequencies() {
        assert_eq!(dtmf_frequencies('1'), Some((697.0, 1209.0)));
        assert_eq!(dtmf_frequencies('0'), Some((941.0, 1336.0)));
        assert_eq!(dtmf_frequencies('#'), Some((941.0, 1477.0)));
        assert_eq!(dtmf_frequencies('d'), Some((941.0, 1633.0)));
        assert_eq!(dtmf_frequencies('x'), None);
    }

    #[test]
    fn sine_has_the_asked_peak_and_length() {
        let s = sine(1000.0, 8000.0, 800);
        assert_eq!(s.len(), 800);
        assert_eq!(s.iter().map(|x| x.unsigned_abs()).max(), Some(8000));
        // 1 kHz at 8 kHz repeats every 8 samples.
        assert_eq!(s[0..8], s[8..16]);
        assert_eq!(dtmf('5', 5000.0, 40).map(|v| v.len()), Some(320));
    }
}
