//! Shrinkage: the share of paid time agents are not available for calls (breaks, training,
//! meetings, absence). Agents scheduled = ⌈agents on the phone / (1 − shrinkage)⌉.

use crate::StaffingError;

/// Agents to schedule so that `on_phone` remain after `shrinkage` (a fraction in [0, 1)).
pub fn scheduled_agents(on_phone: u32, shrinkage: f64) -> Result<u32, StaffingError> {
    check_shrinkage(shrinkage)?;
    // A float error must not add an agent where the division is exact (a margin of 1e-9).
    let scheduled = (f64::from(on_phone) / (1.0 - shrinkage) - 1e-9)
        .ceil()
        .max(0.0);
    if scheduled > f64::from(u32::MAX) {
        return Err(StaffingError::Invalid {
            what: "scheduled agents",
            value: scheduled,
        });
    }
    Ok(scheduled as u32)
}

pub(crate) fn check_shrinkage(shrinkage: f64) -> Result<(), StaffingError> {
    if !(0.0..1.0).contains(&shrinkage) {
        return Err(StaffingError::Invalid {
            what: "shrinkage",
            value: shrinkage,
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shrinkage_rounds_up_to_whole_agents() {
        assert_eq!(scheduled_agents(14, 0.0).unwrap(), 14);
        // 14 / 0.7 = 20 exactly; 0.1 + 0.2 style errors must not make it 21.
        assert_eq!(scheduled_agents(14, 0.3).unwrap(), 20);
        // 14 / 0.75 = 18.67 → 19.
        assert_eq!(scheduled_agents(14, 0.25).unwrap(), 19);
        assert_eq!(scheduled_agents(0, 0.5).unwrap(), 0);
        assert_eq!(scheduled_agents(1, 0.01).unwrap(), 2);
        assert_eq!(scheduled_agents(3, 0.1 + 0.2 + 0.4).unwrap(), 10);
    }

    #[test]
    fn shrinkage_outside_zero_to_one_is_an_error() {
        assert!(scheduled_agents(10, 1.0).is_err());
        assert!(scheduled_agents(10, -0.1).is_err());
        assert!(scheduled_agents(10, f64::NAN).is_err());
    }
}
