//! Time-stamped comments on a recording ("02:13 interrupted the customer"): the time must be
//! inside the recording, or a click on the comment would seek nowhere.

use serde::{Deserialize, Serialize};

/// A comment at a point of the recording, in milliseconds from its start.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TimedComment {
    pub at_ms: u64,
    pub text: String,
}

/// Why a comment was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CommentError {
    #[error("the comment at {} is past the recording's end ({})", clock(*at_ms), clock(*length_ms))]
    PastEnd { at_ms: u64, length_ms: u64 },
    #[error("the comment is empty")]
    Empty,
}

impl TimedComment {
    /// A comment at `at_ms` on a recording `length_ms` long; the end itself is allowed.
    pub fn new(at_ms: u64, text: &str, length_ms: u64) -> Result<Self, CommentError> {
        let text = text.trim();
        if text.is_empty() {
            return Err(CommentError::Empty);
        }
        if at_ms > length_ms {
            return Err(CommentError::PastEnd { at_ms, length_ms });
        }
        Ok(Self {
            at_ms,
            text: text.to_owned(),
        })
    }

    /// Where it points, as a player shows it (`02:13`, `1:02:13` past an hour).
    pub fn label(&self) -> String {
        clock(self.at_ms)
    }
}

/// `mm:ss`, or `h:mm:ss` from an hour on; milliseconds dropped.
fn clock(ms: u64) -> String {
    let s = ms / 1000;
    let (h, m, s) = (s / 3600, s / 60 % 60, s % 60);
    if h > 0 {
        format!("{h}:{m:02}:{s:02}")
    } else {
        format!("{m:02}:{s:02}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_comment_inside_the_recording_is_kept_with_its_label() {
        let c = TimedComment::new(133_400, "  interrupted the customer ", 180_000).unwrap();
        assert_eq!(c.text, "interrupted the customer");
        assert_eq!(c.label(), "02:13");
        assert_eq!(
            TimedComment::new(3_733_000, "x", 4_000_000)
                .unwrap()
                .label(),
            "1:02:13"
        );
        assert!(TimedComment::new(180_000, "at the very end", 180_000).is_ok());
        assert!(TimedComment::new(0, "at the start", 0).is_ok());
    }

    #[test]
    fn a_comment_past_the_end_or_empty_is_refused() {
        let err = TimedComment::new(180_001, "late", 180_000).unwrap_err();
        assert_eq!(
            err,
            CommentError::PastEnd {
                at_ms: 180_001,
                length_ms: 180_000
            }
        );
        assert_eq!(
            err.to_string(),
            "the comment at 03:00 is past the recording's end (03:00)"
        );
        assert_eq!(
            TimedComment::new(10, "   ", 180_000),
            Err(CommentError::Empty)
        );
    }
}
