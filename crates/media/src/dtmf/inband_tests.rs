//! In-band detector scenarios: every key with noise and G.711 in the path, timing limits, and
//! signals that must not produce digits (speech-like vowels, music chords, silence, noise).

use std::time::Duration;

use super::inband::InbandDetector;
use super::DtmfEvent;
use crate::g711::Codec;
use crate::tone::{self, samples_for_ms};

/// Deterministic noise source (xorshift), uniform in [-amp, amp].
struct Noise(u64);

impl Noise {
    fn sample(&mut self, amp: f64) -> f64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        ((self.0 >> 11) as f64 / (1u64 << 53) as f64 * 2.0 - 1.0) * amp
    }
}

fn add_noise(signal: &mut [i16], amp: f64, seed: u64) {
    let mut n = Noise(seed);
    for s in signal {
        *s = (f64::from(*s) + n.sample(amp)).clamp(-32768.0, 32767.0) as i16;
    }
}

/// Through a G.711 encode/decode, as the detector sees RTP audio.
fn through(codec: Codec, signal: &[i16]) -> Vec<i16> {
    signal
        .iter()
        .map(|&s| codec.decode(codec.encode(s)))
        .collect()
}

fn detect(signal: &[i16]) -> Vec<DtmfEvent> {
    let mut det = InbandDetector::new();
    let mut got = Vec::new();
    // Packet-sized pushes, as the relay feeds it.
    for chunk in signal.chunks(160) {
        det.push(chunk, |e| got.push(e));
    }
    got
}

fn key_sequence(keys: &str, on_ms: u32, off_ms: u32, amp: f64) -> Vec<i16> {
    let mut v = vec![0i16; samples_for_ms(off_ms)];
    for k in keys.chars() {
        v.extend(tone::dtmf(k, amp, on_ms).unwrap_or_default());
        v.extend(vec![0i16; samples_for_ms(off_ms)]);
    }
    v
}

const ALL_KEYS: &str = "123A456B789C*0#D";

#[test]
fn all_sixteen_keys_with_noise_through_both_laws() {
    for (i, codec) in [Codec::Pcmu, Codec::Pcma].into_iter().enumerate() {
        let mut signal = key_sequence(ALL_KEYS, 70, 60, 6000.0);
        // Noise about 20 dB below the tones.
        add_noise(&mut signal, 1000.0, 7 + i as u64);
        let got = detect(&through(codec, &signal));
        let keys: String = got.iter().map(|e| e.digit).collect();
        assert_eq!(keys, ALL_KEYS, "{codec:?}");
        for e in &got {
            assert!(
                e.duration >= Duration::from_millis(50) && e.duration <= Duration::from_millis(80),
                "{e:?}"
            );
        }
    }
}

#[test]
fn accepts_twist_within_limits_and_rejects_beyond() {
    let (row, col) = tone::dtmf_frequencies('5').unwrap_or_default();
    let at = |row_amp: f64, col_amp: f64| {
        let mut s = vec![0i16; 400];
        s.extend(tone::mix(
            &[(row, row_amp), (col, col_amp)],
            samples_for_ms(80),
        ));
        s.extend(vec![0i16; 400]);
        detect(&s).iter().map(|e| e.digit).collect::<String>()
    };
    // Column 6 dB up (normal twist), row 3 dB up (reverse): accepted.
    assert_eq!(at(3000.0, 6000.0), "5");
    assert_eq!(at(6000.0, 4250.0), "5");
    // Column 12 dB up, row 8 dB up: refused.
    assert_eq!(at(1500.0, 6000.0), "");
    assert_eq!(at(6000.0, 2400.0), "");
}

#[test]
fn minimum_duration_and_gap() {
    // 40 ms tones with 40 ms gaps (ITU's limits) are all caught...
    let got = detect(&key_sequence("1234", 40, 40, 6000.0));
    assert_eq!(got.iter().map(|e| e.digit).collect::<String>(), "1234");
    // ...a 15 ms blip is not.
    assert!(detect(&key_sequence("5", 15, 50, 6000.0)).is_empty());
    // The same key with too short a gap (under one block) is one long press.
    let mut s = tone::dtmf('8', 6000.0, 60).unwrap_or_default();
    s.extend(vec![0i16; 40]);
    s.extend(tone::dtmf('8', 6000.0, 60).unwrap_or_default());
    s.extend(vec![0i16; 800]);
    assert_eq!(detect(&s).len(), 1);
}

#[test]
fn quiet_tones_below_the_floor_are_ignored() {
    assert!(detect(&key_sequence("5", 100, 50, 150.0)).is_empty());
    assert_eq!(detect(&key_sequence("5", 100, 50, 800.0)).len(), 1);
}

/// Vowel-like signals: a harmonic series on a gliding pitch, shaped by formants.
fn vowel(f0_start: f64, f0_end: f64, formants: &[(f64, f64)], ms: u32) -> Vec<i16> {
    let n = samples_for_ms(ms);
    let mut phase = 0.0f64;
    (0..n)
        .map(|i| {
            let f0 = f0_start + (f0_end - f0_start) * i as f64 / n as f64;
            phase += std::f64::consts::TAU * f0 / 8000.0;
            let mut v = 0.0;
            let mut h = 1.0;
            while h * f0 < 3800.0 {
                let f = h * f0;
                let gain: f64 = formants
                    .iter()
                    .map(|(centre, width)| 1.0 / (1.0 + ((f - centre) / width).powi(2)))
                    .sum();
                v += 3000.0 * gain * (h * phase).sin() / h.sqrt();
                h += 1.0;
            }
            v.clamp(-32768.0, 32767.0) as i16
        })
        .collect()
}

#[test]
fn no_digits_from_speech_like_vowels() {
    // Formants of /a/, /i/, /u/, /e/, /o/ on male, female and child pitch ranges, gliding.
    let vowels: [&[(f64, f64)]; 5] = [
        &[(730.0, 80.0), (1090.0, 90.0), (2440.0, 120.0)],
        &[(270.0, 60.0), (2290.0, 100.0), (3010.0, 120.0)],
        &[(300.0, 60.0), (870.0, 80.0), (2240.0, 120.0)],
        &[(530.0, 70.0), (1840.0, 100.0), (2480.0, 120.0)],
        &[(570.0, 70.0), (840.0, 80.0), (2410.0, 120.0)],
    ];
    let mut total = 0;
    for (i, formants) in vowels.iter().enumerate() {
        for (f0a, f0b) in [
            (95.0, 140.0),
            (180.0, 240.0),
            (250.0, 320.0),
            (140.0, 100.0),
        ] {
            let mut s = vowel(f0a, f0b, formants, 600);
            add_noise(&mut s, 200.0, i as u64 + 1);
            let got = detect(&through(Codec::Pcmu, &s));
            total += got.len();
            assert!(got.is_empty(), "vowel {i} f0 {f0a}-{f0b}: {got:?}");
        }
    }
    assert_eq!(total, 0);
}

#[test]
fn no_digits_from_music_chords_silence_or_noise() {
    // Triads and sevenths with a few harmonics, across the DTMF band.
    let note = |semis: i32| 440.0 * 2f64.powf(f64::from(semis) / 12.0);
    let mut music = Vec::new();
    for root in -5..20 {
        for shape in [[0, 4, 7, 10], [0, 3, 7, 12], [0, 4, 7, 11]] {
            let mut parts = Vec::new();
            for s in shape {
                let f = note(root + s);
                for h in 1..4 {
                    if f * f64::from(h) < 3900.0 {
                        parts.push((f * f64::from(h), 4000.0 / f64::from(h)));
                    }
                }
            }
            music.extend(tone::mix(&parts, samples_for_ms(200)));
        }
    }
    assert_eq!(detect(&through(Codec::Pcma, &music)), vec![]);
    assert_eq!(detect(&vec![0i16; 80_000]), vec![]);
    let mut noise = vec![0i16; 80_000];
    add_noise(&mut noise, 8000.0, 99);
    assert_eq!(detect(&noise), vec![]);
}

#[test]
fn a_tone_pair_with_a_strong_column_harmonic_is_not_a_key() {
    // Row and column of '5' plus the column's second harmonic: a buzzy periodic sound.
    let with_harmonic = |harmonic_amp: f64| {
        let mut s = vec![0i16; 400];
        s.extend(tone::mix(
            &[(770.0, 5000.0), (1336.0, 5000.0), (2672.0, harmonic_amp)],
            samples_for_ms(100),
        ));
        s.extend(vec![0i16; 400]);
        detect(&s).len()
    };
    assert_eq!(with_harmonic(2500.0), 0);
    assert_eq!(with_harmonic(400.0), 1);
}
