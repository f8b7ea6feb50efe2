//! Fake phones: they write SIP requests and responses as text, answer digest challenges and keep
//! just enough dialog state to carry a call on. `Msg` reads what the switch sent back.

use sip::auth::{digest_response, Algorithm};
use sip::{Peer, Transport};
use std::net::SocketAddr;

/// The switch's domain (and digest realm) in every scenario.
pub const DOMAIN: &str = "switch.test";

/// A message the switch put on the wire, kept as text so tests can read any header.
#[derive(Debug, Clone)]
pub struct Msg {
    pub text: String,
}

impl Msg {
    /// Wraps bytes the switch sent; they must parse as SIP (the switch never sends garbage).
    pub fn from_wire(bytes: &[u8]) -> Msg {
        if let Err(e) = sip::parse::parse(bytes) {
            panic!(
                "switch sent unparsable SIP ({e}):\n{}",
                String::from_utf8_lossy(bytes)
            );
        }
        Msg {
            text: String::from_utf8_lossy(bytes).into_owned(),
        }
    }

    fn start_line(&self) -> &str {
        self.text.lines().next().unwrap_or_default()
    }

    pub fn is_response(&self) -> bool {
        self.start_line().starts_with("SIP/2.0 ")
    }

    /// Status code of a response; 0 for a request.
    pub fn status(&self) -> u16 {
        if !self.is_response() {
            return 0;
        }
        self.start_line()
            .split(' ')
            .nth(1)
            .and_then(|c| c.parse().ok())
            .unwrap_or(0)
    }

    /// Reason phrase of a response.
    pub fn reason(&self) -> String {
        self.start_line()
            .splitn(3, ' ')
            .nth(2)
            .unwrap_or_default()
            .to_string()
    }

    /// Method of a request (for a response: the CSeq method).
    pub fn method(&self) -> String {
        if self.is_response() {
            return self.cseq().1;
        }
        self.start_line()
            .split(' ')
            .next()
            .unwrap_or_default()
            .to_string()
    }

    pub fn request_uri(&self) -> String {
        self.start_line()
            .split(' ')
            .nth(1)
            .unwrap_or_default()
            .to_string()
    }

    fn head(&self) -> &str {
        self.text.split("\r\n\r\n").next().unwrap_or_default()
    }

    /// Every value of a header, in order (case-insensitive name).
    pub fn headers(&self, name: &str) -> Vec<String> {
        self.head()
            .lines()
            .skip(1)
            .filter_map(|l| l.split_once(':'))
            .filter(|(n, _)| n.trim().eq_ignore_ascii_case(name))
            .map(|(_, v)| v.trim().to_string())
            .collect()
    }

    pub fn header(&self, name: &str) -> Option<String> {
        self.headers(name).into_iter().next()
    }

    /// A header that must be present.
    pub fn hdr(&self, name: &str) -> String {
        self.header(name)
            .unwrap_or_else(|| panic!("no {name} header in:\n{}", self.text))
    }

    pub fn body(&self) -> &str {
        self.text.split_once("\r\n\r\n").map_or("", |(_, b)| b)
    }

    pub fn cseq(&self) -> (u32, String) {
        let v = self.hdr("CSeq");
        let mut parts = v.split_whitespace();
        let n = parts.next().and_then(|n| n.parse().ok()).unwrap_or(0);
        (n, parts.next().unwrap_or_default().to_string())
    }

    pub fn call_id(&self) -> String {
        self.hdr("Call-ID")
    }

    pub fn to_tag(&self) -> Option<String> {
        tag_of(&self.hdr("To"))
    }

    pub fn tag_in_from(&self) -> Option<String> {
        tag_of(&self.hdr("From"))
    }

    /// The URI inside the first Contact header.
    pub fn contact_uri(&self) -> Option<String> {
        self.header("Contact").map(|c| uri_of(&c))
    }

    /// An SDP line starting with `prefix` (e.g. `"m=audio"`).
    pub fn sdp_line(&self, prefix: &str) -> Option<String> {
        self.body()
            .lines()
            .find(|l| l.starts_with(prefix))
            .map(str::to_string)
    }
}

/// The `tag` parameter of a From/To value.
pub fn tag_of(value: &str) -> Option<String> {
    let params = value.rsplit_once('>').map_or(value, |(_, p)| p);
    params
        .split(';')
        .find_map(|p| p.trim().strip_prefix("tag="))
        .map(str::to_string)
}

/// The URI of a name-addr (`"x" <sip:a@b>;p` → `sip:a@b`).
pub fn uri_of(value: &str) -> String {
    match (value.find('<'), value.find('>')) {
        (Some(s), Some(e)) if s < e => value[s + 1..e].to_string(),
        _ => value
            .split(';')
            .next()
            .unwrap_or_default()
            .trim()
            .to_string(),
    }
}

/// A parameter of an authentication challenge (`nonce="..."`).
fn auth_param(value: &str, name: &str) -> Option<String> {
    let start = value.find(&format!("{name}="))? + name.len() + 1;
    let rest = &value[start..];
    if let Some(quoted) = rest.strip_prefix('"') {
        quoted.split('"').next().map(str::to_string)
    } else {
        rest.split([',', ' ']).next().map(str::to_string)
    }
}

/// One side's view of a dialog (or of a registration): what goes in the next request.
#[derive(Debug, Clone)]
pub struct Dlg {
    pub call_id: String,
    /// From of our requests (with our tag).
    pub local: String,
    /// To of our requests (with the peer's tag once known).
    pub remote: String,
    /// Request-URI of in-dialog requests.
    pub target: String,
    pub cseq: u32,
    /// The last INVITE we sent: ACK to a non-2xx and CANCEL reuse its branch, CSeq, URI and To.
    pub invite_branch: String,
    pub invite_cseq: u32,
    pub invite_uri: String,
    pub invite_to: String,
}

impl Dlg {
    /// Our dialog after answering `invite` with To-tag `tag`.
    pub fn uas(invite: &Msg, tag: &str) -> Dlg {
        let to = invite.hdr("To");
        let local = if tag_of(&to).is_some() {
            to
        } else {
            format!("{to};tag={tag}")
        };
        Dlg {
            call_id: invite.call_id(),
            local,
            remote: invite.hdr("From"),
            target: invite.contact_uri().expect("INVITE without Contact"),
            cseq: 100,
            invite_branch: String::new(),
            invite_cseq: 0,
            invite_uri: String::new(),
            invite_to: String::new(),
        }
    }

    /// A response to our INVITE with a To-tag and Contact establishes the dialog.
    pub fn learn(&mut self, resp: &Msg) {
        self.remote = resp.hdr("To");
        if let Some(c) = resp.contact_uri() {
            self.target = c;
        }
    }
}

/// A SIP phone registered (or not) as one extension.
#[derive(Debug, Clone)]
pub struct Phone {
    pub user: String,
    pub password: String,
    pub peer: Peer,
    /// Where this phone receives RTP (kept apart from its SIP address so rewrites show).
    pub media: SocketAddr,
    counter: u32,
}

impl Phone {
    pub fn udp(user: &str, password: &str, port: u16, media: SocketAddr) -> Phone {
        Phone {
            user: user.into(),
            password: password.into(),
            peer: Peer::udp(SocketAddr::from(([127, 0, 0, 1], port))),
            media,
            counter: 0,
        }
    }

    pub fn tcp(user: &str, password: &str, port: u16, media: SocketAddr) -> Phone {
        Phone {
            peer: Peer::tcp(SocketAddr::from(([127, 0, 0, 1], port))),
            ..Phone::udp(user, password, port, media)
        }
    }

    fn unique(&mut self, what: &str) -> String {
        self.counter += 1;
        format!("{what}{}x{}", self.user, self.counter)
    }

    pub fn branch(&mut self) -> String {
        let b = self.unique("");
        format!("z9hG4bK{b}")
    }

    pub fn contact(&self) -> String {
        let t = match self.peer.transport {
            Transport::Udp | Transport::Internal => "",
            Transport::Tcp => ";transport=tcp",
        };
        format!("<sip:{}@{}{t}>", self.user, self.peer.addr)
    }

    fn via(&self, branch: &str) -> String {
        format!(
            "SIP/2.0/{} {};branch={branch};rport",
            self.peer.transport.via_token(),
            self.peer.addr
        )
    }

    /// An audio offer/answer for this phone's media address, with a direction attribute.
    pub fn sdp(&self, direction: &str) -> String {
        let ip = self.media.ip();
        format!(
            "v=0\r\no=- 4242 1 IN IP4 {ip}\r\ns=-\r\nc=IN IP4 {ip}\r\nt=0 0\r\n\
             m=audio {} RTP/AVP 0 101\r\na=rtpmap:0 PCMU/8000\r\n\
             a=rtpmap:101 telephone-event/8000\r\na={direction}\r\n",
            self.media.port()
        )
    }

    /// A fresh dialog (or registration) towards `to_user`; `target` is the Request-URI.
    pub fn new_dialog(&mut self, to_user: &str, target: &str) -> Dlg {
        let tag = self.unique("t");
        let call_id = self.unique("c");
        Dlg {
            call_id: format!("{call_id}@phone"),
            local: format!("<sip:{}@{DOMAIN}>;tag={tag}", self.user),
            remote: format!("<sip:{to_user}@{DOMAIN}>"),
            target: target.into(),
            cseq: 0,
            invite_branch: String::new(),
            invite_cseq: 0,
            invite_uri: String::new(),
            invite_to: String::new(),
        }
    }

    /// The next request on `d` (new branch, CSeq + 1). `extra` lines go in verbatim.
    pub fn request(
        &mut self,
        d: &mut Dlg,
        method: &str,
        extra: &[String],
        body: Option<(&str, &str)>,
    ) -> String {
        d.cseq += 1;
        let branch = self.branch();
        if method == "INVITE" {
            d.invite_branch = branch.clone();
            d.invite_cseq = d.cseq;
            d.invite_uri = d.target.clone();
            d.invite_to = d.remote.clone();
        }
        let (uri, to) = (d.target.clone(), d.remote.clone());
        self.raw(d, method, &uri, &to, d.cseq, &branch, extra, body)
    }

    /// Any request with every field given (ACK, CANCEL, retransmissions).
    #[allow(clippy::too_many_arguments)]
    pub fn raw(
        &self,
        d: &Dlg,
        method: &str,
        uri: &str,
        to: &str,
        cseq: u32,
        branch: &str,
        extra: &[String],
        body: Option<(&str, &str)>,
    ) -> String {
        let mut t = format!(
            "{method} {uri} SIP/2.0\r\nVia: {}\r\nMax-Forwards: 70\r\nFrom: {}\r\nTo: {to}\r\n\
             Call-ID: {}\r\nCSeq: {cseq} {method}\r\n",
            self.via(branch),
            d.local,
            d.call_id
        );
        if matches!(method, "INVITE" | "REGISTER" | "UPDATE" | "SUBSCRIBE") {
            t.push_str(&format!("Contact: {}\r\n", self.contact()));
        }
        for line in extra {
            t.push_str(line);
            t.push_str("\r\n");
        }
        let body = match body {
            Some((ctype, b)) => {
                t.push_str(&format!("Content-Type: {ctype}\r\n"));
                b
            }
            None => "",
        };
        t.push_str(&format!("Content-Length: {}\r\n\r\n{body}", body.len()));
        t
    }

    /// REGISTER for this phone's own extension.
    pub fn register(&mut self, d: &mut Dlg, expires: u32, auth: Option<String>) -> String {
        let mut extra = vec![format!("Expires: {expires}")];
        extra.extend(auth);
        self.request(d, "REGISTER", &extra, None)
    }

    pub fn registration(&mut self) -> Dlg {
        let user = self.user.clone();
        self.new_dialog(&user, &format!("sip:{DOMAIN}"))
    }

    /// An `Authorization`/`Proxy-Authorization` line answering the MD5 challenge in `challenge`
    /// for a request `method` to `uri`, with nonce-count `nc`.
    pub fn authorization(&mut self, challenge: &Msg, method: &str, uri: &str, nc: u32) -> String {
        let (ask, answer) = if challenge.status() == 407 {
            ("Proxy-Authenticate", "Proxy-Authorization")
        } else {
            ("WWW-Authenticate", "Authorization")
        };
        let chal = challenge
            .headers(ask)
            .into_iter()
            .find(|c| c.contains("algorithm=MD5"))
            .unwrap_or_else(|| panic!("no MD5 {ask} in:\n{}", challenge.text));
        let realm = auth_param(&chal, "realm").expect("realm");
        let nonce = auth_param(&chal, "nonce").expect("nonce");
        let cnonce = self.unique("cn");
        let nc = format!("{nc:08x}");
        let response = digest_response(
            Algorithm::Md5,
            &self.user,
            &realm,
            &self.password,
            method,
            uri,
            &nonce,
            &nc,
            &cnonce,
        );
        format!(
            "{answer}: Digest username=\"{}\", realm=\"{realm}\", nonce=\"{nonce}\", \
             uri=\"{uri}\", response=\"{response}\", algorithm=MD5, qop=auth, nc={nc}, \
             cnonce=\"{cnonce}\"",
            self.user
        )
    }

    /// An INVITE to `callee` with an optional SDP offer, plus extra header lines.
    pub fn invite(&mut self, d: &mut Dlg, extra: &[String], body: Option<(&str, &str)>) -> String {
        self.request(d, "INVITE", extra, body)
    }

    /// ACK for a 2xx to our INVITE (a new transaction to the remote target).
    pub fn ack_2xx(&mut self, d: &Dlg) -> String {
        let branch = self.branch();
        self.raw(
            d,
            "ACK",
            &d.target,
            &d.remote,
            d.invite_cseq,
            &branch,
            &[],
            None,
        )
    }

    /// ACK for a non-2xx final response: same branch as the INVITE, To from the response.
    pub fn ack_non2xx(&self, d: &Dlg, resp: &Msg) -> String {
        self.raw(
            d,
            "ACK",
            &d.invite_uri,
            &resp.hdr("To"),
            d.invite_cseq,
            &d.invite_branch,
            &[],
            None,
        )
    }

    /// CANCEL of our last INVITE.
    pub fn cancel(&self, d: &Dlg) -> String {
        self.raw(
            d,
            "CANCEL",
            &d.invite_uri,
            &d.invite_to,
            d.invite_cseq,
            &d.invite_branch,
            &[],
            None,
        )
    }

    /// A response to a request the switch sent us. `to_tag` is added when To has none;
    /// 1xx/2xx to INVITE carry our Contact.
    pub fn respond(
        &self,
        req: &Msg,
        code: u16,
        reason: &str,
        to_tag: Option<&str>,
        body: Option<&str>,
    ) -> String {
        let mut t = format!("SIP/2.0 {code} {reason}\r\n");
        for v in req.headers("Via") {
            t.push_str(&format!("Via: {v}\r\n"));
        }
        let mut to = req.hdr("To");
        if let (Some(tag), None) = (to_tag, tag_of(&to)) {
            to = format!("{to};tag={tag}");
        }
        t.push_str(&format!(
            "From: {}\r\nTo: {to}\r\nCall-ID: {}\r\nCSeq: {}\r\n",
            req.hdr("From"),
            req.call_id(),
            req.hdr("CSeq")
        ));
        if req.method() == "INVITE" && code < 300 && code > 100 {
            t.push_str(&format!("Contact: {}\r\n", self.contact()));
        }
        let body = match body {
            Some(b) => {
                t.push_str("Content-Type: application/sdp\r\n");
                b
            }
            None => "",
        };
        t.push_str(&format!("Content-Length: {}\r\n\r\n{body}", body.len()));
        t
    }
}
