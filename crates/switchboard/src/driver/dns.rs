//! Carriers' host names to addresses, as RFC 3263 §4 says a SIP client finds a server: with no
//! port, NAPTR records (`SIP+D2U`/`SIP+D2T` for our transport) name SRV records, else
//! `_sip._udp`/`_sip._tcp` SRV is asked directly, and SRV targets are looked up as A/AAAA; a
//! trunk with a port (or no SRV records) is looked up as A/AAAA only, on its port or 5060.
//! Addresses come out in the order to try them: SRV priority (lowest first), then weight
//! (heaviest first; RFC 2782's weighted random choice is left out so failover is predictable).
//!
//! [`run`] keeps every named trunk of the plan resolved: at start and whenever the plan
//! changes, then again when the answer's TTL runs out (at least 30 s, at most 1 h; 30 s after
//! a failure, keeping the last good answer), and hands each answer to the switch core through
//! the driver (`Control::TrunkAddresses`). A trunk whose host is an IP literal needs none.

use crate::driver::sip::Control;
use hickory_resolver::config::{NameServerConfig, ResolverConfig, ResolverOpts};
use hickory_resolver::net::runtime::TokioRuntimeProvider;
use hickory_resolver::proto::rr::{RData, RecordType};
use hickory_resolver::TokioResolver;
use sip::Transport;
use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};
use tokio::sync::{mpsc, watch};
use tokio_util::sync::CancellationToken;
use trunk::TrunkPlan;

/// Shortest and longest time an answer is kept before it is asked again.
pub const MIN_TTL: Duration = Duration::from_secs(30);
pub const MAX_TTL: Duration = Duration::from_secs(3600);

/// What a name resolved to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    /// In the order to try them.
    pub addrs: Vec<SocketAddr>,
    /// When to ask again (the smallest TTL seen, clamped to [`MIN_TTL`]..[`MAX_TTL`]).
    pub ttl: Duration,
}

#[derive(Debug, thiserror::Error)]
#[error("{host}: {reason}")]
pub struct DnsError {
    host: String,
    reason: String,
}

/// A resolver for trunks' names.
#[derive(Clone)]
pub struct TrunkDns {
    resolver: TokioResolver,
}

impl TrunkDns {
    /// `servers` empty: the system's (/etc/resolv.conf); else these, over UDP and TCP.
    pub fn new(servers: &[SocketAddr]) -> anyhow::Result<TrunkDns> {
        let provider = TokioRuntimeProvider::default();
        let mut builder = if servers.is_empty() {
            match TokioResolver::builder(TokioRuntimeProvider::default()) {
                Ok(b) => b,
                // No /etc/resolv.conf (a bare container): the switch still runs; a named trunk's
                // lookups fail (logged, retried) until `[sip] dns_servers` names a server.
                Err(e) => {
                    tracing::warn!(error = %e,
                        "no system DNS configuration: trunks with host names stay unresolved");
                    TokioResolver::builder_with_config(
                        ResolverConfig::from_name_servers(Vec::new()),
                        provider,
                    )
                }
            }
        } else {
            let name_servers = servers
                .iter()
                .map(|s| {
                    let mut ns = NameServerConfig::udp_and_tcp(s.ip());
                    for c in &mut ns.connections {
                        c.port = s.port();
                    }
                    ns
                })
                .collect();
            TokioResolver::builder_with_config(
                ResolverConfig::from_name_servers(name_servers),
                provider,
            )
        };
        let opts: &mut ResolverOpts = builder.options_mut();
        // A lookup must not hold a trunk's refresh for long: 2 tries of 2 s.
        opts.timeout = Duration::from_secs(2);
        opts.attempts = 2;
        Ok(TrunkDns {
            resolver: builder.build()?,
        })
    }

    /// Resolve a trunk's host (RFC 3263 §4.1-4.2).
    pub async fn lookup(
        &self,
        host: &str,
        port: Option<u16>,
        transport: Transport,
    ) -> Result<Answer, DnsError> {
        let fqdn = format!("{}.", host.trim_end_matches('.'));
        let mut ttl = MAX_TTL;
        if let Some(port) = port {
            return self
                .addresses(&fqdn, port, &mut ttl)
                .await
                .map(|addrs| Answer {
                    addrs,
                    ttl: ttl.max(MIN_TTL),
                });
        }
        let srv_name = match self.naptr(&fqdn, transport, &mut ttl).await {
            Some(name) => name,
            None => match transport {
                Transport::Tcp => format!("_sip._tcp.{fqdn}"),
                _ => format!("_sip._udp.{fqdn}"),
            },
        };
        let targets = self.srv(&srv_name, &mut ttl).await;
        let addrs = if targets.is_empty() {
            self.addresses(&fqdn, 5060, &mut ttl).await?
        } else {
            let mut addrs = Vec::new();
            let mut last_error = None;
            for (target, port) in targets {
                match self.addresses(&target, port, &mut ttl).await {
                    Ok(found) => {
                        for a in found {
                            if !addrs.contains(&a) {
                                addrs.push(a);
                            }
                        }
                    }
                    Err(e) => last_error = Some(e),
                }
            }
            match (addrs.is_empty(), last_error) {
                (true, Some(e)) => return Err(e),
                _ => addrs,
            }
        };
        Ok(Answer {
            addrs,
            ttl: ttl.max(MIN_TTL),
        })
    }

    /// The SRV name the best NAPTR record for `transport` replaces the host with, if any.
    async fn naptr(&self, fqdn: &str, transport: Transport, ttl: &mut Duration) -> Option<String> {
        let service: &[u8] = match transport {
            Transport::Tcp => b"SIP+D2T",
            _ => b"SIP+D2U",
        };
        let lookup = self.resolver.lookup(fqdn, RecordType::NAPTR).await.ok()?;
        keep_shortest(ttl, lookup.valid_until());
        let mut records: Vec<_> = lookup
            .answers()
            .iter()
            .filter_map(|r| match &r.data {
                RData::NAPTR(n) => Some(n),
                _ => None,
            })
            .filter(|n| {
                n.flags.eq_ignore_ascii_case(b"s") && n.services.eq_ignore_ascii_case(service)
            })
            .collect();
        records.sort_by_key(|n| (n.order, n.preference));
        records.first().map(|n| n.replacement.to_ascii())
    }

    /// SRV targets and ports in the order to try them; empty when there are none.
    async fn srv(&self, name: &str, ttl: &mut Duration) -> Vec<(String, u16)> {
        let Ok(lookup) = self.resolver.lookup(name, RecordType::SRV).await else {
            return Vec::new();
        };
        keep_shortest(ttl, lookup.valid_until());
        let mut records: Vec<_> = lookup
            .answers()
            .iter()
            .filter_map(|r| match &r.data {
                RData::SRV(s) => Some(s),
                _ => None,
            })
            // "." as target: the service is decidedly not available here (RFC 2782).
            .filter(|s| !s.target.is_root())
            .collect();
        records.sort_by_key(|s| (s.priority, std::cmp::Reverse(s.weight)));
        records
            .into_iter()
            .map(|s| (s.target.to_ascii(), s.port))
            .collect()
    }

    /// A and AAAA records of `name` on `port`.
    async fn addresses(
        &self,
        name: &str,
        port: u16,
        ttl: &mut Duration,
    ) -> Result<Vec<SocketAddr>, DnsError> {
        let found = self.resolver.lookup_ip(name).await.map_err(|e| DnsError {
            host: name.trim_end_matches('.').to_string(),
            reason: e.to_string(),
        })?;
        keep_shortest(ttl, found.valid_until());
        Ok(found.iter().map(|ip| SocketAddr::new(ip, port)).collect())
    }
}

fn keep_shortest(ttl: &mut Duration, valid_until: Instant) {
    let left = valid_until.saturating_duration_since(Instant::now());
    *ttl = (*ttl).min(left).min(MAX_TTL);
}

/// What a named trunk is resolved as, and when to ask again.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Entry {
    host: String,
    port: Option<u16>,
    transport: Transport,
    addrs: Option<Vec<SocketAddr>>,
    due: tokio::time::Instant,
}

/// The named trunks of a plan (IP literals need no lookup), keeping what is known of those
/// whose host, port and transport did not change.
fn entries(plan: &TrunkPlan, old: &HashMap<String, Entry>) -> HashMap<String, Entry> {
    let now = tokio::time::Instant::now();
    plan.trunks
        .iter()
        .filter(|t| t.host.parse::<IpAddr>().is_err())
        .map(|t| {
            let fresh = Entry {
                host: t.host.clone(),
                port: t.port,
                transport: t.transport,
                addrs: None,
                due: now,
            };
            let kept = old.get(&t.name).filter(|e| {
                (&e.host, e.port, e.transport) == (&fresh.host, fresh.port, fresh.transport)
            });
            // A plan change re-resolves at once even what did not change (the brief's
            // "re-resolved when the plan changes"), keeping the addresses meanwhile.
            let entry = match kept {
                Some(e) => Entry {
                    due: now,
                    ..e.clone()
                },
                None => fresh,
            };
            (t.name.clone(), entry)
        })
        .collect()
}

/// Keep the plan's named trunks resolved until `shutdown`; answers go to the driver.
pub async fn run(
    dns: TrunkDns,
    mut plan: watch::Receiver<TrunkPlan>,
    driver: mpsc::Sender<Control>,
    shutdown: CancellationToken,
) {
    let mut known: HashMap<String, Entry> = entries(&plan.borrow_and_update(), &HashMap::new());
    loop {
        let now = tokio::time::Instant::now();
        let due: Vec<String> = known
            .iter()
            .filter(|(_, e)| e.due <= now)
            .map(|(n, _)| n.clone())
            .collect();
        for name in due {
            let Some(entry) = known.get_mut(&name) else {
                continue;
            };
            let answer = dns.lookup(&entry.host, entry.port, entry.transport).await;
            let retry = match answer {
                Ok(a) => {
                    if entry.addrs.as_ref() != Some(&a.addrs) {
                        tracing::info!(trunk = %name, host = %entry.host, addrs = ?a.addrs,
                            ttl_s = a.ttl.as_secs(), "trunk resolved");
                        entry.addrs = Some(a.addrs.clone());
                        let message = Control::TrunkAddresses {
                            trunk: name.clone(),
                            addrs: a.addrs,
                        };
                        if driver.send(message).await.is_err() {
                            return;
                        }
                    }
                    a.ttl
                }
                Err(e) => {
                    tracing::warn!(trunk = %name, error = %e,
                        "trunk's host not resolved; the last addresses stay, retry in 30 s");
                    MIN_TTL
                }
            };
            entry.due = tokio::time::Instant::now() + retry;
        }
        let next = known.values().map(|e| e.due).min();
        tokio::select! {
            _ = shutdown.cancelled() => return,
            changed = plan.changed() => {
                if changed.is_err() {
                    return;
                }
                known = entries(&plan.borrow_and_update(), &known);
            }
            _ = async {
                match next {
                    Some(at) => tokio::time::sleep_until(at).await,
                    None => std::future::pending().await,
                }
            } => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hickory_resolver::proto::op::{Message, MessageType, ResponseCode};
    use hickory_resolver::proto::rr::rdata::{A, NAPTR, SRV};
    use hickory_resolver::proto::rr::{Name, Record};
    use std::net::Ipv4Addr;
    use tokio::net::UdpSocket;

    /// A DNS server on loopback answering from a fixed zone: (name, record) pairs.
    async fn dns_server(zone: Vec<(String, RData)>) -> SocketAddr {
        let socket = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let addr = socket.local_addr().unwrap();
        tokio::spawn(async move {
            let mut buf = [0u8; 1500];
            loop {
                let Ok((n, from)) = socket.recv_from(&mut buf).await else {
                    return;
                };
                let Ok(query) = Message::from_vec(&buf[..n]) else {
                    continue;
                };
                let mut answer = Message::response(query.metadata.id, query.metadata.op_code);
                answer.metadata.message_type = MessageType::Response;
                answer.metadata.recursion_desired = query.metadata.recursion_desired;
                answer.metadata.recursion_available = true;
                let mut found = false;
                for q in &query.queries {
                    answer.add_query(q.clone());
                    let asked = q.name().to_ascii().to_ascii_lowercase();
                    for (name, data) in &zone {
                        let same_name = *name == asked;
                        if same_name && data.record_type() == q.query_type() {
                            let owner = Name::from_ascii(name).unwrap();
                            answer.add_answer(Record::from_rdata(owner, 120, data.clone()));
                        }
                        found |= same_name;
                    }
                }
                if !found {
                    answer.metadata.response_code = ResponseCode::NXDomain;
                }
                let bytes = answer.to_vec().unwrap();
                let _ = socket.send_to(&bytes, from).await;
            }
        });
        addr
    }

    fn a(ip: [u8; 4]) -> RData {
        RData::A(A(Ipv4Addr::from(ip)))
    }

    fn srv(priority: u16, weight: u16, port: u16, target: &str) -> RData {
        RData::SRV(SRV::new(
            priority,
            weight,
            port,
            Name::from_ascii(target).unwrap(),
        ))
    }

    fn zone() -> Vec<(String, RData)> {
        vec![
            // The backup first in the zone: the order must come from the priorities.
            (
                "_sip._udp.carrier.test.".into(),
                srv(20, 0, 5070, "backup.carrier.test."),
            ),
            (
                "_sip._udp.carrier.test.".into(),
                srv(10, 5, 5062, "light.carrier.test."),
            ),
            (
                "_sip._udp.carrier.test.".into(),
                srv(10, 60, 5060, "heavy.carrier.test."),
            ),
            (
                "_sip._tcp.carrier.test.".into(),
                srv(10, 0, 5061, "tcp.carrier.test."),
            ),
            ("backup.carrier.test.".into(), a([127, 0, 0, 4])),
            ("light.carrier.test.".into(), a([127, 0, 0, 3])),
            ("heavy.carrier.test.".into(), a([127, 0, 0, 2])),
            ("tcp.carrier.test.".into(), a([127, 0, 0, 5])),
            ("carrier.test.".into(), a([127, 0, 0, 9])),
            ("plain.test.".into(), a([127, 0, 0, 7])),
            (
                "naptr.test.".into(),
                RData::NAPTR(NAPTR::new(
                    50,
                    50,
                    b"s".to_vec().into(),
                    b"SIP+D2U".to_vec().into(),
                    Vec::new().into(),
                    Name::from_ascii("_sip._udp.carrier.test.").unwrap(),
                )),
            ),
        ]
    }

    fn sa(s: &str) -> SocketAddr {
        s.parse().unwrap()
    }

    #[tokio::test]
    async fn srv_records_are_tried_by_priority_then_weight() {
        let server = dns_server(zone()).await;
        let dns = TrunkDns::new(&[server]).unwrap();
        let answer = dns
            .lookup("carrier.test", None, Transport::Udp)
            .await
            .unwrap();
        assert_eq!(
            answer.addrs,
            [
                sa("127.0.0.2:5060"),
                sa("127.0.0.3:5062"),
                sa("127.0.0.4:5070")
            ]
        );
        assert!(answer.ttl >= MIN_TTL && answer.ttl <= Duration::from_secs(120));
        let tcp = dns
            .lookup("carrier.test", None, Transport::Tcp)
            .await
            .unwrap();
        assert_eq!(tcp.addrs, [sa("127.0.0.5:5061")]);
    }

    #[tokio::test]
    async fn a_port_means_a_records_only_and_no_srv_falls_back_to_5060() {
        let server = dns_server(zone()).await;
        let dns = TrunkDns::new(&[server]).unwrap();
        let with_port = dns
            .lookup("carrier.test", Some(5080), Transport::Udp)
            .await
            .unwrap();
        assert_eq!(with_port.addrs, [sa("127.0.0.9:5080")]);
        let plain = dns
            .lookup("plain.test", None, Transport::Udp)
            .await
            .unwrap();
        assert_eq!(plain.addrs, [sa("127.0.0.7:5060")]);
        let naptr = dns
            .lookup("naptr.test", None, Transport::Udp)
            .await
            .unwrap();
        assert_eq!(naptr.addrs[0], sa("127.0.0.2:5060"), "NAPTR → SRV");
        assert!(dns
            .lookup("nowhere.test", None, Transport::Udp)
            .await
            .is_err());
    }

    /// The fallback without a system configuration builds, and its lookups fail (no panic).
    #[tokio::test]
    async fn a_resolver_without_servers_fails_lookups_cleanly() {
        let resolver = TokioResolver::builder_with_config(
            ResolverConfig::from_name_servers(Vec::new()),
            TokioRuntimeProvider::default(),
        )
        .build()
        .unwrap();
        let dns = TrunkDns { resolver };
        assert!(dns
            .lookup("carrier.test", None, Transport::Udp)
            .await
            .is_err());
    }

    async fn next(rx: &mut mpsc::Receiver<Control>) -> (String, Vec<SocketAddr>) {
        match tokio::time::timeout(Duration::from_secs(10), rx.recv()).await {
            Ok(Some(Control::TrunkAddresses { trunk, addrs })) => (trunk, addrs),
            _ => panic!("no trunk addresses within 10 s"),
        }
    }

    #[tokio::test]
    async fn run_hands_named_trunks_to_the_driver_and_follows_the_plan() {
        let server = dns_server(zone()).await;
        let dns = TrunkDns::new(&[server]).unwrap();
        let trunk = |name: &str, host: &str| {
            let section = crate::config::trunks::TrunkSection {
                name: name.into(),
                host: host.into(),
                ..Default::default()
            };
            crate::config::trunks::resolve_trunk(&section).unwrap()
        };
        let plan = TrunkPlan {
            trunks: vec![trunk("by-ip", "127.0.0.8"), trunk("named", "plain.test")],
            ..Default::default()
        };
        let (plan_tx, plan_rx) = watch::channel(plan.clone());
        let (tx, mut rx) = mpsc::channel(8);
        let stop = CancellationToken::new();
        tokio::spawn(run(dns, plan_rx, tx, stop.clone()));
        assert_eq!(
            next(&mut rx).await,
            ("named".into(), vec![sa("127.0.0.7:5060")])
        );
        let mut changed = plan;
        changed.trunks[1] = trunk("named", "carrier.test");
        plan_tx.send(changed).unwrap();
        let (name, addrs) = next(&mut rx).await;
        assert_eq!(name, "named");
        assert_eq!(addrs[0], sa("127.0.0.2:5060"));
        stop.cancel();
    }
}
