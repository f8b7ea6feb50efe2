//! A DNS server on loopback answering from a fixed zone, so a trunk's host can be a name the
//! switch resolves as RFC 3263 says (`[sip] dns_servers`): SRV and A records, NXDOMAIN for
//! names it does not know. One thread, stopped when the value is dropped.

use hickory_proto::op::{Message, MessageType, ResponseCode};
use hickory_proto::rr::rdata::{A, SRV};
use hickory_proto::rr::{Name, RData, Record};
use std::net::{Ipv4Addr, SocketAddr, UdpSocket};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// A record of the zone.
#[derive(Debug, Clone)]
pub enum Entry {
    /// `_sip._udp.<name>.` style service name → (priority, weight, port, target).
    Srv(String, u16, u16, u16, String),
    A(String, Ipv4Addr),
}

/// The running server; dropping it stops the thread.
pub struct DnsServer {
    pub addr: SocketAddr,
    stop: Arc<AtomicBool>,
}

impl Drop for DnsServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

fn fqdn(name: &str) -> String {
    format!("{}.", name.trim_end_matches('.').to_ascii_lowercase())
}

impl DnsServer {
    pub fn start(zone: Vec<Entry>) -> anyhow::Result<DnsServer> {
        let socket = UdpSocket::bind("127.0.0.1:0")?;
        socket.set_read_timeout(Some(Duration::from_millis(100)))?;
        let addr = socket.local_addr()?;
        let records: Vec<(String, RData)> = zone
            .into_iter()
            .map(|e| -> anyhow::Result<(String, RData)> {
                Ok(match e {
                    Entry::Srv(name, priority, weight, port, target) => (
                        fqdn(&name),
                        RData::SRV(SRV::new(
                            priority,
                            weight,
                            port,
                            Name::from_ascii(fqdn(&target))?,
                        )),
                    ),
                    Entry::A(name, ip) => (fqdn(&name), RData::A(A(ip))),
                })
            })
            .collect::<Result<_, _>>()?;
        let stop = Arc::new(AtomicBool::new(false));
        let stopped = stop.clone();
        std::thread::spawn(move || {
            let mut buf = [0u8; 1500];
            while !stopped.load(Ordering::Relaxed) {
                let Ok((n, from)) = socket.recv_from(&mut buf) else {
                    continue;
                };
                if let Some(reply) = answer(&records, &buf[..n]) {
                    let _ = socket.send_to(&reply, from);
                }
            }
        });
        Ok(DnsServer { addr, stop })
    }
}

/// The response to one query, from `records`.
fn answer(records: &[(String, RData)], query: &[u8]) -> Option<Vec<u8>> {
    let query = Message::from_vec(query).ok()?;
    let mut reply = Message::response(query.metadata.id, query.metadata.op_code);
    reply.metadata.message_type = MessageType::Response;
    reply.metadata.recursion_desired = query.metadata.recursion_desired;
    reply.metadata.recursion_available = true;
    let mut known = false;
    for q in &query.queries {
        reply.add_query(q.clone());
        let asked = q.name().to_ascii().to_ascii_lowercase();
        for (name, data) in records.iter().filter(|(n, _)| *n == asked) {
            known = true;
            if data.record_type() == q.query_type() {
                let owner = Name::from_ascii(name).ok()?;
                reply.add_answer(Record::from_rdata(owner, 60, data.clone()));
            }
        }
    }
    if !known {
        reply.metadata.response_code = ResponseCode::NXDomain;
    }
    reply.to_vec().ok()
}
