//! ZRTP (RFC 6189) key agreement runs inside the media stream, so stripping `a=zrtp-hash` from
//! the offer does not stop two phones from encrypting their audio end to end, which the
//! recorder then cannot decode. The relay drops ZRTP packets (counted) unless the call's offer
//! policy lets the phones keep their keys (`Session::pass_zrtp`); without an answer to their
//! Hello, ZRTP phones carry on in clear RTP.
//!
//! Cost: a relayed packet is first checked for RTP version 2 (one byte, the common case); only
//! the rest are looked at more closely.

/// The ZRTP packet header (RFC 6189 §5, Figure 2): `0001` in the first four bits (RTP
/// version 0, never RTP v2), the magic cookie `ZRTP` at bytes 4..8, 12 header bytes in all.
const MAGIC_COOKIE: [u8; 4] = 0x5a52_5450u32.to_be_bytes();
const HEADER_LEN: usize = 12;

/// Whether a datagram is not plain RTP (RTCP) v2: the only ones [`is_zrtp`] needs to see.
#[inline]
pub(crate) fn maybe_zrtp(datagram: &[u8]) -> bool {
    datagram.first().is_some_and(|b| b >> 6 != 2)
}

/// Whether a datagram is a ZRTP packet.
pub(crate) fn is_zrtp(datagram: &[u8]) -> bool {
    datagram.len() >= HEADER_LEN && datagram[0] >> 4 == 0b0001 && datagram[4..8] == MAGIC_COOKIE
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A ZRTP Hello's first words as a phone sends them (sequence 1, source identifier, then
    /// the message preamble 0x505a, length, "Hello   ").
    fn hello() -> Vec<u8> {
        let mut p = vec![0x10, 0x00, 0x00, 0x01];
        p.extend_from_slice(b"ZRTP");
        p.extend_from_slice(&0x1234_5678u32.to_be_bytes());
        p.extend_from_slice(&[0x50, 0x5a, 0x00, 0x1d]);
        p.extend_from_slice(b"Hello   1.10");
        p
    }

    #[test]
    fn a_zrtp_hello_is_recognised() {
        let p = hello();
        assert!(maybe_zrtp(&p) && is_zrtp(&p));
    }

    #[test]
    fn rtp_and_lookalikes_are_not_zrtp() {
        // RTP v2 whose timestamp spells the cookie: the first check already lets it pass.
        let mut rtp = hello();
        rtp[0] = 0x80;
        assert!(!maybe_zrtp(&rtp) && !is_zrtp(&rtp));
        // Version bits 0001 without the cookie (STUN's first byte is 0x00 or 0x01).
        let mut no_cookie = hello();
        no_cookie[4..8].copy_from_slice(&0x2112_a442u32.to_be_bytes());
        assert!(maybe_zrtp(&no_cookie) && !is_zrtp(&no_cookie));
        // The header cut short.
        assert!(!is_zrtp(&hello()[..11]));
        assert!(!maybe_zrtp(&[]) && !is_zrtp(&[]));
    }
}
