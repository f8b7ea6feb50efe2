//! Caller lookup for dialplans: the CRM's customer record for a calling number.

/// The customer owning `number`, as the dialplan sees it; None when unknown or on a database error
/// (the plan treats the caller as unknown rather than stalling the call).
pub async fn customer(crm: &crm::Crm, number: &str) -> Option<ivr::Customer> {
    match crm.customer_by_number(number).await {
        Ok(found) => found.map(|c| ivr::Customer {
            name: c.name,
            grade: c.grade,
            segment: c.segment.unwrap_or_default(),
        }),
        Err(e) => {
            tracing::warn!(%number, error = %e, "caller lookup failed; treating caller as unknown");
            None
        }
    }
}
