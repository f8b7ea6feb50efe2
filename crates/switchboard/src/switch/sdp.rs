//! SDP on its way through the switch: parsed, the relay pointed at the sender, and rewritten so
//! the other leg sends its RTP to the relay.

use super::call::Side;
use super::{read, Action, CallId, Switch};
use media::sdp::SessionDescription;

impl Switch {
    /// Rewrite SDP coming from `from` for the other side, and point the relay's `from` side at it.
    /// Returns the body to send on, or None when there is no (usable) SDP.
    pub(super) fn relay_sdp(
        &mut self,
        id: CallId,
        from: Side,
        headers: &rsip::Headers,
        body: &[u8],
        _offer: bool,
    ) -> Option<Vec<u8>> {
        if !read::is_sdp(headers, body) {
            return None;
        }
        let relay = self.calls.get(&id)?.relay?;
        let sdp = match parse_sdp(body) {
            Ok(s) => s,
            Err(reason) => {
                tracing::info!(call = id, %reason, "unusable SDP; not relayed");
                return None;
            }
        };
        if let Some(t) = sdp.audio_target() {
            self.actions.push_back(Action::SetRemote {
                call: id,
                side: from,
                rtp: t.rtp,
                rtcp: t.rtcp,
            });
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

/// Parse an SDP body, with a reason phrase for 488 on failure.
pub(super) fn parse_sdp(body: &[u8]) -> Result<SessionDescription, String> {
    let text = std::str::from_utf8(body).map_err(|_| "Bad SDP: Not UTF-8".to_string())?;
    SessionDescription::parse(text).map_err(|e| {
        let mut r = format!("Bad SDP: {e}");
        r.truncate(100);
        r
    })
}
