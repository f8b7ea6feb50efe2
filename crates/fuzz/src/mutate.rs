//! Byte, line and token mutations over a seed corpus, driven by a seeded xorshift generator so
//! that a run is reproducible from its seed.

/// xorshift64*: small, fast and deterministic; fuzzing needs no better.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed ^ 0x9E37_79B9_7F4A_7C15 | 1)
    }

    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// A value in `0..n` (`n` > 0).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n.max(1) as u64) as usize
    }

    pub fn chance(&mut self, one_in: usize) -> bool {
        self.below(one_in) == 0
    }
}

/// Tokens that mean something to SIP, SDP or TOML parsers.
const TOKENS: &[&[u8]] = &[
    b";",
    b"%",
    b"%0",
    b"%zz",
    b"[",
    b"]",
    b"[::1]",
    b":",
    b"::",
    b"@",
    b"<",
    b">",
    b"\"",
    b"\\",
    b",",
    b"=",
    b"?",
    b"&",
    b"/",
    b" ",
    b"\t",
    b"\r\n",
    b"\n",
    b"\r",
    b"\r\n ",
    b"\r\n\t",
    b"\r\n\r\n",
    b"\0",
    b"\xc3\xa9",
    b"\xe2\x82\xac",
    b"\xf0\x9f\x93\x9e",
    b"\xff",
    b"\xc3",
    b"0",
    b"-1",
    b"65535",
    b"65536",
    b"4294967295",
    b"4294967296",
    b"18446744073709551616",
    b"99999999999999999999999",
    b"2147483648",
    b"-0",
    b"1e9",
    b"0x10",
    b"sip:",
    b"sips:",
    b"tel:",
    b"SIP/2.0",
    b"SIP/2.0/UDP",
    b"SIP/2.0/TCP",
    b"branch=z9hG4bK",
    b";tag=",
    b";lr",
    b";maddr=",
    b";received=",
    b";rport",
    b"transport=tcp",
    b"Content-Length: ",
    b"Content-Length: 0",
    b"Content-Length: 99999",
    b"Content-Type: application/sdp",
    b"Via: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bKx",
    b"Expires: ",
    b"Max-Forwards: 0",
    b"CSeq: 1 INVITE",
    b"Contact: *",
    b"Record-Route: <sip:10.0.0.9;lr>",
    b"Route: <sip:x;lr>",
    b"Replaces: ",
    b"Refer-To: ",
    b"m=audio ",
    b"m=video 0 RTP/AVP 0",
    b"c=IN IP4 ",
    b"c=IN IP6 ",
    b"a=rtpmap:",
    b"a=rtcp:",
    b"a=sendonly",
    b"a=inactive",
    b"a=fmtp:101 0-16",
    b"telephone-event/8000",
    b"RTP/AVP",
    b"RTP/SAVP",
    b"0.0.0.0",
    b"255.255.255.255",
    b"[",
    b"]]",
    b"[[",
    b"{",
    b"}",
    b"'''",
    b"\"\"\"",
    b"#",
    b"= [",
    b"= {",
    b"true",
    b"nan",
    b"inf",
    b"1979-05-27",
    b"24:00",
    b"23:59-00:00",
    b"Europe/Paris",
    b"Mars/Olympus",
];

/// One input derived from `corpus` by one to four stacked mutations.
pub fn mutate(rng: &mut Rng, corpus: &[Vec<u8>]) -> Vec<u8> {
    let mut data = corpus
        .get(rng.below(corpus.len()))
        .cloned()
        .unwrap_or_default();
    for _ in 0..1 + rng.below(4) {
        mutate_once(rng, &mut data, corpus);
    }
    data
}

fn mutate_once(rng: &mut Rng, data: &mut Vec<u8>, corpus: &[Vec<u8>]) {
    let len = data.len();
    match rng.below(14) {
        0 if len > 0 => {
            let i = rng.below(len);
            data[i] ^= 1 << rng.below(8);
        }
        1 if len > 0 => {
            let i = rng.below(len);
            data[i] = rng.next_u64() as u8;
        }
        2 | 3 => {
            let t = TOKENS[rng.below(TOKENS.len())];
            let at = rng.below(len + 1);
            data.splice(at..at, t.iter().copied());
        }
        4 if len > 0 => {
            let at = rng.below(len);
            let n = 1 + rng.below((len - at).min(16));
            data.drain(at..at + n);
        }
        5 => {
            // a very long value
            let at = rng.below(len + 1);
            let b = [b'a', b'9', b';', b'%', b' ', b',', b'<', 0xe2][rng.below(8)];
            let n = [70, 300, 1100, 5000, 70_000][rng.below(5)];
            data.splice(at..at, std::iter::repeat_n(b, n));
        }
        6 => {
            // splice: our head with another entry's tail
            let other = &corpus[rng.below(corpus.len())];
            let cut = rng.below(len + 1);
            let from = rng.below(other.len() + 1);
            data.truncate(cut);
            data.extend_from_slice(&other[from..]);
        }
        7..=9 => line_mutation(rng, data),
        10 => {
            // numbers: replace a run of digits with an edge value
            let digits: Vec<usize> = (0..len).filter(|&i| data[i].is_ascii_digit()).collect();
            if let Some(&start) = digits.get(rng.below(digits.len())) {
                let mut end = start;
                while end < len && data[end].is_ascii_digit() {
                    end += 1;
                }
                let edge: &[u8] = [
                    &b"0"[..],
                    b"1",
                    b"255",
                    b"256",
                    b"65535",
                    b"65536",
                    b"2147483647",
                    b"4294967295",
                    b"4294967296",
                    b"18446744073709551615",
                    b"99999999999999999999999999",
                    b"-1",
                ][rng.below(12)];
                data.splice(start..end, edge.iter().copied());
            }
        }
        11 if len > 1 => {
            // duplicate a chunk in place
            let at = rng.below(len);
            let n = 1 + rng.below((len - at).min(64));
            let chunk = data[at..at + n].to_vec();
            data.splice(at..at, chunk);
        }
        12 => {
            // CR/LF games: bare LF, bare CR, folding
            let nl: Vec<usize> = (0..len).filter(|&i| data[i] == b'\n').collect();
            if let Some(&i) = nl.get(rng.below(nl.len())) {
                let rep: &[u8] =
                    [&b"\n"[..], b"\r", b"\r\n ", b"\n\t", b"\r\r\n", b""][rng.below(6)];
                let start = if i > 0 && data[i - 1] == b'\r' {
                    i - 1
                } else {
                    i
                };
                data.splice(start..=i, rep.iter().copied());
            }
        }
        _ => {
            if len > 0 {
                data.truncate(rng.below(len));
            }
        }
    }
}

/// Delete, duplicate, swap or move whole lines (SIP headers, SDP lines, TOML keys).
fn line_mutation(rng: &mut Rng, data: &mut Vec<u8>) {
    let mut lines: Vec<Vec<u8>> = data
        .split_inclusive(|&b| b == b'\n')
        .map(<[u8]>::to_vec)
        .collect();
    if lines.is_empty() {
        return;
    }
    let n = lines.len();
    let i = rng.below(n);
    match rng.below(4) {
        0 => {
            lines.remove(i);
        }
        1 => {
            let l = lines[i].clone();
            let times = 1 + rng.below(3);
            for _ in 0..times {
                lines.insert(i, l.clone());
            }
        }
        2 => lines.swap(i, rng.below(n)),
        _ => {
            let l = lines.remove(i);
            let to = rng.below(lines.len() + 1);
            lines.insert(to, l);
        }
    }
    *data = lines.concat();
}
