//! G.711 µ-law (PCMU) and A-law (PCMA) companding, bit-exact with ITU-T G.711 as implemented by
//! the classic Sun reference code: 16-bit linear in, 8-bit code out, and the decode tables.
//!
//! Encoding works on the top 14 (µ-law) or 13 (A-law) bits of the 16-bit sample, exactly as
//! the reference does, so `decode(encode(x))` equals the reference output for every `x`.

// Media from the network must never panic the process (see the crate's hardening lints).
#![cfg_attr(
    not(test),
    deny(
        clippy::indexing_slicing,
        clippy::string_slice,
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic
    )
)]

/// A G.711 variant, with its static RTP payload type (RFC 3551).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Codec {
    /// µ-law, payload type 0.
    Pcmu,
    /// A-law, payload type 8.
    Pcma,
}

impl Codec {
    /// The static payload type of RFC 3551.
    pub fn payload_type(self) -> u8 {
        match self {
            Codec::Pcmu => 0,
            Codec::Pcma => 8,
        }
    }

    /// The codec a static payload type names, if it is G.711.
    pub fn from_payload_type(pt: u8) -> Option<Self> {
        match pt {
            0 => Some(Codec::Pcmu),
            8 => Some(Codec::Pcma),
            _ => None,
        }
    }

    /// The code for a zero sample (what silence padding is made of).
    pub fn silence(self) -> u8 {
        self.encode(0)
    }

    pub fn encode(self, sample: i16) -> u8 {
        match self {
            Codec::Pcmu => ulaw_encode(sample),
            Codec::Pcma => alaw_encode(sample),
        }
    }

    pub fn decode(self, code: u8) -> i16 {
        match self {
            Codec::Pcmu => ulaw_decode(code),
            Codec::Pcma => alaw_decode(code),
        }
    }

    /// The linear value of every code, indexed by code: for decoding a whole payload with one
    /// codec match instead of one per sample.
    pub fn decode_table(self) -> &'static [i16; 256] {
        match self {
            Codec::Pcmu => &ULAW_TABLE,
            Codec::Pcma => &ALAW_TABLE,
        }
    }
}

/// µ-law bias added before the segment search (0x84 in the 16-bit domain).
const ULAW_BIAS: i32 = 0x84;
/// Largest 14-bit magnitude before the bias would overflow the top segment.
const ULAW_CLIP_14: i32 = 8159;

/// Segment end points; a value above the last one saturates.
const SEG_END_ULAW: [i32; 8] = [0x3F, 0x7F, 0xFF, 0x1FF, 0x3FF, 0x7FF, 0xFFF, 0x1FFF];
const SEG_END_ALAW: [i32; 8] = [0x1F, 0x3F, 0x7F, 0xFF, 0x1FF, 0x3FF, 0x7FF, 0xFFF];

fn segment(value: i32, ends: &[i32; 8]) -> usize {
    ends.iter().position(|&end| value <= end).unwrap_or(8)
}

/// Linear 16-bit to µ-law.
pub fn ulaw_encode(sample: i16) -> u8 {
    // The standard works on 14 bits; the arithmetic shift keeps -1 as -1 like the reference.
    let mut value = i32::from(sample) >> 2;
    let mask: u8 = if value < 0 {
        value = -value;
        0x7F
    } else {
        0xFF
    };
    let value = value.min(ULAW_CLIP_14) + (ULAW_BIAS >> 2);
    let seg = segment(value, &SEG_END_ULAW);
    if seg >= 8 {
        return 0x7F ^ mask;
    }
    let code = ((seg as u8) << 4) | ((value >> (seg + 1)) & 0x0F) as u8;
    code ^ mask
}

/// µ-law to linear 16-bit.
pub fn ulaw_decode(code: u8) -> i16 {
    #[allow(clippy::indexing_slicing)] // 256 entries, one per u8
    ULAW_TABLE[usize::from(code)]
}

/// Linear 16-bit to A-law.
pub fn alaw_encode(sample: i16) -> u8 {
    // 13-bit domain of the standard.
    let mut value = i32::from(sample) >> 3;
    let mask: u8 = if value >= 0 {
        0xD5
    } else {
        value = -value - 1;
        0x55
    };
    let seg = segment(value, &SEG_END_ALAW);
    if seg >= 8 {
        return 0x7F ^ mask;
    }
    let mut code = (seg as u8) << 4;
    code |= if seg < 2 {
        ((value >> 1) & 0x0F) as u8
    } else {
        ((value >> seg) & 0x0F) as u8
    };
    code ^ mask
}

/// A-law to linear 16-bit.
pub fn alaw_decode(code: u8) -> i16 {
    #[allow(clippy::indexing_slicing)] // 256 entries, one per u8
    ALAW_TABLE[usize::from(code)]
}

const fn ulaw_decode_calc(code: u8) -> i16 {
    let u = !code;
    let mut t = (((u & 0x0F) as i32) << 3) + ULAW_BIAS;
    t <<= (u & 0x70) >> 4;
    if u & 0x80 != 0 {
        (ULAW_BIAS - t) as i16
    } else {
        (t - ULAW_BIAS) as i16
    }
}

const fn alaw_decode_calc(code: u8) -> i16 {
    let a = code ^ 0x55;
    let mut t = ((a & 0x0F) as i32) << 4;
    let seg = (a & 0x70) >> 4;
    match seg {
        0 => t += 8,
        1 => t += 0x108,
        _ => {
            t += 0x108;
            t <<= seg - 1;
        }
    }
    if a & 0x80 != 0 {
        t as i16
    } else {
        -t as i16
    }
}

#[allow(clippy::indexing_slicing)] // const fn, no iterators: i runs over 0..256, the table's size
const fn build_table(ulaw: bool) -> [i16; 256] {
    let mut table = [0i16; 256];
    let mut i = 0;
    while i < 256 {
        table[i] = if ulaw {
            ulaw_decode_calc(i as u8)
        } else {
            alaw_decode_calc(i as u8)
        };
        i += 1;
    }
    table
}

static ULAW_TABLE: [i16; 256] = build_table(true);
static ALAW_TABLE: [i16; 256] = build_table(false);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ulaw_known_values_match_the_reference() {
        // Values from the G.711 tables (Sun g711.c): code → linear.
        assert_eq!(ulaw_decode(0xFF), 0);
        assert_eq!(ulaw_decode(0x7F), 0);
        assert_eq!(ulaw_decode(0x80), 32124);
        assert_eq!(ulaw_decode(0x00), -32124);
        assert_eq!(ulaw_decode(0xFE), 8);
        assert_eq!(ulaw_decode(0xEF), 132);
        assert_eq!(ulaw_decode(0x8F), 16764);
        assert_eq!(ulaw_encode(0), 0xFF);
        assert_eq!(ulaw_encode(-1), 0x7E);
        assert_eq!(ulaw_encode(i16::MAX), 0x80);
        assert_eq!(ulaw_encode(i16::MIN), 0x00);
        assert_eq!(ulaw_encode(1000), 0xCE);
        assert_eq!(ulaw_encode(-1000), 0x4E);
        assert_eq!(Codec::Pcmu.silence(), 0xFF);
    }

    #[test]
    fn alaw_known_values_match_the_reference() {
        assert_eq!(alaw_decode(0xD5), 8);
        assert_eq!(alaw_decode(0x55), -8);
        assert_eq!(alaw_decode(0xAA), 32256);
        assert_eq!(alaw_decode(0x2A), -32256);
        assert_eq!(alaw_decode(0x80), 5504);
        assert_eq!(alaw_encode(0), 0xD5);
        assert_eq!(alaw_encode(-1), 0x55);
        assert_eq!(alaw_encode(i16::MAX), 0xAA);
        assert_eq!(alaw_encode(i16::MIN), 0x2A);
        assert_eq!(alaw_encode(1000), 0xFA);
        assert_eq!(alaw_encode(-1000), 0x7A);
        assert_eq!(Codec::Pcma.silence(), 0xD5);
    }

    #[test]
    fn every_code_round_trips_through_linear() {
        for code in 0..=255u8 {
            // µ-law has two zeros (0x7F, 0xFF); both decode to 0, which encodes as 0xFF.
            let expect = if code == 0x7F { 0xFF } else { code };
            assert_eq!(ulaw_encode(ulaw_decode(code)), expect, "ulaw {code:#04x}");
            assert_eq!(alaw_encode(alaw_decode(code)), code, "alaw {code:#04x}");
        }
    }

    #[test]
    fn encoding_is_monotonic_and_error_is_bounded_for_every_sample() {
        let (mut last_u, mut last_a) = (i16::MIN, i16::MIN);
        for x in i16::MIN..=i16::MAX {
            for (codec, last) in [(Codec::Pcmu, &mut last_u), (Codec::Pcma, &mut last_a)] {
                let y = codec.decode(codec.encode(x));
                assert!(y >= *last, "{codec:?} not monotonic at {x}");
                *last = y;
                // Quantisation error is at most half a step, and steps grow with level
                // (1/32 of the magnitude at most, plus the smallest step near zero).
                let err = (i32::from(x) - i32::from(y)).abs();
                let bound = (i32::from(x).abs() / 16).max(16);
                assert!(err <= bound, "{codec:?} {x} -> {y}");
            }
        }
    }

    #[test]
    fn payload_types() {
        assert_eq!(Codec::from_payload_type(0), Some(Codec::Pcmu));
        assert_eq!(Codec::from_payload_type(8), Some(Codec::Pcma));
        assert_eq!(Codec::from_payload_type(18), None);
        assert_eq!(Codec::Pcma.payload_type(), 8);
    }
}
