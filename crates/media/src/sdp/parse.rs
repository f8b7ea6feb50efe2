//! Line-by-line SDP parser: classifies every line (so the rewriter can keep the rest verbatim)
//! and fills the typed view. Strict about the lines the relay depends on (`o=`, `c=`, `m=`,
//! `a=rtcp`, `a=rtpmap`), lenient about everything else.

use std::net::IpAddr;

use super::{
    Connection, Direction, Line, LineKind, MediaDescription, Origin, RtcpAttribute, RtpMap,
    SdpError, SessionDescription,
};

/// Attributes that carry ICE candidates or credentials (RFC 8839).
const ICE_ATTRIBUTES: &[&str] = &[
    "candidate",
    "remote-candidates",
    "end-of-candidates",
    "ice-ufrag",
    "ice-pwd",
    "ice-options",
    "ice-lite",
    "ice-mismatch",
];

pub(super) fn parse(text: &str) -> Result<SessionDescription, SdpError> {
    let mut lines = Vec::new();
    let mut origin = None;
    let mut connection = None;
    let mut session_direction = None;
    let mut media: Vec<MediaDescription> = Vec::new();
    let mut media_direction: Vec<Option<Direction>> = Vec::new();
    let mut seen_version = false;

    for (index, raw) in text.split('\n').enumerate() {
        let number = index + 1;
        let line = raw.trim_end();
        if line.is_empty() {
            continue;
        }
        if !seen_version {
            if line != "v=0" {
                return Err(SdpError::NotSdp);
            }
            seen_version = true;
            lines.push(Line {
                text: line.to_owned(),
                kind: LineKind::Other,
            });
            continue;
        }
        let (kind_char, value) = split_type(line).ok_or(SdpError::BadLine { line: number })?;
        let current = media.len().checked_sub(1);
        let kind = match kind_char {
            'o' if origin.is_none() && current.is_none() => {
                origin = Some(parse_origin(value).ok_or(SdpError::BadOrigin { line: number })?);
                LineKind::Origin
            }
            'c' => {
                let conn = parse_connection(value, number)?;
                match current.and_then(|i| media.get_mut(i)) {
                    Some(m) => m.connection = Some(conn),
                    None => connection = Some(conn),
                }
                LineKind::Connection
            }
            'm' => {
                media.push(parse_media(value, number)?);
                media_direction.push(None);
                LineKind::Media(media.len() - 1)
            }
            'a' => {
                let (name, attr_value) = match value.split_once(':') {
                    Some((n, v)) => (n, Some(v)),
                    None => (value, None),
                };
                if let Some(dir) = Direction::from_attribute(name) {
                    match current.and_then(|i| media_direction.get_mut(i)) {
                        Some(d) => *d = Some(dir),
                        None => session_direction = Some(dir),
                    }
                    LineKind::Other
                } else if ICE_ATTRIBUTES.contains(&name) {
                    LineKind::Ice
                } else if let Some((i, m)) = current.and_then(|i| Some((i, media.get_mut(i)?))) {
                    media_attribute(m, i, name, attr_value, number)?
                } else {
                    LineKind::Other
                }
            }
            _ => LineKind::Other,
        };
        lines.push(Line {
            text: line.to_owned(),
            kind,
        });
    }

    if !seen_version {
        return Err(SdpError::NotSdp);
    }
    let origin = origin.ok_or(SdpError::MissingOrigin)?;
    for (index, (m, dir)) in media.iter_mut().zip(media_direction).enumerate() {
        m.direction = dir.or(session_direction).unwrap_or_default();
        if m.port != 0 && m.connection.is_none() && connection.is_none() {
            return Err(SdpError::MissingConnection { index });
        }
    }
    Ok(SessionDescription {
        lines,
        origin,
        connection,
        direction: session_direction,
        media,
    })
}

/// `x=value` with `x` a single ASCII letter.
fn split_type(line: &str) -> Option<(char, &str)> {
    let mut chars = line.chars();
    let kind = chars.next().filter(char::is_ascii_alphabetic)?;
    let value = chars.as_str().strip_prefix('=')?;
    Some((kind, value))
}

fn parse_origin(value: &str) -> Option<Origin> {
    let fields: Vec<&str> = value.split_whitespace().collect();
    let [username, session_id, session_version, nettype, _addrtype, address] = fields[..] else {
        return None;
    };
    if nettype != "IN" || !session_version.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some(Origin {
        username: username.to_owned(),
        session_id: session_id.to_owned(),
        session_version: session_version.to_owned(),
        address: address.to_owned(),
    })
}

/// `IN IP4|IP6 <address>[/ttl[/count]]`; the address must be an IP of the declared family.
fn parse_ip(nettype: &str, addrtype: &str, address: &str) -> Option<IpAddr> {
    if nettype != "IN" {
        return None;
    }
    let address = address.split('/').next()?;
    let ip: IpAddr = address.parse().ok()?;
    match (addrtype, ip) {
        ("IP4", IpAddr::V4(_)) | ("IP6", IpAddr::V6(_)) => Some(ip),
        _ => None,
    }
}

fn parse_connection(value: &str, line: usize) -> Result<Connection, SdpError> {
    let fields: Vec<&str> = value.split_whitespace().collect();
    let [nettype, addrtype, address] = fields[..] else {
        return Err(SdpError::BadConnection { line });
    };
    let address = parse_ip(nettype, addrtype, address).ok_or(SdpError::BadConnection { line })?;
    Ok(Connection { address, line })
}

fn parse_media(value: &str, line: usize) -> Result<MediaDescription, SdpError> {
    let bad = SdpError::BadMedia { line };
    let mut fields = value.split_whitespace();
    let (Some(media), Some(port), Some(proto)) = (fields.next(), fields.next(), fields.next())
    else {
        return Err(bad);
    };
    let (port, port_count) = match port.split_once('/') {
        Some((p, n)) => (p, Some(n.parse::<u16>().map_err(|_| bad.clone())?)),
        None => (port, None),
    };
    let port = port.parse::<u16>().map_err(|_| bad.clone())?;
    Ok(MediaDescription {
        media: media.to_owned(),
        port,
        port_count,
        proto: proto.to_owned(),
        formats: fields.map(str::to_owned).collect(),
        connection: None,
        rtcp: None,
        rtcp_mux: false,
        direction: Direction::default(),
        rtpmaps: Vec::new(),
        line,
    })
}

/// Media-level attributes the relay understands; returns how the line is classified.
fn media_attribute(
    m: &mut MediaDescription,
    index: usize,
    name: &str,
    value: Option<&str>,
    line: usize,
) -> Result<LineKind, SdpError> {
    match name {
        "rtcp-mux" => {
            m.rtcp_mux = true;
            Ok(LineKind::Other)
        }
        "rtcp" => {
            let attr = value
                .and_then(parse_rtcp)
                .ok_or(SdpError::BadAttribute { line, name: "rtcp" })?;
            m.rtcp = Some(attr);
            Ok(LineKind::Rtcp(index))
        }
        "rtpmap" => {
            let map = value.and_then(parse_rtpmap).ok_or(SdpError::BadAttribute {
                line,
                name: "rtpmap",
            })?;
            m.rtpmaps.push(map);
            Ok(LineKind::Other)
        }
        _ => Ok(LineKind::Other),
    }
}

fn parse_rtcp(value: &str) -> Option<RtcpAttribute> {
    let fields: Vec<&str> = value.split_whitespace().collect();
    match fields[..] {
        [port] => Some(RtcpAttribute {
            port: port.parse().ok()?,
            address: None,
        }),
        [port, nettype, addrtype, address] => Some(RtcpAttribute {
            port: port.parse().ok()?,
            address: Some(parse_ip(nettype, addrtype, address)?),
        }),
        _ => None,
    }
}

fn parse_rtpmap(value: &str) -> Option<RtpMap> {
    let (pt, rest) = value.trim().split_once(char::is_whitespace)?;
    let payload_type: u8 = pt.parse().ok().filter(|pt| *pt <= 127)?;
    let mut parts = rest.trim().split('/');
    let encoding = parts.next().filter(|e| !e.is_empty())?;
    let clock_rate = parts.next()?.parse().ok()?;
    let channels = match parts.next() {
        Some(c) => Some(c.parse().ok()?),
        None => None,
    };
    if parts.next().is_some() {
        return None;
    }
    Some(RtpMap {
        payload_type,
        encoding: encoding.to_owned(),
        clock_rate,
        channels,
    })
}
