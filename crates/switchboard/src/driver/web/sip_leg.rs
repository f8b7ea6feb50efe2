//! The gateway's side of a web call's SIP dialog with the core: the INVITE's offer, then ACK,
//! BYE, CANCEL and the 200 to the core's BYE, as text on the internal transport (reliable, so
//! no retransmissions; the core's transaction layer sees an ordinary caller).

use rsip::headers::UntypedHeader;
use rsip::{Header, Request, Response};
use std::net::SocketAddr;

/// The gateway's SDP for its plain RTP socket `rtp`, sending and receiving;
/// `telephone_event_pt` is the payload type of telephone-events on the plain side (the leg's
/// configuration).
pub fn offer_sdp(rtp: SocketAddr, telephone_event_pt: u8) -> String {
    sdp_with_direction(rtp, telephone_event_pt, "sendrecv")
}

/// [`offer_sdp`] with another `direction` attribute (`sendonly` puts the call on hold).
pub fn sdp_with_direction(rtp: SocketAddr, telephone_event_pt: u8, direction: &str) -> String {
    let family = if rtp.is_ipv4() { "IP4" } else { "IP6" };
    let ip = rtp.ip();
    format!(
        "v=0\r\n\
         o=switchboard-web 1 1 IN {family} {ip}\r\n\
         s=web call\r\n\
         c=IN {family} {ip}\r\n\
         t=0 0\r\n\
         m=audio {port} RTP/AVP 0 {te}\r\n\
         a=rtpmap:0 PCMU/8000\r\n\
         a=rtpmap:{te} telephone-event/8000\r\n\
         a=fmtp:{te} 0-16\r\n\
         a={direction}\r\n",
        port = rtp.port(),
        te = telephone_event_pt,
    )
}

/// Where the core's answer says to send the call's audio (the relay's port for us).
pub fn relay_of(answer: &Response) -> Option<SocketAddr> {
    let text = std::str::from_utf8(&answer.body).ok()?;
    let sdp = media::sdp::SessionDescription::parse(text).ok()?;
    Some(sdp.audio_target()?.rtp)
}

/// Our dialog: what the in-dialog requests carry.
#[derive(Debug, Clone)]
pub struct Dialog {
    pub call_id: String,
    /// Our From (with our tag).
    pub from: String,
    /// The INVITE's Request-URI and To (without tag), for CANCEL.
    pub invite_uri: String,
    pub invite_to: String,
    pub invite_branch: String,
    /// Once answered: the core's To (with its tag) and Contact.
    pub to: Option<String>,
    pub target: Option<String>,
    pub cseq: u32,
}

impl Dialog {
    /// The dialog of the INVITE `invite` (bytes the gateway wrote), before any answer.
    pub fn of_invite(invite: &Request) -> Option<Dialog> {
        let value = |want: fn(&Header) -> Option<String>| invite.headers.iter().find_map(want);
        let via = value(|h| match h {
            Header::Via(v) => Some(v.value().to_string()),
            _ => None,
        })?;
        let branch = via
            .split(';')
            .find_map(|p| p.trim().strip_prefix("branch="))?
            .to_string();
        Some(Dialog {
            call_id: value(|h| match h {
                Header::CallId(c) => Some(c.value().to_string()),
                _ => None,
            })?,
            from: value(|h| match h {
                Header::From(f) => Some(f.value().to_string()),
                _ => None,
            })?,
            invite_uri: invite.uri.to_string(),
            invite_to: value(|h| match h {
                Header::To(t) => Some(t.value().to_string()),
                _ => None,
            })?,
            invite_branch: branch,
            to: None,
            target: None,
            cseq: 1,
        })
    }

    /// The core answered 2xx: learn its tag and Contact.
    pub fn answered(&mut self, ok: &Response) {
        for h in ok.headers.iter() {
            match h {
                Header::To(t) => self.to = Some(t.value().to_string()),
                Header::Contact(c) => {
                    let v = c.value();
                    let uri = v
                        .split_once('<')
                        .and_then(|(_, r)| r.split_once('>'))
                        .map_or(v, |(u, _)| u);
                    self.target = Some(uri.to_string());
                }
                _ => {}
            }
        }
    }

    fn request(&self, method: &str, uri: &str, to: &str, cseq: u32, branch: &str) -> Vec<u8> {
        format!(
            "{method} {uri} SIP/2.0\r\n\
             Via: SIP/2.0/TCP web.invalid;branch={branch}\r\n\
             Max-Forwards: 70\r\n\
             From: {from}\r\n\
             To: {to}\r\n\
             Call-ID: {call_id}\r\n\
             CSeq: {cseq} {method}\r\n\
             Content-Length: 0\r\n\r\n",
            from = self.from,
            call_id = self.call_id,
        )
        .into_bytes()
    }

    /// ACK of the core's 2xx.
    pub fn ack(&self) -> Option<Vec<u8>> {
        let (to, target) = (self.to.as_deref()?, self.target.as_deref()?);
        Some(self.request("ACK", target, to, 1, &sip::message::new_branch()))
    }

    /// BYE on the answered dialog.
    pub fn bye(&mut self) -> Option<Vec<u8>> {
        let (to, target) = (self.to.clone()?, self.target.clone()?);
        self.cseq += 1;
        Some(self.request("BYE", &target, &to, self.cseq, &sip::message::new_branch()))
    }

    /// CANCEL of the INVITE not answered yet.
    pub fn cancel(&self) -> Vec<u8> {
        self.request(
            "CANCEL",
            &self.invite_uri,
            &self.invite_to,
            1,
            &self.invite_branch,
        )
    }
}

/// 200 OK to a request of the core (its BYE).
pub fn ok_to(req: &Request) -> Vec<u8> {
    let resp = sip::message::make_response(req, 200, None, None);
    sip::message::response_to_bytes(&resp).to_vec()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(bytes: &[u8]) -> rsip::SipMessage {
        sip::parse::parse(bytes).expect("parses")
    }

    #[test]
    fn the_dialogs_requests_parse_and_follow_the_answer() {
        let invite = switch::WebInvite {
            entry: "loans".into(),
            target: switch::WebTarget::Route("1588".into()),
            caller: "web".into(),
            caller_name: "Web visitor".into(),
            customer_id: None,
            verified: false,
            page_url: None,
        };
        let sdp = offer_sdp("127.0.0.1:40002".parse().expect("addr"), 101);
        let bytes = invite.to_bytes("c1", "tag1", "switchboard.local", &sdp);
        let rsip::SipMessage::Request(req) = parse(&bytes) else {
            panic!("request");
        };
        let mut d = Dialog::of_invite(&req).expect("dialog");
        assert!(d.ack().is_none(), "nothing to ACK yet");
        let cancel = String::from_utf8(d.cancel()).expect("text");
        assert!(cancel.starts_with("CANCEL sip:1588@switchboard.local SIP/2.0"));
        assert!(cancel.contains("branch=z9hG4bKtag1"), "{cancel}");
        assert!(matches!(
            parse(cancel.as_bytes()),
            rsip::SipMessage::Request(_)
        ));

        let mut ok = sip::message::make_response(&req, 200, None, Some("core"));
        ok.headers
            .push(Header::Contact("<sip:1588@127.0.0.1:5060>".into()));
        ok.body = "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n\
                   m=audio 20000 RTP/AVP 0\r\n"
            .into();
        assert_eq!(
            relay_of(&ok),
            Some("127.0.0.1:20000".parse().expect("addr"))
        );
        d.answered(&ok);
        let ack = String::from_utf8(d.ack().expect("ack")).expect("text");
        assert!(
            ack.starts_with("ACK sip:1588@127.0.0.1:5060 SIP/2.0"),
            "{ack}"
        );
        assert!(ack.contains(";tag=core"), "{ack}");
        let bye = String::from_utf8(d.bye().expect("bye")).expect("text");
        assert!(bye.contains("CSeq: 2 BYE"), "{bye}");
        let rsip::SipMessage::Request(bye) = parse(bye.as_bytes()) else {
            panic!("request");
        };
        let ok = String::from_utf8(ok_to(&bye)).expect("text");
        assert!(ok.starts_with("SIP/2.0 200"), "{ok}");
    }
}
