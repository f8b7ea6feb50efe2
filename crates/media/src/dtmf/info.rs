//! DTMF in SIP INFO bodies: `application/dtmf-relay` (`Signal=5` and `Duration=160` lines,
//! duration in ms) and `application/dtmf` (the key alone). Keys may be written as characters
//! or as RFC 4733 event codes (`10` for `*`, `11` for `#`).

use std::time::Duration;

use super::{digit_from_code, DtmfEvent, DtmfSource};

/// Duration reported when the body does not give one.
pub const DEFAULT_INFO_DURATION: Duration = Duration::from_millis(160);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum InfoError {
    #[error("content type {0:?} does not carry DTMF")]
    NotDtmf(String),
    #[error("no Signal line in dtmf-relay body")]
    MissingSignal,
    #[error("{0:?} is not a DTMF key")]
    BadSignal(String),
    #[error("bad Duration {0:?}")]
    BadDuration(String),
}

/// Parse an INFO body given its Content-Type (parameters and case are ignored).
pub fn parse_info(content_type: &str, body: &str) -> Result<DtmfEvent, InfoError> {
    let media_type = content_type
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    match media_type.as_str() {
        "application/dtmf-relay" => parse_relay(body),
        "application/dtmf" => Ok(DtmfEvent {
            digit: parse_key(body.trim())?,
            source: DtmfSource::SipInfo,
            duration: DEFAULT_INFO_DURATION,
        }),
        _ => Err(InfoError::NotDtmf(content_type.to_owned())),
    }
}

fn parse_relay(body: &str) -> Result<DtmfEvent, InfoError> {
    let mut digit = None;
    let mut duration = DEFAULT_INFO_DURATION;
    for line in body.lines() {
        let Some((key, value)) = line.split_once('=') else {
            continue;
        };
        let value = value.trim();
        match key.trim().to_ascii_lowercase().as_str() {
            "signal" => digit = Some(parse_key(value)?),
            "duration" => {
                let ms: u64 = value
                    .parse()
                    .map_err(|_| InfoError::BadDuration(value.to_owned()))?;
                duration = Duration::from_millis(ms);
            }
            _ => {}
        }
    }
    Ok(DtmfEvent {
        digit: digit.ok_or(InfoError::MissingSignal)?,
        source: DtmfSource::SipInfo,
        duration,
    })
}

fn parse_key(text: &str) -> Result<char, InfoError> {
    let bad = || InfoError::BadSignal(text.to_owned());
    let mut chars = text.chars();
    match (chars.next(), chars.next()) {
        (Some(c), None) => {
            let c = c.to_ascii_uppercase();
            if c.is_ascii_digit() || matches!(c, '*' | '#' | 'A'..='D') {
                Ok(c)
            } else {
                Err(bad())
            }
        }
        _ => text
            .parse::<u8>()
            .ok()
            .and_then(digit_from_code)
            .ok_or_else(bad),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dtmf_relay_bodies() {
        let e = parse_info("application/dtmf-relay", "Signal=5\r\nDuration=160\r\n").unwrap();
        assert_eq!(
            e,
            DtmfEvent {
                digit: '5',
                source: DtmfSource::SipInfo,
                duration: Duration::from_millis(160)
            }
        );
        let e = parse_info("Application/DTMF-Relay; x=y", "signal = #\nDuration= 250").unwrap();
        assert_eq!((e.digit, e.duration), ('#', Duration::from_millis(250)));
        let e = parse_info("application/dtmf-relay", "Signal=11\r\n").unwrap();
        assert_eq!((e.digit, e.duration), ('#', DEFAULT_INFO_DURATION));
        assert_eq!(
            parse_info("application/dtmf-relay", "Signal=b")
                .unwrap()
                .digit,
            'B'
        );
    }

    #[test]
    fn dtmf_bodies() {
        assert_eq!(parse_info("application/dtmf", "7\r\n").unwrap().digit, '7');
        assert_eq!(parse_info("application/dtmf", "10").unwrap().digit, '*');
    }

    #[test]
    fn bad_bodies_are_typed_errors() {
        assert_eq!(
            parse_info("application/dtmf-relay", "Duration=100"),
            Err(InfoError::MissingSignal)
        );
        assert_eq!(
            parse_info("application/dtmf-relay", "Signal=x"),
            Err(InfoError::BadSignal("x".into()))
        );
        assert_eq!(
            parse_info("application/dtmf-relay", "Signal=1\nDuration=-5"),
            Err(InfoError::BadDuration("-5".into()))
        );
        assert_eq!(
            parse_info("application/dtmf", "16"),
            Err(InfoError::BadSignal("16".into()))
        );
        assert!(matches!(
            parse_info("application/sdp", "v=0"),
            Err(InfoError::NotDtmf(_))
        ));
        assert!(parse_info("application/dtmf", "").is_err());
    }
}
