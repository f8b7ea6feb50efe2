//! The browser phone's side of SIP with the core, as text on the internal transport: the
//! REGISTER that makes the page the agent's extension, and the callee's side of a call the
//! core offers (180, 200 with the gateway's SDP, 486/480/487, BYE). Reliable transport: no
//! retransmissions; the core's transactions see an ordinary phone.

use rsip::headers::UntypedHeader;
use rsip::{Header, Request};
use std::net::SocketAddr;

/// The host in our Via: it names no machine.
const HOST: &str = "web.invalid";

/// A page's contact URI for `extension`: its host names no machine (the core reaches the page
/// by the internal peer it registered from) but differs per page, so two tabs are two
/// bindings and one tab's leaving removes only its own.
pub fn contact(extension: &str, page: &str) -> String {
    format!("sip:{extension}@{page}.{HOST};transport=tcp")
}

/// A REGISTER of `extension`'s `contact` for `expires` seconds (0: remove it).
pub fn register(
    extension: &str,
    contact: &str,
    domain: &str,
    call_id: &str,
    cseq: u32,
    expires: u32,
) -> Vec<u8> {
    format!(
        "REGISTER sip:{domain} SIP/2.0\r\n\
         Via: SIP/2.0/TCP {HOST};branch={branch}\r\n\
         Max-Forwards: 70\r\n\
         From: <sip:{extension}@{domain}>;tag={tag}\r\n\
         To: <sip:{extension}@{domain}>\r\n\
         Call-ID: {call_id}\r\n\
         CSeq: {cseq} REGISTER\r\n\
         Contact: <{contact}>\r\n\
         Expires: {expires}\r\n\
         User-Agent: Switchboard browser phone\r\n\
         Content-Length: 0\r\n\r\n",
        branch = sip::message::new_branch(),
        // A tag is a token: the Call-ID's part before its `@`.
        tag = call_id.split('@').next().unwrap_or(call_id),
    )
    .into_bytes()
}

/// The seconds the registrar granted, from its 200 (the Contact's `expires`, else `Expires`).
pub fn granted(ok: &rsip::Response) -> Option<u32> {
    let contact = sip::message::contacts(ok)
        .and_then(|c| c.into_iter().find_map(|c| c.expires))
        .filter(|s| *s > 0);
    contact.or_else(|| sip::message::expires(ok).filter(|s| *s > 0))
}

/// Where the core's offer says to send the agent's audio (the relay's port).
pub fn relay_in(offer: &Request) -> Option<SocketAddr> {
    let text = std::str::from_utf8(&offer.body).ok()?;
    let sdp = media::sdp::SessionDescription::parse(text).ok()?;
    Some(sdp.audio_target()?.rtp)
}

/// A call the core offered the page: the callee's side of its dialog.
#[derive(Debug, Clone)]
pub struct Offered {
    pub invite: Request,
    /// Our To tag.
    pub tag: String,
    /// Our contact URI.
    contact: String,
    cseq: u32,
    /// The core's Contact: where our in-dialog requests go.
    remote_target: Option<String>,
}

impl Offered {
    pub fn new(invite: Request, contact: &str) -> Offered {
        let remote_target = invite.headers.iter().find_map(|h| match h {
            Header::Contact(c) => {
                let v = c.value();
                let uri = v
                    .split_once('<')
                    .and_then(|(_, r)| r.split_once('>'))
                    .map_or(v, |(u, _)| u);
                Some(uri.trim().to_string())
            }
            _ => None,
        });
        Offered {
            invite,
            tag: sip::message::new_tag(),
            contact: contact.to_string(),
            cseq: 0,
            remote_target,
        }
    }

    /// Who calls, as the page shows it: the From's user and display name.
    pub fn caller(&self) -> (String, String) {
        (
            sip::message::from_user(&self.invite).unwrap_or_default(),
            sip::message::from_display_name(&self.invite).unwrap_or_default(),
        )
    }

    pub fn call_id(&self) -> &str {
        sip::message::call_id(&self.invite).unwrap_or("")
    }

    /// Our answer to `req` (the INVITE, or a request in its dialog), with an SDP body when
    /// given; 1xx/2xx to an INVITE carry our Contact.
    pub fn respond(&self, req: &Request, code: u16, sdp: Option<&str>) -> Vec<u8> {
        let mut resp = sip::message::make_response(req, code, None, Some(&self.tag));
        if req.method == rsip::Method::Invite && code < 300 {
            resp.headers
                .push(Header::Contact(format!("<{}>", self.contact).into()));
        }
        if let Some(sdp) = sdp {
            resp.headers
                .push(Header::ContentType("application/sdp".into()));
            resp.body = sdp.as_bytes().to_vec();
        }
        sip::message::response_to_bytes(&resp).to_vec()
    }

    /// BYE from our side of the answered dialog.
    pub fn bye(&mut self) -> Option<Vec<u8>> {
        self.cseq += 1;
        let branch = sip::message::new_branch();
        self.request("BYE", self.cseq, &branch, None)
    }

    /// A re-INVITE from our side of the answered dialog offering `sdp` (a hold or a resume);
    /// its CSeq number and branch, which its ACK needs.
    pub fn reinvite(&mut self, sdp: &str) -> Option<(Vec<u8>, u32, String)> {
        self.cseq += 1;
        let branch = sip::message::new_branch();
        let bytes = self.request("INVITE", self.cseq, &branch, Some(sdp))?;
        Some((bytes, self.cseq, branch))
    }

    /// The ACK of our re-INVITE `cseq`'s final response: a new branch for a 2xx (its own
    /// transaction), the INVITE's `branch` for a refusal (RFC 3261 §17.1.1.3).
    pub fn ack(&self, cseq: u32, branch: &str, ok: bool) -> Option<Vec<u8>> {
        let own = sip::message::new_branch();
        self.request("ACK", cseq, if ok { &own } else { branch }, None)
    }

    /// A request from our side of the dialog (we are its callee: From and To swap).
    fn request(&self, method: &str, cseq: u32, branch: &str, sdp: Option<&str>) -> Option<Vec<u8>> {
        let target = self.remote_target.as_deref()?;
        let value = |want: fn(&Header) -> Option<String>| self.invite.headers.iter().find_map(want);
        let from = value(|h| match h {
            Header::From(f) => Some(f.value().to_string()),
            _ => None,
        })?;
        let to = value(|h| match h {
            Header::To(t) => Some(t.value().to_string()),
            _ => None,
        })?;
        let (contact, body) = match sdp {
            Some(sdp) => (
                format!(
                    "Contact: <{}>\r\nContent-Type: application/sdp\r\n",
                    self.contact
                ),
                sdp,
            ),
            None => (String::new(), ""),
        };
        Some(
            format!(
                "{method} {target} SIP/2.0\r\n\
                 Via: SIP/2.0/TCP {HOST};branch={branch}\r\n\
                 Max-Forwards: 70\r\n\
                 From: {to};tag={tag}\r\n\
                 To: {from}\r\n\
                 Call-ID: {call_id}\r\n\
                 CSeq: {cseq} {method}\r\n\
                 {contact}\
                 Content-Length: {len}\r\n\r\n{body}",
                tag = self.tag,
                call_id = self.call_id(),
                len = body.len(),
            )
            .into_bytes(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(bytes: &[u8]) -> Request {
        match sip::parse::parse(bytes) {
            Ok(rsip::SipMessage::Request(r)) => r,
            other => panic!("not a request: {other:?}"),
        }
    }

    const INVITE: &str = "INVITE sip:1001@web.invalid;transport=tcp SIP/2.0\r\n\
        Via: SIP/2.0/TCP 127.0.0.1:5060;branch=z9hG4bKcore1\r\n\
        Max-Forwards: 69\r\n\
        From: \"Kim\" <sip:+8210555@switchboard.local>;tag=coretag\r\n\
        To: <sip:1001@switchboard.local>\r\n\
        Call-ID: b-leg@switchboard.local\r\n\
        CSeq: 1 INVITE\r\n\
        Contact: <sip:+8210555@127.0.0.1:5060;transport=tcp>\r\n\
        Content-Type: application/sdp\r\n\
        Content-Length: 88\r\n\r\n\
        v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 20002 RTP/AVP 0\r\n";

    #[test]
    fn the_register_parses_with_the_extension_and_interval() {
        let me = contact("1001", "p1");
        let r = request(&register(
            "1001",
            &me,
            "switchboard.local",
            "ph1@web",
            2,
            300,
        ));
        assert_eq!(r.method, rsip::Method::Register);
        assert_eq!(sip::message::to_user(&r).as_deref(), Some("1001"));
        assert_eq!(sip::message::expires(&r), Some(300));
        assert_eq!(sip::message::cseq(&r).map(|c| c.0), Some(2));
        let contacts = sip::message::contacts(&r).expect("contacts");
        assert_eq!(contacts.len(), 1);
        // The registrar takes it from the internal peer, and its 200 parses back here.
        let mut registrar = sip::registrar::Registrar::new(Default::default());
        let peer = sip::Peer::internal("0.0.0.1:1".parse().expect("addr"));
        let now = std::time::Instant::now();
        let bindings = registrar
            .register(now, "1001", &r, peer)
            .expect("registered");
        let ok = sip::registrar::register_ok(&r, &bindings, "t1");
        let ok = match sip::parse::parse(&sip::message::response_to_bytes(&ok)) {
            Ok(rsip::SipMessage::Response(ok)) => ok,
            other => panic!("not a response: {other:?}"),
        };
        assert_eq!(granted(&ok), Some(300));
    }

    #[test]
    fn an_offer_is_answered_and_hung_up_in_its_dialog() {
        let invite = request(INVITE.as_bytes());
        assert_eq!(
            relay_in(&invite),
            Some("127.0.0.1:20002".parse().expect("addr"))
        );
        let mut call = Offered::new(invite.clone(), &contact("1001", "p1"));
        assert_eq!(call.caller(), ("+8210555".to_string(), "Kim".to_string()));
        let ok = String::from_utf8(call.respond(&invite, 200, Some("v=0\r\n"))).expect("text");
        assert!(ok.starts_with("SIP/2.0 200 OK\r\n"), "{ok}");
        assert!(ok.contains(&format!(";tag={}", call.tag)), "{ok}");
        assert!(
            ok.contains("Contact: <sip:1001@p1.web.invalid;transport=tcp>"),
            "{ok}"
        );
        assert!(ok.ends_with("Content-Length: 5\r\n\r\nv=0\r\n"), "{ok}");
        let busy = String::from_utf8(call.respond(&invite, 486, None)).expect("text");
        assert!(!busy.contains("Contact:"), "{busy}");

        let bye = request(&call.bye().expect("bye"));
        assert_eq!(bye.method, rsip::Method::Bye);
        assert_eq!(
            bye.uri.to_string().to_ascii_lowercase(),
            "sip:+8210555@127.0.0.1:5060;transport=tcp"
        );
        assert_eq!(sip::message::from_tag(&bye), Some(call.tag.clone()));
        assert_eq!(sip::message::to_tag(&bye).as_deref(), Some("coretag"));
        assert_eq!(sip::message::call_id(&bye), Some("b-leg@switchboard.local"));

        // A hold: a re-INVITE in the same dialog with the next CSeq and our SDP, then its ACK.
        let sdp = "v=0\r\na=sendonly\r\n";
        let (bytes, cseq, branch) = call.reinvite(sdp).expect("re-INVITE");
        let hold = request(&bytes);
        assert_eq!(hold.method, rsip::Method::Invite);
        assert_eq!(cseq, 2);
        assert_eq!(sip::message::cseq(&hold).map(|c| c.0), Some(2));
        assert_eq!(sip::message::from_tag(&hold), Some(call.tag.clone()));
        assert_eq!(sip::message::to_tag(&hold).as_deref(), Some("coretag"));
        assert_eq!(hold.body, sdp.as_bytes());
        assert_eq!(sip::message::contacts(&hold).map(|c| c.len()), Some(1));
        let ack = request(&call.ack(cseq, &branch, true).expect("ACK"));
        assert_eq!(ack.method, rsip::Method::Ack);
        assert_eq!(sip::message::cseq(&ack), Some((2, rsip::Method::Ack)));
        let text = |r: &Request| r.to_string();
        assert!(
            !text(&ack).contains(&branch),
            "a 2xx's ACK is a transaction of its own"
        );
        let refused = request(&call.ack(cseq, &branch, false).expect("ACK"));
        assert!(
            text(&refused).contains(&branch),
            "a refusal's ACK has the INVITE's branch"
        );
    }
}
