//! RTP fixed header (RFC 3550 §5.1): zero-copy parsing of a datagram and writing of the
//! header we send. Parsing validates every length against the buffer, so garbage gives a typed
//! error, never a panic or an out-of-bounds read.

/// Why a datagram is not a usable RTP packet, or a header did not fit the output buffer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RtpError {
    #[error("RTP packet too short: {len} bytes, need {need}")]
    TooShort { len: usize, need: usize },
    #[error("RTP version {0}, expected 2")]
    BadVersion(u8),
    #[error("RTP padding length {padding} does not fit the {available} bytes after the header")]
    BadPadding { padding: usize, available: usize },
    #[error("output buffer of {len} bytes too small for {need}")]
    BufferTooSmall { len: usize, need: usize },
    #[error("too many CSRCs: {0} (at most 15)")]
    TooManyCsrcs(usize),
    #[error("header extension of {0} bytes is not a multiple of 4")]
    BadExtensionLength(usize),
}

/// Length of the fixed header without CSRCs or extension.
pub const HEADER_LEN: usize = 12;

/// A header extension (RFC 3550 §5.3.1): the profile-defined 16 bits and the data words.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RtpExtension<'a> {
    pub profile: u16,
    pub data: &'a [u8],
}

/// A parsed RTP packet borrowing the datagram.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RtpPacket<'a> {
    buf: &'a [u8],
    csrc: &'a [u8],
    extension: Option<RtpExtension<'a>>,
    payload: &'a [u8],
    padding: usize,
}

impl<'a> RtpPacket<'a> {
    /// Parse a datagram. Checks version 2, CSRC list, extension and padding lengths.
    pub fn parse(buf: &'a [u8]) -> Result<Self, RtpError> {
        if buf.len() < HEADER_LEN {
            return Err(RtpError::TooShort {
                len: buf.len(),
                need: HEADER_LEN,
            });
        }
        let version = buf[0] >> 6;
        if version != 2 {
            return Err(RtpError::BadVersion(version));
        }
        let csrc_end = HEADER_LEN + 4 * usize::from(buf[0] & 0x0F);
        let csrc = buf.get(HEADER_LEN..csrc_end).ok_or(RtpError::TooShort {
            len: buf.len(),
            need: csrc_end,
        })?;
        let mut body_start = csrc_end;
        let extension = if buf[0] & 0x10 != 0 {
            let head = buf.get(csrc_end..csrc_end + 4).ok_or(RtpError::TooShort {
                len: buf.len(),
                need: csrc_end + 4,
            })?;
            let profile = u16::from_be_bytes([head[0], head[1]]);
            let words = usize::from(u16::from_be_bytes([head[2], head[3]]));
            let end = csrc_end + 4 + 4 * words;
            let data = buf.get(csrc_end + 4..end).ok_or(RtpError::TooShort {
                len: buf.len(),
                need: end,
            })?;
            body_start = end;
            Some(RtpExtension { profile, data })
        } else {
            None
        };
        let available = buf.len() - body_start;
        let padding = if buf[0] & 0x20 != 0 {
            // The last octet counts itself, so 0 is invalid (RFC 3550 §5.1).
            let padding = usize::from(buf[buf.len() - 1]);
            if padding == 0 || padding > available {
                return Err(RtpError::BadPadding { padding, available });
            }
            padding
        } else {
            0
        };
        Ok(Self {
            buf,
            csrc,
            extension,
            payload: &buf[body_start..buf.len() - padding],
            padding,
        })
    }

    pub fn version(&self) -> u8 {
        self.buf[0] >> 6
    }

    pub fn has_padding(&self) -> bool {
        self.buf[0] & 0x20 != 0
    }

    /// Padding octets removed from the payload (0 without the P bit).
    pub fn padding_len(&self) -> usize {
        self.padding
    }

    pub fn extension(&self) -> Option<RtpExtension<'a>> {
        self.extension
    }

    pub fn csrc_count(&self) -> usize {
        self.csrc.len() / 4
    }

    pub fn csrcs(&self) -> impl Iterator<Item = u32> + 'a {
        self.csrc
            .chunks_exact(4)
            .map(|c| u32::from_be_bytes([c[0], c[1], c[2], c[3]]))
    }

    pub fn marker(&self) -> bool {
        self.buf[1] & 0x80 != 0
    }

    pub fn payload_type(&self) -> u8 {
        self.buf[1] & 0x7F
    }

    pub fn sequence(&self) -> u16 {
        u16::from_be_bytes([self.buf[2], self.buf[3]])
    }

    pub fn timestamp(&self) -> u32 {
        u32::from_be_bytes([self.buf[4], self.buf[5], self.buf[6], self.buf[7]])
    }

    pub fn ssrc(&self) -> u32 {
        u32::from_be_bytes([self.buf[8], self.buf[9], self.buf[10], self.buf[11]])
    }

    /// The payload without header, CSRCs, extension and padding.
    pub fn payload(&self) -> &'a [u8] {
        self.payload
    }
}

/// The header fields we send: no padding, no extension, no CSRCs (a mixer we are not).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RtpHeader {
    pub marker: bool,
    pub payload_type: u8,
    pub sequence: u16,
    pub timestamp: u32,
    pub ssrc: u32,
}

impl RtpHeader {
    /// Write header then payload into `out`; returns the packet length.
    pub fn write(&self, payload: &[u8], out: &mut [u8]) -> Result<usize, RtpError> {
        self.write_with(&[], None, payload, out)
    }

    /// Write a packet with CSRCs and an optional extension (`data` a multiple of 4 bytes).
    pub fn write_with(
        &self,
        csrcs: &[u32],
        extension: Option<RtpExtension<'_>>,
        payload: &[u8],
        out: &mut [u8],
    ) -> Result<usize, RtpError> {
        if csrcs.len() > 15 {
            return Err(RtpError::TooManyCsrcs(csrcs.len()));
        }
        let ext_len = match extension {
            Some(ext) if ext.data.len() % 4 != 0 || ext.data.len() / 4 > usize::from(u16::MAX) => {
                return Err(RtpError::BadExtensionLength(ext.data.len()))
            }
            Some(ext) => 4 + ext.data.len(),
            None => 0,
        };
        let need = HEADER_LEN + 4 * csrcs.len() + ext_len + payload.len();
        if out.len() < need {
            return Err(RtpError::BufferTooSmall {
                len: out.len(),
                need,
            });
        }
        out[0] = 0x80 | (u8::from(extension.is_some()) << 4) | csrcs.len() as u8;
        out[1] = (u8::from(self.marker) << 7) | (self.payload_type & 0x7F);
        out[2..4].copy_from_slice(&self.sequence.to_be_bytes());
        out[4..8].copy_from_slice(&self.timestamp.to_be_bytes());
        out[8..12].copy_from_slice(&self.ssrc.to_be_bytes());
        let mut at = HEADER_LEN;
        for csrc in csrcs {
            out[at..at + 4].copy_from_slice(&csrc.to_be_bytes());
            at += 4;
        }
        if let Some(ext) = extension {
            out[at..at + 2].copy_from_slice(&ext.profile.to_be_bytes());
            out[at + 2..at + 4].copy_from_slice(&((ext.data.len() / 4) as u16).to_be_bytes());
            out[at + 4..at + 4 + ext.data.len()].copy_from_slice(ext.data);
            at += ext_len;
        }
        out[at..need].copy_from_slice(payload);
        Ok(need)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEADER: RtpHeader = RtpHeader {
        marker: true,
        payload_type: 8,
        sequence: 0xBEEF,
        timestamp: 0xDEAD_1234,
        ssrc: 0x0102_0304,
    };

    #[test]
    fn build_then_parse_round_trips_every_field() {
        let mut out = [0u8; 64];
        let n = HEADER.write(&[1, 2, 3], &mut out).unwrap();
        assert_eq!(n, 15);
        assert_eq!(
            &out[..12],
            &[0x80, 0x88, 0xBE, 0xEF, 0xDE, 0xAD, 0x12, 0x34, 1, 2, 3, 4]
        );
        let p = RtpPacket::parse(&out[..n]).unwrap();
        assert_eq!(p.version(), 2);
        assert!(p.marker());
        assert_eq!(p.payload_type(), 8);
        assert_eq!(p.sequence(), 0xBEEF);
        assert_eq!(p.timestamp(), 0xDEAD_1234);
        assert_eq!(p.ssrc(), 0x0102_0304);
        assert_eq!(p.payload(), &[1, 2, 3]);
        assert_eq!(
            (p.csrc_count(), p.extension(), p.has_padding()),
            (0, None, false)
        );
    }

    #[test]
    fn csrcs_extension_and_padding_are_skipped_to_reach_the_payload() {
        let mut out = [0u8; 64];
        let ext = RtpExtension {
            profile: 0xBEDE,
            data: &[9, 9, 9, 9],
        };
        let n = HEADER
            .write_with(&[7, 8], Some(ext), &[0xAA; 5], &mut out)
            .unwrap();
        // Add 3 octets of padding by hand.
        out[0] |= 0x20;
        out[n..n + 3].copy_from_slice(&[0, 0, 3]);
        let p = RtpPacket::parse(&out[..n + 3]).unwrap();
        assert_eq!(p.csrcs().collect::<Vec<_>>(), vec![7, 8]);
        assert_eq!(p.extension(), Some(ext));
        assert_eq!(p.padding_len(), 3);
        assert_eq!(p.payload(), &[0xAA; 5]);
        assert!(p.marker());
        assert_eq!(p.sequence(), 0xBEEF);
    }

    #[test]
    fn malformed_headers_give_typed_errors() {
        assert_eq!(
            RtpPacket::parse(&[0x80; 11]),
            Err(RtpError::TooShort { len: 11, need: 12 })
        );
        let mut p = [0u8; 12];
        p[0] = 0x40;
        assert_eq!(RtpPacket::parse(&p), Err(RtpError::BadVersion(1)));
        p[0] = 0x82; // two CSRCs announced, none present
        assert_eq!(
            RtpPacket::parse(&p),
            Err(RtpError::TooShort { len: 12, need: 20 })
        );
        let mut q = [0u8; 16];
        q[0] = 0x90; // extension header claims 1 word that is missing
        q[15] = 1;
        assert_eq!(
            RtpPacket::parse(&q),
            Err(RtpError::TooShort { len: 16, need: 20 })
        );
        let mut r = [0u8; 14];
        r[0] = 0xA0;
        r[13] = 3; // 3 octets of padding but only 2 after the header
        assert_eq!(
            RtpPacket::parse(&r),
            Err(RtpError::BadPadding {
                padding: 3,
                available: 2
            })
        );
        r[13] = 0;
        assert!(matches!(
            RtpPacket::parse(&r),
            Err(RtpError::BadPadding { padding: 0, .. })
        ));
        let mut small = [0u8; 13];
        assert_eq!(
            HEADER.write(&[1, 2], &mut small),
            Err(RtpError::BufferTooSmall { len: 13, need: 14 })
        );
        assert_eq!(
            HEADER.write_with(&[0; 16], None, &[], &mut [0u8; 200]),
            Err(RtpError::TooManyCsrcs(16))
        );
    }

    #[test]
    fn garbage_never_panics_and_payload_stays_inside_the_buffer() {
        // Deterministic xorshift so a failure reproduces.
        let mut state = 0x9E37_79B9_7F4A_7C15u64;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        let mut ok = 0;
        for _ in 0..200_000 {
            let len = (next() % 80) as usize;
            let mut buf = [0u8; 80];
            for b in buf.iter_mut().take(len) {
                *b = next() as u8;
            }
            // Bias towards version 2 so the deeper checks run.
            if len > 0 && next() % 2 == 0 {
                buf[0] = (buf[0] & 0x3F) | 0x80;
            }
            if let Ok(p) = RtpPacket::parse(&buf[..len]) {
                ok += 1;
                let total =
                    HEADER_LEN + 4 * p.csrc_count() + p.extension().map_or(0, |e| 4 + e.data.len());
                assert_eq!(total + p.payload().len() + p.padding_len(), len);
            }
        }
        assert!(ok > 1000, "fuzz reached the success path only {ok} times");
    }
}
