//! Tone captures for SIPp's `play_pcap_audio`: a libpcap file of Ethernet/IPv4/UDP frames, each
//! an RTP packet of 20 ms of G.711 μ-law (PCMU, payload type 0) carrying a pure sine, spaced
//! 20 ms apart in capture time (SIPp replays at the captured pace and rewrites the UDP ports and
//! addresses, not the RTP header, so sequence numbers, timestamps and SSRC must be right here).
//!
//! The layout copies /usr/share/sip-tester/g711a.pcap, which SIPp ships and plays: the
//! little-endian classic pcap header (version 2.4, snap length 65535, link type 1 = Ethernet).
//! [`read_pcap`] parses that subset back so a test can check what a peer is going to send.

use anyhow::{bail, Context};
use media::g711::{ulaw_decode, ulaw_encode};
use std::net::Ipv4Addr;
use std::path::{Path, PathBuf};

/// Samples per 20 ms packet at 8 kHz.
pub const SAMPLES_PER_PACKET: usize = 160;
/// The pcap link type of Ethernet (`LINKTYPE_ETHERNET`).
pub const LINKTYPE_ETHERNET: u32 = 1;
/// RTP payload type of PCMU.
pub const PT_PCMU: u8 = 0;
/// RTP payload type of RFC 4733 telephone events in the scenarios that offer them.
pub const PT_EVENT: u8 = 101;
/// Packets of one key press: four growing-duration updates, then the end packet sent 4 times.
pub const KEY_PACKETS: usize = 8;

const PCAP_MAGIC: u32 = 0xa1b2_c3d4;
const ETH_LEN: usize = 14;
const IPV4_LEN: usize = 20;
const UDP_LEN: usize = 8;
const RTP_LEN: usize = 12;

/// A pure tone to be written as an RTP stream.
#[derive(Debug, Clone, PartialEq)]
pub struct ToneStream {
    pub freq_hz: f64,
    /// Peak of the sine, of full scale 32767.
    pub amplitude: i16,
    /// Length in 20 ms packets (50 a second).
    pub packets: usize,
    /// Payload type of the tone packets: PCMU's 0, or another number to send μ-law audio
    /// labelled as a codec the receiver cannot decode.
    pub payload_type: u8,
    pub ssrc: u32,
    pub first_seq: u16,
    pub first_timestamp: u32,
    /// Addresses and ports in the capture; SIPp replaces them when it plays the file.
    pub src: (Ipv4Addr, u16),
    pub dst: (Ipv4Addr, u16),
    /// Key presses as RFC 4733 events (payload type [`PT_EVENT`]): `(packet index, key)`; the
    /// [`KEY_PACKETS`] packets from that index carry the event instead of the tone.
    pub keys: Vec<(usize, char)>,
}

impl ToneStream {
    /// `seconds` of `freq_hz` at a moderate level (peak 8000) with fixed, recognisable RTP
    /// identifiers.
    pub fn new(freq_hz: f64, seconds: u32) -> ToneStream {
        ToneStream {
            freq_hz,
            amplitude: 8000,
            packets: seconds as usize * 50,
            payload_type: PT_PCMU,
            ssrc: 0x5357_4244 ^ freq_hz.round() as u32,
            first_seq: 1000,
            first_timestamp: 16_000,
            src: (Ipv4Addr::new(10, 0, 0, 1), 6000),
            dst: (Ipv4Addr::new(10, 0, 0, 2), 6002),
            keys: Vec::new(),
        }
    }

    /// Press `key` `at_ms` into the stream (builder style).
    pub fn key_at(mut self, at_ms: u64, key: char) -> ToneStream {
        self.keys.push(((at_ms / 20) as usize, key));
        self
    }

    /// The RFC 4733 payload of packet `index` when it belongs to a key press.
    fn event_payload(&self, index: usize) -> anyhow::Result<Option<(bool, u32, [u8; 4])>> {
        let Some(&(start, key)) = self
            .keys
            .iter()
            .find(|(start, _)| (*start..*start + KEY_PACKETS).contains(&index))
        else {
            return Ok(None);
        };
        let code: u8 = match key {
            '0'..='9' => key as u8 - b'0',
            '*' => 10,
            '#' => 11,
            other => bail!("no RFC 4733 event for key {other:?}"),
        };
        let j = index - start;
        let end = j >= 4;
        let duration = (j.min(4) as u16 + 1) * SAMPLES_PER_PACKET as u16;
        let flags = if end { 0x80 } else { 0 } | 10; // E bit, volume -10 dBm0
        let d = duration.to_be_bytes();
        // Every packet of one event carries the event's start time.
        let ts = self
            .first_timestamp
            .wrapping_add((start * SAMPLES_PER_PACKET) as u32);
        Ok(Some((j == 0, ts, [code, flags, d[0], d[1]])))
    }

    /// The linear samples of packet `index` (before μ-law encoding).
    fn samples(&self, index: usize) -> impl Iterator<Item = i16> + '_ {
        let start = index * SAMPLES_PER_PACKET;
        (start..start + SAMPLES_PER_PACKET).map(move |n| {
            let phase = 2.0 * std::f64::consts::PI * self.freq_hz * n as f64 / 8000.0;
            (f64::from(self.amplitude) * phase.sin()).round() as i16
        })
    }
}

/// One's-complement sum of 16-bit big-endian words (odd length padded with a zero byte).
fn ones_complement_sum(mut acc: u32, bytes: &[u8]) -> u32 {
    for pair in bytes.chunks(2) {
        let hi = u32::from(pair[0]) << 8;
        let lo = pair.get(1).copied().map_or(0, u32::from);
        acc += hi | lo;
    }
    acc
}

fn fold_checksum(mut acc: u32) -> u16 {
    while acc > 0xffff {
        acc = (acc & 0xffff) + (acc >> 16);
    }
    !(acc as u16)
}

/// An Ethernet frame holding IPv4/UDP/`udp_payload`, checksums filled in.
fn frame(stream: &ToneStream, ip_id: u16, udp_payload: &[u8]) -> anyhow::Result<Vec<u8>> {
    let udp_len = u16::try_from(UDP_LEN + udp_payload.len()).context("UDP payload too long")?;
    let ip_len = udp_len
        .checked_add(IPV4_LEN as u16)
        .context("IP packet too long")?;
    let mut f = Vec::with_capacity(ETH_LEN + usize::from(ip_len));
    // Ethernet: locally administered MACs, EtherType IPv4.
    f.extend_from_slice(&[0x02, 0, 0, 0, 0, 0x02, 0x02, 0, 0, 0, 0, 0x01, 0x08, 0x00]);
    // IPv4 header, checksum patched below.
    let ip_start = f.len();
    f.extend_from_slice(&[0x45, 0xb8]); // version 4, IHL 5; DSCP EF as phones send
    f.extend_from_slice(&ip_len.to_be_bytes());
    f.extend_from_slice(&ip_id.to_be_bytes());
    f.extend_from_slice(&[0x40, 0x00, 64, 17, 0, 0]); // DF, TTL 64, UDP, checksum 0
    f.extend_from_slice(&stream.src.0.octets());
    f.extend_from_slice(&stream.dst.0.octets());
    let ip_sum = fold_checksum(ones_complement_sum(0, &f[ip_start..]));
    f[ip_start + 10..ip_start + 12].copy_from_slice(&ip_sum.to_be_bytes());
    // UDP with its pseudo-header checksum.
    let udp_start = f.len();
    f.extend_from_slice(&stream.src.1.to_be_bytes());
    f.extend_from_slice(&stream.dst.1.to_be_bytes());
    f.extend_from_slice(&udp_len.to_be_bytes());
    f.extend_from_slice(&[0, 0]);
    f.extend_from_slice(udp_payload);
    let mut pseudo = Vec::with_capacity(12);
    pseudo.extend_from_slice(&stream.src.0.octets());
    pseudo.extend_from_slice(&stream.dst.0.octets());
    pseudo.extend_from_slice(&[0, 17]);
    pseudo.extend_from_slice(&udp_len.to_be_bytes());
    let sum = ones_complement_sum(ones_complement_sum(0, &pseudo), &f[udp_start..]);
    // A computed 0 is sent as 0xffff (0 means "no checksum").
    let udp_sum = match fold_checksum(sum) {
        0 => 0xffff,
        s => s,
    };
    f[udp_start + 6..udp_start + 8].copy_from_slice(&udp_sum.to_be_bytes());
    Ok(f)
}

/// The pcap file bytes of `stream`.
pub fn tone_pcap_bytes(stream: &ToneStream) -> anyhow::Result<Vec<u8>> {
    let mut out = Vec::new();
    out.extend_from_slice(&PCAP_MAGIC.to_le_bytes());
    out.extend_from_slice(&2u16.to_le_bytes());
    out.extend_from_slice(&4u16.to_le_bytes());
    out.extend_from_slice(&0i32.to_le_bytes()); // GMT offset
    out.extend_from_slice(&0u32.to_le_bytes()); // timestamp accuracy
    out.extend_from_slice(&65_535u32.to_le_bytes()); // snap length
    out.extend_from_slice(&LINKTYPE_ETHERNET.to_le_bytes());
    for i in 0..stream.packets {
        let mut rtp = Vec::with_capacity(RTP_LEN + SAMPLES_PER_PACKET);
        rtp.push(0x80); // version 2
        let event = stream.event_payload(i)?;
        let (pt, marker) = match event {
            Some((first, _, _)) => (PT_EVENT, first),
            None => (stream.payload_type, i == 0), // marker on the first
        };
        rtp.push(if marker { 0x80 | pt } else { pt });
        rtp.extend_from_slice(&stream.first_seq.wrapping_add(i as u16).to_be_bytes());
        let ts = match event {
            Some((_, ts, _)) => ts,
            None => stream
                .first_timestamp
                .wrapping_add((i * SAMPLES_PER_PACKET) as u32),
        };
        rtp.extend_from_slice(&ts.to_be_bytes());
        rtp.extend_from_slice(&stream.ssrc.to_be_bytes());
        match event {
            Some((_, _, payload)) => rtp.extend_from_slice(&payload),
            None => rtp.extend(stream.samples(i).map(ulaw_encode)),
        }
        let f = frame(stream, i as u16, &rtp)?;
        let at_us = i as u64 * 20_000;
        let len = u32::try_from(f.len()).context("frame too long")?;
        out.extend_from_slice(&((at_us / 1_000_000) as u32).to_le_bytes());
        out.extend_from_slice(&((at_us % 1_000_000) as u32).to_le_bytes());
        out.extend_from_slice(&len.to_le_bytes()); // captured length
        out.extend_from_slice(&len.to_le_bytes()); // original length
        out.extend_from_slice(&f);
    }
    Ok(out)
}

/// Write `stream` as a pcap file SIPp's `play_pcap_audio` accepts.
pub fn write_tone_pcap(path: &Path, stream: &ToneStream) -> anyhow::Result<()> {
    let bytes = tone_pcap_bytes(stream)?;
    std::fs::write(path, bytes).with_context(|| format!("writing {}", path.display()))
}

/// One captured UDP datagram carrying RTP, as read back from a pcap file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CapturedRtp {
    /// Capture time in microseconds.
    pub at_us: u64,
    pub src: (Ipv4Addr, u16),
    pub dst: (Ipv4Addr, u16),
    pub marker: bool,
    pub payload_type: u8,
    pub seq: u16,
    pub timestamp: u32,
    pub ssrc: u32,
    pub payload: Vec<u8>,
}

fn be16(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_be_bytes(b.get(at..at + 2)?.try_into().ok()?))
}

fn be32(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_be_bytes(b.get(at..at + 4)?.try_into().ok()?))
}

fn le32(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(b.get(at..at + 4)?.try_into().ok()?))
}

fn ipv4(b: &[u8], at: usize) -> Option<Ipv4Addr> {
    let o: [u8; 4] = b.get(at..at + 4)?.try_into().ok()?;
    Some(Ipv4Addr::from(o))
}

/// Parse one Ethernet frame into its RTP packet; checks the IPv4 and UDP checksums.
fn parse_frame(at_us: u64, f: &[u8]) -> anyhow::Result<CapturedRtp> {
    if be16(f, 12) != Some(0x0800) {
        bail!("not an IPv4 Ethernet frame");
    }
    let ip = f.get(ETH_LEN..).context("short frame")?;
    let ihl = usize::from(ip.first().context("no IP header")? & 0x0f) * 4;
    if ip.first().map(|v| v >> 4) != Some(4) || ihl < IPV4_LEN || ip.get(9) != Some(&17) {
        bail!("not IPv4/UDP");
    }
    let ip_len = usize::from(be16(ip, 2).context("IP length")?);
    let ip_hdr = ip.get(..ihl).context("short IP header")?;
    if fold_checksum(ones_complement_sum(0, ip_hdr)) != 0 {
        bail!("bad IPv4 header checksum");
    }
    let udp = ip.get(ihl..ip_len).context("IP length past the frame")?;
    let udp_len = usize::from(be16(udp, 4).context("UDP length")?);
    if udp_len != udp.len() {
        bail!("UDP length {udp_len} but {} bytes follow", udp.len());
    }
    let (src_ip, dst_ip) = (ipv4(ip, 12), ipv4(ip, 16));
    let (Some(src_ip), Some(dst_ip)) = (src_ip, dst_ip) else {
        bail!("short IP header");
    };
    let mut pseudo = Vec::with_capacity(12);
    pseudo.extend_from_slice(&src_ip.octets());
    pseudo.extend_from_slice(&dst_ip.octets());
    pseudo.extend_from_slice(&[0, 17]);
    pseudo.extend_from_slice(&(udp_len as u16).to_be_bytes());
    if fold_checksum(ones_complement_sum(ones_complement_sum(0, &pseudo), udp)) != 0 {
        bail!("bad UDP checksum");
    }
    let rtp = udp.get(UDP_LEN..).context("no UDP payload")?;
    if rtp.len() < RTP_LEN || rtp[0] >> 6 != 2 {
        bail!("not RTP version 2");
    }
    let csrc = usize::from(rtp[0] & 0x0f) * 4;
    Ok(CapturedRtp {
        at_us,
        src: (src_ip, be16(udp, 0).context("UDP ports")?),
        dst: (dst_ip, be16(udp, 2).context("UDP ports")?),
        marker: rtp[1] & 0x80 != 0,
        payload_type: rtp[1] & 0x7f,
        seq: be16(rtp, 2).context("RTP seq")?,
        timestamp: be32(rtp, 4).context("RTP timestamp")?,
        ssrc: be32(rtp, 8).context("RTP SSRC")?,
        payload: rtp
            .get(RTP_LEN + csrc..)
            .context("CSRC list past the end")?
            .to_vec(),
    })
}

/// Read back a little-endian, Ethernet-linked classic pcap file of RTP over IPv4/UDP (the kind
/// [`write_tone_pcap`] writes and SIPp plays).
pub fn read_pcap(path: &Path) -> anyhow::Result<Vec<CapturedRtp>> {
    let b = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
    if le32(&b, 0) != Some(PCAP_MAGIC) {
        bail!("{}: not a little-endian microsecond pcap", path.display());
    }
    if le32(&b, 20) != Some(LINKTYPE_ETHERNET) {
        bail!("{}: link type is not Ethernet", path.display());
    }
    let mut out = Vec::new();
    let mut at = 24;
    while at < b.len() {
        let (Some(sec), Some(usec), Some(cap), Some(orig)) = (
            le32(&b, at),
            le32(&b, at + 4),
            le32(&b, at + 8),
            le32(&b, at + 12),
        ) else {
            bail!("{}: truncated record header at byte {at}", path.display());
        };
        if cap != orig {
            bail!(
                "{}: truncated packet at byte {at} (SIPp refuses those)",
                path.display()
            );
        }
        let body = at + 16;
        let f = b
            .get(body..body + cap as usize)
            .with_context(|| format!("{}: truncated packet at byte {at}", path.display()))?;
        let at_us = u64::from(sec) * 1_000_000 + u64::from(usec);
        out.push(
            parse_frame(at_us, f)
                .with_context(|| format!("{}: packet {}", path.display(), out.len()))?,
        );
        at = body + cap as usize;
    }
    Ok(out)
}

/// The PCMU payloads of `packets` decoded to linear samples, in order.
pub fn decode_pcmu(packets: &[CapturedRtp]) -> Vec<i16> {
    packets
        .iter()
        .flat_map(|p| p.payload.iter().map(|&c| ulaw_decode(c)))
        .collect()
}

/// Write a copy of the SIPp scenario `template` (in tests/sipp/, with
/// `play_pcap_audio="TONE_PCAP"`) into `dir` that plays `pcap` instead, and return its path.
/// SIPp reads the pcap when it loads the scenario, so the path cannot be a `-set` variable.
pub fn tone_scenario(dir: &Path, template: &str, pcap: &Path) -> anyhow::Result<PathBuf> {
    let placeholder = "play_pcap_audio=\"TONE_PCAP\"";
    let xml = std::fs::read_to_string(crate::scenario(template))
        .with_context(|| format!("reading scenario {template}"))?;
    if !xml.contains(placeholder) {
        bail!("{template} has no {placeholder}");
    }
    let pcap_text = pcap.to_str().context("pcap path is not UTF-8")?;
    if pcap_text.contains(['"', '<', '&']) {
        bail!("pcap path {pcap_text} needs XML escaping");
    }
    let xml = xml.replace(placeholder, &format!("play_pcap_audio=\"{pcap_text}\""));
    let stem = |p: &Path| {
        p.file_stem()
            .map(|s| s.to_string_lossy().to_string())
            .unwrap_or_default()
    };
    let out = dir.join(format!("{}-{}.xml", stem(Path::new(template)), stem(pcap)));
    std::fs::write(&out, xml).with_context(|| format!("writing {}", out.display()))?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tone::{blocks_with_tone, tone_share, Wav};

    #[test]
    fn tone_pcap_reads_back_with_sequenced_rtp_carrying_the_tone() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("tone.pcap");
        let stream = ToneStream::new(1000.0, 2);
        write_tone_pcap(&p, &stream).unwrap();

        let bytes = std::fs::read(&p).unwrap();
        // The same global header as SIPp's own g711a.pcap.
        assert_eq!(&bytes[..4], &[0xd4, 0xc3, 0xb2, 0xa1]);
        assert_eq!(&bytes[4..8], &[2, 0, 4, 0]);
        assert_eq!(le32(&bytes, 16), Some(65_535));
        assert_eq!(le32(&bytes, 20), Some(1));

        let packets = read_pcap(&p).unwrap();
        assert_eq!(packets.len(), 100);
        assert_eq!(
            bytes.len(),
            24 + 100 * (16 + ETH_LEN + IPV4_LEN + UDP_LEN + RTP_LEN + 160)
        );
        for (i, pkt) in packets.iter().enumerate() {
            assert_eq!(pkt.payload_type, PT_PCMU);
            assert_eq!(pkt.marker, i == 0, "marker only on the first packet");
            assert_eq!(pkt.seq, 1000 + i as u16);
            assert_eq!(pkt.timestamp, 16_000 + 160 * i as u32);
            assert_eq!(pkt.ssrc, stream.ssrc);
            assert_eq!(pkt.payload.len(), SAMPLES_PER_PACKET);
            assert_eq!(pkt.at_us, 20_000 * i as u64, "paced every 20 ms");
            assert_eq!(pkt.src, stream.src);
            assert_eq!(pkt.dst, stream.dst);
        }

        let wav = Wav {
            sample_rate: 8000,
            samples: decode_pcmu(&packets),
        };
        assert_eq!(wav.samples.len(), 16_000);
        // 400-sample blocks hold whole cycles of both 1 kHz and 440 Hz.
        assert_eq!(blocks_with_tone(&wav, 400, 1000.0), 40);
        assert_eq!(blocks_with_tone(&wav, 400, 440.0), 0);
        assert!(tone_share(&wav.samples[..400], 8000, 1000.0) > 0.95);
    }

    #[test]
    fn a_key_press_is_eight_rfc4733_packets_in_the_tone() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("key.pcap");
        write_tone_pcap(&p, &ToneStream::new(440.0, 1).key_at(200, '#')).unwrap();
        let packets = read_pcap(&p).unwrap();
        assert_eq!(packets.len(), 50);
        let events: Vec<_> = packets
            .iter()
            .filter(|p| p.payload_type == PT_EVENT)
            .collect();
        assert_eq!(events.len(), KEY_PACKETS);
        assert_eq!(events[0].seq, 1010, "the event starts at packet 10");
        assert!(events[0].marker);
        assert!(events.iter().all(|e| e.timestamp == 16_000 + 10 * 160));
        assert!(events.iter().all(|e| e.payload[0] == 11), "# is event 11");
        let durations: Vec<u16> = events
            .iter()
            .map(|e| u16::from_be_bytes([e.payload[2], e.payload[3]]))
            .collect();
        assert_eq!(durations, [160, 320, 480, 640, 800, 800, 800, 800]);
        let ends = events.iter().filter(|e| e.payload[1] & 0x80 != 0).count();
        assert_eq!(ends, 4);
        assert!(packets[9].payload_type == PT_PCMU && packets[18].payload_type == PT_PCMU);
        let err = ToneStream::new(440.0, 1)
            .key_at(0, 'x')
            .event_payload(0)
            .unwrap_err();
        assert!(
            format!("{err:#}").contains("no RFC 4733 event for key 'x'"),
            "{err:#}"
        );
    }

    #[test]
    fn sequence_and_timestamp_wrap_and_other_tones_differ() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("tone.pcap");
        let stream = ToneStream {
            first_seq: u16::MAX - 1,
            first_timestamp: u32::MAX - 200,
            ..ToneStream::new(440.0, 1)
        };
        write_tone_pcap(&p, &stream).unwrap();
        let packets = read_pcap(&p).unwrap();
        assert_eq!(packets.len(), 50);
        assert_eq!(packets[1].seq, u16::MAX);
        assert_eq!(packets[2].seq, 0);
        assert_eq!(packets[1].timestamp, u32::MAX - 40);
        assert_eq!(packets[2].timestamp, 119);
        let wav = Wav {
            sample_rate: 8000,
            samples: decode_pcmu(&packets),
        };
        assert_eq!(blocks_with_tone(&wav, 400, 440.0), 20);
        assert_eq!(blocks_with_tone(&wav, 400, 1000.0), 0);
        assert_ne!(stream.ssrc, ToneStream::new(1000.0, 1).ssrc);
    }

    #[test]
    fn tone_scenarios_play_the_given_pcap() {
        let dir = tempfile::tempdir().unwrap();
        let pcap = dir.path().join("hz440.pcap");
        for template in ["uac_tone.xml", "uas_tone.xml"] {
            let p = tone_scenario(dir.path(), template, &pcap).unwrap();
            let xml = std::fs::read_to_string(&p).unwrap();
            let want = format!("play_pcap_audio=\"{}\"", pcap.display());
            assert_eq!(xml.matches(&want).count(), 1, "{xml}");
            assert!(!xml.contains("\"TONE_PCAP\""), "{xml}");
        }
        let err = tone_scenario(dir.path(), "uas_answer.xml", &pcap).unwrap_err();
        assert!(
            format!("{err:#}").contains("uas_answer.xml has no play_pcap_audio"),
            "{err:#}"
        );
    }

    #[test]
    fn corrupted_checksum_and_truncated_file_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("tone.pcap");
        write_tone_pcap(&p, &ToneStream::new(1000.0, 1)).unwrap();
        let good = std::fs::read(&p).unwrap();

        let mut bad = good.clone();
        // A payload byte of the first packet: the UDP checksum no longer matches.
        bad[24 + 16 + ETH_LEN + IPV4_LEN + UDP_LEN + RTP_LEN] ^= 0x55;
        std::fs::write(&p, &bad).unwrap();
        let err = read_pcap(&p).unwrap_err();
        assert!(format!("{err:#}").contains("UDP checksum"), "{err:#}");

        std::fs::write(&p, &good[..good.len() - 10]).unwrap();
        let err = read_pcap(&p).unwrap_err();
        assert!(format!("{err:#}").contains("truncated"), "{err:#}");
    }
}
