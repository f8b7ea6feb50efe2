//! SDP on its way through the switch: parsed, the relay pointed at the sender, and rewritten so
//! the other leg sends its RTP to the relay.

use super::call::{Call, Side};
use super::record::OfferPolicy;
use super::{sip_fields, Action, CallId, Switch};
use media::sdp::{NarrowError, SessionDescription};

impl Switch {
    /// Rewrite SDP coming from `from` for the other side, and point the relay's `from` side at it.
    /// Returns the body to send on, or None when there is no (usable) SDP.
    pub(super) fn relay_sdp(
        &mut self,
        id: CallId,
        from: Side,
        headers: &rsip::Headers,
        body: &[u8],
    ) -> Option<Vec<u8>> {
        if !sip_fields::is_sdp(headers, body) {
            return None;
        }
        let call = self.calls.get(&id)?;
        let (relay, offers) = (call.relay?, call.offers);
        let signal = signalling_ip(call, from);
        let sdp = match parse_sdp(body).map(|s| offers.apply(s)) {
            Ok(Ok(s)) => s,
            Ok(Err(reason)) => {
                tracing::info!(call = id, %reason, "SDP the switch could not record; not relayed");
                return None;
            }
            Err(reason) => {
                tracing::info!(call = id, %reason, "unusable SDP; not relayed");
                return None;
            }
        };
        if let Some(t) = sdp.audio_target() {
            self.point_relay(id, from, t, signal);
        }
        let out = sdp.rewrite_for_relay(relay.ip, relay.port(from.other()));
        if from == Side::A {
            if let Some(c) = self.calls.get_mut(&id) {
                c.a_sdp = Some(sdp);
            }
        }
        Some(out.into_bytes())
    }
}

impl Switch {
    /// Send `side` of the relay to `target`, latching only to `signal`'s IP when known.
    pub(super) fn point_relay(
        &mut self,
        id: CallId,
        side: Side,
        target: media::sdp::MediaTarget,
        signal: Option<std::net::IpAddr>,
    ) {
        self.actions.push_back(Action::SetRemote {
            call: id,
            side,
            rtp: target.rtp,
            rtcp: target.rtcp,
        });
        self.actions.push_back(Action::SignalSource {
            call: id,
            side,
            ip: signal,
        });
    }
}

/// Where `side`'s SIP came from when it came straight from the phone: the caller's INVITE
/// with its own Via only, or a callee (or a phone the switch called) reached without a route
/// set (no proxy record-routed or registered it through a Path). Through a proxy the packets'
/// source is the proxy, which says nothing about where the phone's media comes from: `None`.
/// The in-process web gateway is not a phone on the network: `None` too.
pub(super) fn signalling_ip(call: &Call, side: Side) -> Option<std::net::IpAddr> {
    let direct = |dialog: &super::dialog::Dialog| {
        (dialog.route_set.is_empty() && dialog.peer.transport != sip::Transport::Internal)
            .then(|| dialog.peer.addr.ip())
    };
    match side {
        Side::A => {
            let vias = call
                .a
                .invite
                .headers
                .iter()
                .filter(|h| matches!(h, rsip::Header::Via(_)))
                .count();
            if vias == 1 {
                direct(&call.a.dialog)
            } else {
                None
            }
        }
        Side::B => {
            let branch = call.branches.get(call.answered_branch?)?;
            direct(&branch.dialog)
        }
    }
}

impl OfferPolicy {
    /// The SDP as it may go on to the other leg under this policy: narrowed to what the switch
    /// can decode (or as it is), or why nothing acceptable is left.
    pub(super) fn apply(self, sdp: SessionDescription) -> Result<SessionDescription, NarrowError> {
        match self {
            OfferPolicy::Decodable => sdp.into_decodable(),
            OfferPolicy::AsIs => Ok(sdp),
        }
    }
}

/// The RFC 3261 §20.43 warning code for an offer refused with 488.
pub(super) fn warning_code(e: &NarrowError) -> u16 {
    match e {
        NarrowError::EncryptedOnly { .. } => 302, // Incompatible transport protocol
        NarrowError::NoDecodableCodec { .. } => 305, // Incompatible media format
        _ => 304,                                 // Media type not available
    }
}

/// Parse an SDP body, with a reason phrase for 488 on failure.
pub(super) fn parse_sdp(body: &[u8]) -> Result<SessionDescription, String> {
    let text = std::str::from_utf8(body).map_err(|_| "Bad SDP: Not UTF-8".to_string())?;
    SessionDescription::parse(text).map_err(|e| {
        let mut r = format!("Bad SDP: {e}");
        r.truncate(100);
        r
    })
}

/// The SDP the switch answers with when it is itself the caller's media endpoint (IVR): G.711
/// as the caller prefers it (PCMU or PCMA), plus telephone-event when offered, on relay port A.
/// Without an offer (late offer) it offers both G.711 laws and telephone-event/8000.
pub(super) fn endpoint_sdp(
    call: &super::call::Call,
) -> Option<(Vec<u8>, media::g711::Codec, Option<u8>)> {
    let relay = call.relay?;
    let (codec, te) = match &call.a_sdp {
        Some(offer) => codec_of(offer)?,
        None => (media::g711::Codec::Pcmu, Some(101)),
    };
    let own = OwnSdp {
        port: relay.a_port,
        codec,
        telephone_event: te,
        both_laws: call.a_sdp.is_none(),
        direction: "sendrecv",
    };
    Some((own.render(call)?, codec, te))
}

/// The first G.711 law of an SDP's audio stream and its telephone-event/8000 payload type.
pub(super) fn codec_of(sdp: &SessionDescription) -> Option<(media::g711::Codec, Option<u8>)> {
    use media::g711::Codec;
    let audio = sdp.media().iter().find(|m| m.media == "audio")?;
    let codec = audio.formats.iter().find_map(|f| match f.as_str() {
        "0" => Some(Codec::Pcmu),
        "8" => Some(Codec::Pcma),
        _ => None,
    })?;
    let te = audio
        .rtpmaps
        .iter()
        .find(|r| r.encoding.eq_ignore_ascii_case("telephone-event") && r.clock_rate == 8000)
        .map(|r| r.payload_type);
    Some((codec, te))
}

/// SDP of the switch's own on one of a call's relay ports: its IVR answer, its answer to a
/// phone holding a call (`hold.rs`), its offer to a transfer target (`attended.rs`).
pub(super) struct OwnSdp {
    pub port: u16,
    pub codec: media::g711::Codec,
    pub telephone_event: Option<u8>,
    /// Offer PCMA after `codec` too (an offer made without knowing the other side's law).
    pub both_laws: bool,
    /// `sendrecv`, `recvonly`, `sendonly` or `inactive`.
    pub direction: &'static str,
}

impl OwnSdp {
    pub fn render(&self, call: &super::call::Call) -> Option<Vec<u8>> {
        use media::g711::Codec;
        let relay = call.relay?;
        let family = if relay.ip.is_ipv4() { "IP4" } else { "IP6" };
        let ip = relay.ip;
        let port = self.port;
        // Any number unique per call will do for o= (RFC 4566); take it from the CDR's UUID.
        let hex: String = call
            .cdr_id
            .chars()
            .filter(char::is_ascii_hexdigit)
            .take(12)
            .collect();
        let session = u64::from_str_radix(&hex, 16).unwrap_or(1);
        let mut formats = vec![self.codec.payload_type().to_string()];
        let mut lines = vec![match self.codec {
            Codec::Pcmu => "a=rtpmap:0 PCMU/8000".to_string(),
            Codec::Pcma => "a=rtpmap:8 PCMA/8000".to_string(),
        }];
        if self.both_laws {
            formats.push("8".into());
            lines.push("a=rtpmap:8 PCMA/8000".into());
        }
        if let Some(pt) = self.telephone_event {
            formats.push(pt.to_string());
            lines.push(format!("a=rtpmap:{pt} telephone-event/8000"));
            lines.push(format!("a=fmtp:{pt} 0-16"));
        }
        let sdp = format!(
            "v=0\r\no=switchboard {session} 1 IN {family} {ip}\r\ns=switchboard\r\nc=IN {family} {ip}\r\nt=0 0\r\n\
             m=audio {port} RTP/AVP {}\r\n{}\r\na=ptime:20\r\na={}\r\n",
            formats.join(" "),
            lines.join("\r\n"),
            self.direction,
        );
        Some(sdp.into_bytes())
    }
}
