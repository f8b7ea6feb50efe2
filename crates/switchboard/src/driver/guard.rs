//! One message must not end every call. The core is written not to panic on any input (its
//! parsing crates deny the lints that could), but should a bug still panic while it handles one
//! message or timer, the driver catches the panic here, logs it with the message, answers a
//! request with `500 Server Internal Error`, counts it (`core_panics` in `/api/status` and
//! `/metrics`), and goes on serving the other calls.
//!
//! Why carrying on is sound: the core's state is plain data owned by one task; a panic leaves
//! at worst the one call whose message was being handled in a half-updated state, and that
//! call's own timers (ring timeout, transaction timers, media timeout) still end it.

use bytes::Bytes;
use std::panic::{catch_unwind, AssertUnwindSafe};

/// How much of a message goes into the log line.
const LOGGED_BYTES: usize = 2048;

/// Runs `f`, turning a panic into `Err` with the panic's message.
pub fn run<R>(f: impl FnOnce() -> R) -> Result<R, String> {
    catch_unwind(AssertUnwindSafe(f)).map_err(|payload| {
        if let Some(s) = payload.downcast_ref::<&str>() {
            (*s).to_owned()
        } else if let Some(s) = payload.downcast_ref::<String>() {
            s.clone()
        } else {
            "a panic without a message".to_owned()
        }
    })
}

/// The message as it goes into the log: lossy UTF-8, at most [`LOGGED_BYTES`].
pub fn loggable(raw: &[u8]) -> String {
    let cut = raw.get(..LOGGED_BYTES).unwrap_or(raw);
    let mut text = String::from_utf8_lossy(cut).into_owned();
    if raw.len() > LOGGED_BYTES {
        text.push_str(" …");
    }
    text
}

/// The answer to a request whose handling panicked (`None` for responses and ACKs, which get
/// none).
pub fn reply_500(raw: &[u8]) -> Option<Bytes> {
    sip::parse::respond_unparsable(raw, 500, "Server Internal Error")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panic_becomes_an_error_with_its_message() {
        assert_eq!(run(|| 7), Ok(7));
        let text = run(|| -> u8 { panic!("index {} out of range", 3) }).unwrap_err();
        assert_eq!(text, "index 3 out of range");
        let fixed = run(|| -> u8 { panic!("fixed") }).unwrap_err();
        assert_eq!(fixed, "fixed");
    }

    #[test]
    fn a_request_gets_500_with_its_dialog_headers_and_a_response_gets_nothing() {
        let invite = b"INVITE sip:*9x@sb SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK-1\r\n\
From: <sip:1001@sb>;tag=a\r\nTo: <sip:*9x@sb>\r\nCall-ID: c1\r\nCSeq: 2 INVITE\r\nContent-Length: 0\r\n\r\n";
        let reply = reply_500(invite).expect("a request is answered");
        let text = String::from_utf8_lossy(&reply);
        assert!(
            text.starts_with("SIP/2.0 500 Server Internal Error\r\n"),
            "{text}"
        );
        assert!(text.contains("branch=z9hG4bK-1"), "{text}");
        assert!(text.contains("Call-ID: c1"), "{text}");
        assert!(text.contains("CSeq: 2 INVITE"), "{text}");
        let ok = b"SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP 127.0.0.1;branch=z9hG4bK-2\r\nContent-Length: 0\r\n\r\n";
        assert_eq!(reply_500(ok), None);
    }

    #[test]
    fn the_logged_message_is_bounded() {
        let long = vec![b'a'; LOGGED_BYTES + 10];
        let logged = loggable(&long);
        assert!(logged.ends_with(" …"));
        assert_eq!(logged.len(), LOGGED_BYTES + " …".len());
        assert_eq!(loggable(b"BYE"), "BYE");
    }
}
