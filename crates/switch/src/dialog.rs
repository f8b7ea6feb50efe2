//! Our side of a SIP dialog on one leg, and how we build requests and responses on it.

use rsip::headers::UntypedHeader;
use rsip::{Header, Method, Request};
use sip::{Peer, Transport};
use std::net::SocketAddr;

/// How the switch names itself in Via and Contact headers.
#[derive(Debug, Clone)]
pub struct Me {
    /// One address per transport we listen on (the public address where configured): the
    /// first IPv4 listener of each transport here, the first IPv6 one in `udp6`/`tcp6`.
    pub udp: Option<SocketAddr>,
    pub tcp: Option<SocketAddr>,
    pub udp6: Option<SocketAddr>,
    pub tcp6: Option<SocketAddr>,
    pub user_agent: String,
}

impl Me {
    /// Our address for messages to `to`: its transport and address family first (an IPv6
    /// phone must be able to answer our Via and reach our Contact), then any we have.
    pub fn addr(&self, to: Peer) -> SocketAddr {
        let (v4, v6) = match to.transport {
            Transport::Udp | Transport::Internal => ([self.udp, self.tcp], [self.udp6, self.tcp6]),
            Transport::Tcp => ([self.tcp, self.udp], [self.tcp6, self.udp6]),
        };
        let (same, other) = if to.addr.is_ipv6() {
            (v6, v4)
        } else {
            (v4, v6)
        };
        same.into_iter()
            .chain(other)
            .flatten()
            .next()
            .unwrap_or_else(|| SocketAddr::from(([127, 0, 0, 1], 5060)))
    }

    pub fn via(&self, to: Peer, branch: &str) -> Header {
        let a = self.addr(to);
        Header::Via(
            format!(
                "SIP/2.0/{} {};branch={branch};rport",
                to.transport.via_token(),
                a
            )
            .into(),
        )
    }

    pub fn contact(&self, user: &str, to: Peer) -> Header {
        let a = self.addr(to);
        let t = match to.transport {
            Transport::Udp | Transport::Internal => "",
            Transport::Tcp => ";transport=tcp",
        };
        Header::Contact(format!("<sip:{user}@{a}{t}>").into())
    }

    pub fn server(&self) -> Header {
        Header::Server(self.user_agent.clone().into())
    }
}

/// The methods we accept; sent in Allow headers.
pub const ALLOW: &str =
    "INVITE, ACK, CANCEL, BYE, OPTIONS, REGISTER, INFO, UPDATE, NOTIFY, MESSAGE, REFER";

/// One leg's dialog state, from our point of view.
#[derive(Debug, Clone)]
pub struct Dialog {
    pub call_id: String,
    /// Our party as it appears in From of our requests (with our tag).
    pub local: String,
    /// The peer's party as it appears in To of our requests (with their tag once known).
    pub remote: String,
    /// Where in-dialog requests go (the peer's Contact).
    pub remote_target: String,
    pub local_cseq: u32,
    /// Where our requests on this leg go: the first hop of the route set when it names an
    /// address, else where the peer's packets come from (NAT friendly).
    pub peer: Peer,
    /// The proxies that stay in the dialog's path (RFC 3261 §12.1): the `Route` values of our
    /// in-dialog requests, first hop first (`route_set.rs`). Empty when nobody record-routed.
    pub route_set: Vec<String>,
    /// The user we present in our Contact on this leg.
    pub contact_user: String,
}

impl Dialog {
    /// Build an in-dialog request with the next CSeq.
    pub fn request(&mut self, method: Method, me: &Me, body: Option<(&str, Vec<u8>)>) -> Request {
        self.local_cseq += 1;
        let seq = self.local_cseq;
        self.request_with_cseq(method, seq, me, body)
    }

    /// Build an in-dialog request with a given CSeq number (ACK reuses the INVITE's).
    pub fn request_with_cseq(
        &self,
        method: Method,
        seq: u32,
        me: &Me,
        body: Option<(&str, Vec<u8>)>,
    ) -> Request {
        let (uri, routes) = self.request_uri_and_routes();
        let mut headers: Vec<Header> = vec![
            me.via(self.peer, &sip::message::new_branch()),
            Header::MaxForwards("70".into()),
        ];
        headers.extend(routes.into_iter().map(|r| Header::Route(r.into())));
        headers.extend([
            Header::From(self.local.clone().into()),
            Header::To(self.remote.clone().into()),
            Header::CallId(self.call_id.clone().into()),
            Header::CSeq(format!("{seq} {method}").into()),
        ]);
        if matches!(method, Method::Invite | Method::Update) {
            headers.push(me.contact(&self.contact_user, self.peer));
        }
        headers.push(Header::UserAgent(me.user_agent.clone().into()));
        let body = match body {
            Some((ctype, bytes)) => {
                headers.push(Header::ContentType(ctype.to_string().into()));
                bytes
            }
            None => Vec::new(),
        };
        headers.push(Header::ContentLength(body.len().to_string().into()));
        Request {
            method,
            uri,
            version: rsip::Version::V2,
            headers: headers.into(),
            body,
        }
    }
}

/// Copy a body with its content type, if any.
pub fn body_of(headers: &rsip::Headers, body: &[u8]) -> Option<(String, Vec<u8>)> {
    if body.is_empty() {
        return None;
    }
    let ctype = headers
        .iter()
        .find_map(|h| match h {
            Header::ContentType(c) => Some(c.value().to_string()),
            _ => None,
        })
        .unwrap_or_else(|| "application/octet-stream".into());
    Some((ctype, body.to_vec()))
}

/// Set or replace the body of a message's headers (Content-Type and Content-Length).
pub fn set_body(
    headers: &mut rsip::Headers,
    body_slot: &mut Vec<u8>,
    body: Option<(&str, Vec<u8>)>,
) {
    headers.retain(|h| !matches!(h, Header::ContentType(_) | Header::ContentLength(_)));
    match body {
        Some((ctype, bytes)) => {
            headers.push(Header::ContentType(ctype.to_string().into()));
            headers.push(Header::ContentLength(bytes.len().to_string().into()));
            *body_slot = bytes;
        }
        None => {
            headers.push(Header::ContentLength("0".into()));
            body_slot.clear();
        }
    }
}
