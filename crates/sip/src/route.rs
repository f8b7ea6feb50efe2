//! Route sets through proxies: what a dialog keeps of `Record-Route` (RFC 3261 §12.1.1,
//! §12.1.2), how an in-dialog request follows it (§12.2.1.1, loose and strict routers), where
//! such a request is sent (the first hop's host, port, `transport` and `maddr`), and `Path`
//! (RFC 3327), which a registrar keeps with a binding and uses as the route of requests to it.
//!
//! Entries are kept as the header values received (`<sip:10.0.0.1;lr;ftag=x>`): proxies put
//! their own state in URI parameters and expect it back unchanged in `Route`.

use crate::transport::{Peer, Transport};
use rsip::headers::UntypedHeader;
use rsip::{Header, Headers, Param};
use std::net::{IpAddr, SocketAddr};

/// The values of every `Record-Route` header, top first.
pub fn record_route(headers: &Headers) -> Vec<String> {
    headers
        .iter()
        .filter_map(|h| match h {
            Header::RecordRoute(r) => Some(r.value().trim().to_owned()),
            _ => None,
        })
        .collect()
}

/// The values of every `Path` header (RFC 3327), top first (the proxy nearest the registrar).
pub fn path(headers: &Headers) -> Vec<String> {
    headers
        .iter()
        .filter_map(|h| match h {
            Header::Other(name, value) if name.eq_ignore_ascii_case("path") => {
                Some(value.trim().to_owned())
            }
            _ => None,
        })
        .collect()
}

/// The URI of a route entry (`<sip:host;lr>` or a bare URI).
pub fn entry_uri(value: &str) -> Option<rsip::Uri> {
    let value = value.trim();
    let inner = match (value.find('<'), value.rfind('>')) {
        (Some(open), Some(close)) if open < close => value.get(open + 1..close)?,
        _ => value.split(';').next()?,
    };
    rsip::Uri::try_from(inner.trim()).ok()
}

/// Whether the entry's URI carries `lr` (RFC 3261 §19.1.1): a loose router. An entry without
/// it is a strict router (RFC 2543), handled by [`plan`].
pub fn is_loose(value: &str) -> bool {
    entry_uri(value).is_some_and(|uri| {
        uri.params.iter().any(|p| match p {
            Param::Lr => true,
            Param::Other(name, _) => name.to_string().eq_ignore_ascii_case("lr"),
            _ => false,
        })
    })
}

/// Where a request to `uri` is sent, when its host is an IP address: `maddr` over the host,
/// the port (5060 unless given), TCP when `transport=tcp`, else UDP (RFC 3263 §4.1 for a
/// numeric host). None for a host name: the cores resolve no DNS, the caller falls back to an
/// address it knows (where the dialog's messages come from).
pub fn next_hop(uri: &rsip::Uri) -> Option<Peer> {
    let maddr = uri.params.iter().find_map(|p| match p {
        Param::Maddr(m) => Some(m.to_string()),
        _ => None,
    });
    let ip = match maddr {
        Some(m) => ip_of(&m)?,
        None => host_ip(uri)?,
    };
    let port = uri
        .host_with_port
        .port
        .as_ref()
        .map_or(5060, |p| *p.value());
    let tcp = uri
        .params
        .iter()
        .any(|p| matches!(p, Param::Transport(t) if t.to_string().eq_ignore_ascii_case("tcp")));
    let transport = if tcp { Transport::Tcp } else { Transport::Udp };
    Some(Peer {
        transport,
        addr: SocketAddr::new(ip, port),
    })
}

/// The URI's host as an IP address (IPv6 references unmasked); None for a host name.
pub fn host_ip(uri: &rsip::Uri) -> Option<IpAddr> {
    ip_of(&uri.host_with_port.host.to_string())
}

fn ip_of(host: &str) -> Option<IpAddr> {
    let unmasked = crate::ipv6::unmask(host);
    unmasked
        .trim_start_matches('[')
        .trim_end_matches(']')
        .parse()
        .ok()
}

/// How an in-dialog request goes out (RFC 3261 §12.2.1.1).
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    /// The Request-URI.
    pub uri: rsip::Uri,
    /// The `Route` header values, in order.
    pub routes: Vec<String>,
    /// Where to send it: the first route's address (the remote target's without routes). None
    /// when that host is a name, not an address.
    pub next_hop: Option<Peer>,
}

/// The Request-URI, `Route` headers and destination of a request to `remote_target` over
/// `route_set`. Loose first hop: the target stays the Request-URI and the whole set goes in
/// Route. Strict first hop: its URI becomes the Request-URI (stripped of the parameters a
/// Request-URI may not carry), the rest of the set follows in Route and the remote target is
/// appended as the last Route. None when the target (or a strict hop) is no URI.
pub fn plan(remote_target: &str, route_set: &[String]) -> Option<Plan> {
    let target = rsip::Uri::try_from(remote_target.trim()).ok()?;
    let Some(first) = route_set.first() else {
        let next_hop = next_hop(&target);
        return Some(Plan {
            uri: target,
            routes: Vec::new(),
            next_hop,
        });
    };
    let first_uri = entry_uri(first)?;
    let next_hop = next_hop(&first_uri);
    if is_loose(first) {
        return Some(Plan {
            uri: target,
            routes: route_set.to_vec(),
            next_hop,
        });
    }
    let mut uri = first_uri;
    // §19.1.1: `method` and headers are not allowed in a Request-URI.
    uri.params.retain(|p| !matches!(p, Param::Method(_)));
    uri.headers.clear();
    let mut routes: Vec<String> = route_set.iter().skip(1).cloned().collect();
    routes.push(format!("<{remote_target}>"));
    Some(Plan {
        uri,
        routes,
        next_hop,
    })
}

/// Removes the top `Route` values that name us (`is_us` says which URIs do), as a loose router
/// does with its own entry (RFC 3261 §16.4); returns how many were removed. Other Route values
/// are left: a UA serves the request either way.
pub fn strip_own_routes(headers: &mut Headers, is_us: impl Fn(&rsip::Uri) -> bool) -> usize {
    let mut removed = 0;
    loop {
        let top = headers.iter().position(|h| matches!(h, Header::Route(_)));
        let Some(i) = top else { break };
        let ours = match headers.iter().nth(i) {
            Some(Header::Route(r)) => entry_uri(r.value()).is_some_and(|u| is_us(&u)),
            _ => false,
        };
        if !ours {
            break;
        }
        let mut index = 0;
        headers.retain(|_| {
            let keep = index != i;
            index += 1;
            keep
        });
        removed += 1;
    }
    removed
}

#[cfg(test)]
mod tests;
