//! The client's address behind trusted reverse proxies: the connecting address, unless it is a
//! proxy named in `[http] trusted_proxies`; then the `X-Forwarded-For` entries are read from the
//! right (the ones our proxies appended), skipping trusted proxies, and the first other address
//! is the client. Entries left of it are whatever the client wrote and are never believed, so a
//! client cannot pick the address its failed logins count against (and lock someone else out).

use std::net::IpAddr;

use axum::http::HeaderMap;

/// The address a request counts as coming from.
pub fn client_ip(peer: IpAddr, headers: &HeaderMap, trusted: &[IpAddr]) -> IpAddr {
    if !trusted.contains(&peer) {
        return peer;
    }
    let mut client = peer;
    let entries = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .collect::<Vec<_>>();
    for entry in entries.iter().rev() {
        let Ok(ip) = entry.parse::<IpAddr>() else {
            // Garbage a proxy passed on: the last address we could trust stands.
            return client;
        };
        client = ip;
        if !trusted.contains(&ip) {
            break;
        }
    }
    client
}

#[cfg(test)]
mod tests {
    use super::*;

    fn xff(values: &[&str]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for v in values {
            h.append("x-forwarded-for", v.parse().expect("header value"));
        }
        h
    }

    const PROXY: IpAddr = IpAddr::V4(std::net::Ipv4Addr::new(10, 0, 0, 1));
    const CLIENT: IpAddr = IpAddr::V4(std::net::Ipv4Addr::new(198, 51, 100, 7));

    #[test]
    fn forwarded_for_counts_only_from_trusted_proxies() {
        let h = xff(&["203.0.113.9, 198.51.100.7"]);
        assert_eq!(client_ip(CLIENT, &h, &[PROXY]), CLIENT, "not via a proxy");
        assert_eq!(client_ip(PROXY, &h, &[]), PROXY, "no proxies trusted");
        // The proxy appended the real client; what the client wrote before it is ignored.
        assert_eq!(client_ip(PROXY, &h, &[PROXY]), CLIENT);
    }

    #[test]
    fn chains_of_trusted_proxies_and_garbage() {
        let inner: IpAddr = [10, 0, 0, 2].into();
        let h = xff(&["198.51.100.7", "10.0.0.2"]);
        assert_eq!(client_ip(PROXY, &h, &[PROXY, inner]), CLIENT);
        let h = xff(&["not-an-ip"]);
        assert_eq!(client_ip(PROXY, &h, &[PROXY]), PROXY);
        assert_eq!(client_ip(PROXY, &HeaderMap::new(), &[PROXY]), PROXY);
    }
}
