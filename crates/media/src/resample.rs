//! Sample-rate conversion to 8 kHz for prompts: a windowed-sinc (Blackman) interpolator with
//! its cutoff below the lower Nyquist frequency, so 44.1/48 kHz music does not alias into the
//! telephone band. Runs once at prompt load, so clarity beats speed here.

use std::f64::consts::PI;

/// Zero crossings of the sinc kept on each side of the centre tap.
const ZERO_CROSSINGS: f64 = 16.0;
/// Cutoff as a fraction of the lower Nyquist frequency: room for the transition band.
const CUTOFF: f64 = 0.9;

/// Convert mono samples (any scale) from `from_rate` to `to_rate`.
pub fn resample(input: &[f32], from_rate: u32, to_rate: u32) -> Vec<f32> {
    if from_rate == to_rate || input.is_empty() || from_rate == 0 || to_rate == 0 {
        return input.to_vec();
    }
    let step = f64::from(from_rate) / f64::from(to_rate);
    // Cutoff in cycles per input sample.
    let fc = 0.5 * CUTOFF * (f64::from(to_rate) / f64::from(from_rate)).min(1.0);
    let half_width = ZERO_CROSSINGS / (2.0 * fc);
    let out_len = ((input.len() as f64) / step).round() as usize;
    let last = input.len() as isize - 1;
    (0..out_len)
        .map(|n| {
            let centre = n as f64 * step;
            let first = (centre - half_width).ceil().max(0.0) as isize;
            let end = ((centre + half_width).floor() as isize).min(last);
            let (mut acc, mut weight) = (0.0f64, 0.0f64);
            for k in first..=end {
                let d = k as f64 - centre;
                let h = 2.0 * fc * sinc(2.0 * fc * d) * blackman(d / half_width);
                acc += h * f64::from(input[k as usize]);
                weight += h;
            }
            // Normalising keeps unity DC gain, also at the edges where the kernel is cut.
            if weight.abs() > 1e-9 {
                (acc / weight) as f32
            } else {
                0.0
            }
        })
        .collect()
}

fn sinc(x: f64) -> f64 {
    if x.abs() < 1e-12 {
        1.0
    } else {
        (PI * x).sin() / (PI * x)
    }
}

/// Blackman window over `x` in [-1, 1].
fn blackman(x: f64) -> f64 {
    if x.abs() >= 1.0 {
        return 0.0;
    }
    let t = PI * (x + 1.0);
    0.42 - 0.5 * t.cos() + 0.08 * (2.0 * t).cos()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sine(freq: f64, rate: u32, secs: f64) -> Vec<f32> {
        let n = (f64::from(rate) * secs) as usize;
        (0..n)
            .map(|i| (2.0 * PI * freq * i as f64 / f64::from(rate)).sin() as f32)
            .collect()
    }

    fn rms(x: &[f32]) -> f64 {
        (x.iter().map(|v| f64::from(*v).powi(2)).sum::<f64>() / x.len() as f64).sqrt()
    }

    #[test]
    fn passband_tone_survives_with_its_level_and_length() {
        for rate in [11025, 16000, 22050, 44100, 48000] {
            let out = resample(&sine(1000.0, rate, 1.0), rate, 8000);
            assert!(
                (out.len() as i64 - 8000).abs() <= 1,
                "{rate}: {}",
                out.len()
            );
            let level = rms(&out[200..7800]);
            assert!(
                (level - std::f64::consts::FRAC_1_SQRT_2).abs() < 0.01,
                "{rate}: rms {level}"
            );
            let p = crate::goertzel::power_at(1000.0, 8000, &out_i16(&out[200..7800]));
            assert!(p > 0.45 * 32767.0f64.powi(2) / 2.0 * 0.9, "{rate}: {p}");
        }
    }

    #[test]
    fn tones_above_the_new_nyquist_are_removed_not_aliased() {
        // 5 kHz at 48 kHz would alias to 3 kHz with naive decimation.
        let out = resample(&sine(5000.0, 48000, 1.0), 48000, 8000);
        let level = rms(&out[200..7800]);
        assert!(level < 0.003, "leak {level}");
        // 4.5 kHz at 44.1 kHz would fold to 3.5 kHz, inside the telephone band.
        let out = resample(&sine(4500.0, 44100, 1.0), 44100, 8000);
        assert!(rms(&out[200..7800]) < 0.003);
    }

    #[test]
    fn same_rate_is_a_copy_and_upsampling_works() {
        let x = sine(440.0, 8000, 0.1);
        assert_eq!(resample(&x, 8000, 8000), x);
        let up = resample(&sine(440.0, 6000, 1.0), 6000, 8000);
        assert!((rms(&up[200..7800]) - std::f64::consts::FRAC_1_SQRT_2).abs() < 0.01);
    }

    fn out_i16(x: &[f32]) -> Vec<i16> {
        x.iter().map(|v| (v * 32767.0) as i16).collect()
    }
}
