//! Dialogs through proxies: the route set each leg keeps (RFC 3261 §12.1.1 as UAS, §12.1.2 as
//! UAC), how our in-dialog requests follow it (§12.2.1.1, loose or strict first hop), the
//! Route values naming us that arrive on requests (§16.4), and `Path` bindings (RFC 3327).
//!
//! The switch is a B2BUA: each leg has its own route set, and nothing of one leg's
//! Record-Route reaches the other (responses to the caller are built from the caller's INVITE,
//! `sip::message::make_response`, which mirrors that INVITE's Record-Route).

use super::dialog::{Dialog, Me};
use super::nat::{self, NatMode};
use rsip::Request;
use sip::registrar::Binding;
use sip::Peer;
use std::net::SocketAddr;

impl Dialog {
    /// Take `set` as the route set: from now on requests go to its first hop when that names
    /// an address. A host name keeps the address the peer's messages come from (the core
    /// resolves no DNS; a proxy that record-routes by name is usually the one that sent them).
    pub fn follow(&mut self, set: Vec<String>) {
        let hop = set
            .first()
            .and_then(|v| sip::route::entry_uri(v))
            .and_then(|u| sip::route::next_hop(&u));
        if let Some(hop) = hop {
            self.peer = hop;
        }
        self.route_set = set;
    }

    /// The Request-URI and Route values of a request on this dialog: loose routing, or the
    /// strict router's rewrite when the first hop lacks `lr`.
    pub(super) fn request_uri_and_routes(&self) -> (rsip::Uri, Vec<String>) {
        match sip::route::plan(&self.remote_target, &self.route_set) {
            Some(p) => (p.uri, p.routes),
            None => (
                rsip::Uri::try_from(self.remote_target.as_str()).unwrap_or_default(),
                self.route_set.clone(),
            ),
        }
    }
}

/// The route set of a dialog we accept: the INVITE's Record-Route, in order (§12.1.1).
pub(super) fn as_uas(req: &Request) -> Vec<String> {
    sip::route::record_route(&req.headers)
}

/// The route set of a dialog we opened: the response's Record-Route, reversed (§12.1.2).
pub(super) fn as_uac(resp: &rsip::Response) -> Vec<String> {
    let mut set = sip::route::record_route(&resp.headers);
    set.reverse();
    set
}

/// Where an INVITE to a registered contact goes, and through which proxies.
#[derive(Debug, Clone)]
pub(super) struct BindingTarget {
    /// The Request-URI: the registered Contact.
    pub contact: String,
    pub peer: Peer,
    /// The binding's Path (RFC 3327), sent as Route; empty for a phone that registered directly.
    pub route_set: Vec<String>,
}

impl BindingTarget {
    /// A binding registered through proxies is reached through them: its Path is the INVITE's
    /// route and its first hop the destination. Without Path, the NAT rules decide (`nat.rs`).
    pub fn of(mode: NatMode, binding: &Binding) -> BindingTarget {
        let contact = binding.uri().to_string();
        let direct = nat::target(mode, binding.uri(), binding.source);
        let hop = binding
            .path
            .first()
            .and_then(|v| sip::route::entry_uri(v))
            .and_then(|u| sip::route::next_hop(&u));
        BindingTarget {
            contact,
            // A Path hop by name: the proxy that sent the REGISTER.
            peer: match hop {
                _ if binding.path.is_empty() => direct,
                None => binding.source,
                Some(hop) => hop,
            },
            route_set: binding.path.clone(),
        }
    }

    /// A fresh UAC dialog towards this target (the caller fills in the parties).
    pub fn dialog(&self, call_id: String, local: String, remote: String, user: String) -> Dialog {
        Dialog {
            call_id,
            local,
            remote,
            remote_target: self.contact.clone(),
            local_cseq: 0,
            peer: self.peer,
            route_set: self.route_set.clone(),
            contact_user: user,
        }
    }
}

/// Whether `uri` names the switch: an address it gives in Via and Contact (`Me`: the first
/// listener per transport and family, or the public address), or our domain.
/// A URI without a port names us on any of our addresses with that IP.
fn names_us(me: &Me, domain: &str, uri: &rsip::Uri) -> bool {
    let host = uri.host_with_port.host.to_string();
    if host.eq_ignore_ascii_case(domain) {
        return true;
    }
    let Some(ip) = sip::route::host_ip(uri) else {
        return false;
    };
    let port = uri.host_with_port.port.as_ref().map(|p| *p.value());
    let ours = [me.udp, me.tcp, me.udp6, me.tcp6];
    ours.into_iter()
        .flatten()
        .any(|a: SocketAddr| a.ip() == ip && port.is_none_or(|p| p == a.port()))
}

/// Removes the Route values at the top of `req` that name the switch (a proxy's preloaded
/// route to us, RFC 3261 §16.4). Others are left alone: a UA serves the request either way, so
/// Route headers never make the switch refuse one.
pub(super) fn strip_own_routes(me: &Me, domain: &str, req: &mut Request) {
    let removed = sip::route::strip_own_routes(&mut req.headers, |u| names_us(me, domain, u));
    if removed > 0 {
        tracing::trace!(removed, "Route naming the switch removed");
    }
}
