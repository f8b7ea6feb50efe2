//! The contact history through the public API, on both backends: one contact per call, the
//! customer found by number, attaching a caller's history when they become a customer later,
//! history order and limits, the wrap-up, and refused input.

mod common;

use common::at;
use crm::{
    Channel, Contact, Crm, CrmError, CustomerPatch, NewContact, NewCustomer, NewPhone, PhoneLabel,
    MAX_CONTACTS_PAGE, MAX_CONTACT_NOTES_CHARS,
};

on_both_backends!(
    add_and_read_round_trip,
    one_contact_per_call,
    known_numbers_attach_on_add,
    unknown_callers_attach_when_they_become_customers,
    history_is_newest_first_and_limited,
    wrap_up_is_stored_and_checked,
    bad_input_stores_nothing,
);

const MOBILE: &str = "+821012345678";

fn korean(crm: &Crm) -> anyhow::Result<Crm> {
    Ok(crm.clone().with_default_country_code("82")?)
}

fn call(call_id: &str, raw: &str, ms: i64) -> NewContact {
    NewContact {
        call_id: Some(call_id.into()),
        channel: Channel::VoiceInbound,
        number: Some(raw.into()),
        customer_id: None,
        at: at(ms),
        queue: Some("sales".into()),
        agent: Some("1001".into()),
        duration_ms: Some(95_000),
        outcome: "answered".into(),
        recording_id: Some(format!("rec-{call_id}")),
    }
}

async fn customer(crm: &Crm, name: &str, raws: &[&str]) -> anyhow::Result<i64> {
    let new = NewCustomer {
        name: name.into(),
        phones: raws
            .iter()
            .map(|r| NewPhone::new(*r, PhoneLabel::Mobile))
            .collect(),
        ..Default::default()
    };
    Ok(crm.create_customer(&new, at(0)).await?.id)
}

fn call_ids(cs: &[Contact]) -> Vec<&str> {
    cs.iter().filter_map(|c| c.call_id.as_deref()).collect()
}

async fn add_and_read_round_trip(crm: &Crm) -> anyhow::Result<()> {
    let crm = korean(crm)?;
    let id = crm.add_contact(&call("c1", "010-1234-5678", 1_500)).await?;
    let c = crm.contact(id).await?.expect("stored");
    assert_eq!(c.id, id);
    assert_eq!(c.call_id.as_deref(), Some("c1"));
    assert_eq!(c.channel, Channel::VoiceInbound);
    assert_eq!(
        c.number.as_deref(),
        Some(MOBILE),
        "normalized like customers"
    );
    assert_eq!((c.customer_id, c.at), (None, at(1_500)));
    assert_eq!(
        (c.queue.as_deref(), c.agent.as_deref()),
        (Some("sales"), Some("1001"))
    );
    assert_eq!(
        (c.duration_ms, c.outcome.as_str()),
        (Some(95_000), "answered")
    );
    assert_eq!(c.recording_id.as_deref(), Some("rec-c1"));
    assert_eq!(
        (c.wrap_up_code, c.notes, c.wrapped_up_at, c.wrapped_up_by),
        (None, None, None, None)
    );
    assert_eq!(crm.contact_by_call("c1").await?.map(|c| c.id), Some(id));

    // A web call of an anonymous caller: no number, nothing else known.
    let web = NewContact {
        call_id: Some("w1".into()),
        channel: Channel::WebCall,
        number: Some("anonymous".into()),
        customer_id: None,
        at: at(2_000),
        queue: None,
        agent: None,
        duration_ms: None,
        outcome: "abandoned".into(),
        recording_id: None,
    };
    let w = crm.add_contact(&web).await?;
    let c = crm.contact(w).await?.expect("stored");
    assert_eq!(
        (c.channel, c.number, c.outcome.as_str()),
        (Channel::WebCall, None, "abandoned")
    );
    assert_ne!(w, id);
    assert!(crm.contact(w + 100).await?.is_none());
    assert!(crm.contact_by_call("c9").await?.is_none());
    Ok(())
}

async fn one_contact_per_call(crm: &Crm) -> anyhow::Result<()> {
    let crm = korean(crm)?;
    // Added when the call is queued, completed when it ends.
    let mut early = call("c1", MOBILE, 0);
    (early.agent, early.duration_ms, early.recording_id) = (None, None, None);
    early.outcome = "queued".into();
    let id = crm.add_contact(&early).await?;
    crm.wrap_up_contact(id, "sale", Some("wants a callback"), "1001", at(200_000))
        .await?;
    let mut end = call("c1", MOBILE, 0);
    end.queue = None;
    assert_eq!(crm.add_contact(&end).await?, id, "same call, same contact");
    let c = crm.contact(id).await?.expect("stored");
    assert_eq!(c.outcome, "answered");
    assert_eq!(
        c.queue.as_deref(),
        Some("sales"),
        "None keeps the stored value"
    );
    assert_eq!(
        (c.agent.as_deref(), c.duration_ms),
        (Some("1001"), Some(95_000))
    );
    assert_eq!(c.recording_id.as_deref(), Some("rec-c1"));
    assert_eq!(
        c.wrap_up_code.as_deref(),
        Some("sale"),
        "the wrap-up is kept"
    );
    assert_eq!(crm.contacts_of_number(MOBILE, 10).await?.len(), 1);

    // Without a call id every add is a new contact (e-mail).
    let mut mail = call("x", MOBILE, 5);
    (mail.call_id, mail.channel) = (None, Channel::Email);
    let a = crm.add_contact(&mail).await?;
    let b = crm.add_contact(&mail).await?;
    assert_ne!(a, b);
    assert_eq!(crm.contacts_of_number(MOBILE, 10).await?.len(), 3);
    Ok(())
}

async fn known_numbers_attach_on_add(crm: &Crm) -> anyhow::Result<()> {
    let crm = korean(crm)?;
    let kim = customer(&crm, "Kim", &["010-1234-5678"]).await?;
    let lee = customer(&crm, "Lee", &["02-555-0100"]).await?;
    let id = crm.add_contact(&call("c1", "+82 10 1234 5678", 0)).await?;
    assert_eq!(
        crm.contact(id).await?.and_then(|c| c.customer_id),
        Some(kim)
    );
    // An explicit customer wins over the number's owner.
    let mut c = call("c2", MOBILE, 1);
    c.customer_id = Some(lee);
    let id = crm.add_contact(&c).await?;
    assert_eq!(
        crm.contact(id).await?.and_then(|c| c.customer_id),
        Some(lee)
    );
    // Re-adding without a customer keeps the one stored.
    let id2 = crm.add_contact(&call("c2", "+49301234567", 1)).await?;
    assert_eq!(id2, id);
    assert_eq!(
        crm.contact(id).await?.and_then(|c| c.customer_id),
        Some(lee)
    );
    Ok(())
}

async fn unknown_callers_attach_when_they_become_customers(crm: &Crm) -> anyhow::Result<()> {
    let crm = korean(crm)?;
    let first = crm.add_contact(&call("c1", "010-1234-5678", 0)).await?;
    let second = crm.add_contact(&call("c2", MOBILE, 60_000)).await?;
    let other = crm
        .add_contact(&call("c3", "010-9999-0000", 30_000))
        .await?;
    let landline = crm.add_contact(&call("c4", "02-555-0100", 90_000)).await?;
    // A contact someone already attached by hand stays with that customer.
    let lee = customer(&crm, "Lee", &[]).await?;
    let mut manual = call("c5", MOBILE, 120_000);
    manual.customer_id = Some(lee);
    let manual = crm.add_contact(&manual).await?;
    assert!(crm.contacts_of_customer(lee, 10).await?.len() == 1);

    let kim = customer(&crm, "Kim", &["010-1234-5678"]).await?;
    assert_eq!(
        call_ids(&crm.contacts_of_customer(kim, 10).await?),
        ["c2", "c1"]
    );
    for (id, owner) in [
        (first, Some(kim)),
        (second, Some(kim)),
        (other, None),
        (landline, None),
        (manual, Some(lee)),
    ] {
        assert_eq!(
            crm.contact(id).await?.and_then(|c| c.customer_id),
            owner,
            "contact {id}"
        );
    }

    // Adding a number to an existing customer attaches that number's contacts too.
    let patch = CustomerPatch {
        phones: Some(vec![
            NewPhone::new("010-1234-5678", PhoneLabel::Mobile),
            NewPhone::new("02-555-0100", PhoneLabel::Home),
        ]),
        ..Default::default()
    };
    crm.update_customer(kim, &patch, at(1)).await?;
    assert_eq!(
        call_ids(&crm.contacts_of_customer(kim, 10).await?),
        ["c4", "c2", "c1"]
    );
    assert_eq!(crm.contact(other).await?.and_then(|c| c.customer_id), None);

    // A refused customer (number taken) attaches nothing.
    let park = NewCustomer {
        name: "Park".into(),
        phones: vec![
            NewPhone::new("010-9999-0000", PhoneLabel::Mobile),
            NewPhone::new("010-1234-5678", PhoneLabel::Work),
        ],
        ..Default::default()
    };
    let refused = crm.create_customer(&park, at(2)).await;
    assert!(
        matches!(refused, Err(CrmError::NumberTaken { .. })),
        "{refused:?}"
    );
    assert_eq!(crm.contact(other).await?.and_then(|c| c.customer_id), None);
    Ok(())
}

async fn history_is_newest_first_and_limited(crm: &Crm) -> anyhow::Result<()> {
    let crm = korean(crm)?;
    let kim = customer(&crm, "Kim", &[MOBILE]).await?;
    // Added out of order; two at the same instant are ordered newest id first.
    for (call_id, ms) in [("b", 2_000), ("a", 1_000), ("d", 3_000), ("c", 3_000)] {
        crm.add_contact(&call(call_id, MOBILE, ms)).await?;
    }
    crm.add_contact(&call("z", "010-0000-1111", 9_000)).await?;
    assert_eq!(
        call_ids(&crm.contacts_of_customer(kim, 10).await?),
        ["c", "d", "b", "a"]
    );
    assert_eq!(
        call_ids(&crm.contacts_of_customer(kim, 2).await?),
        ["c", "d"]
    );
    assert!(crm.contacts_of_customer(kim, 0).await?.is_empty());
    assert!(crm.contacts_of_customer(kim + 1, 10).await?.is_empty());
    // The number in any form, and input that is no number.
    assert_eq!(
        call_ids(&crm.contacts_of_number("010-1234-5678", 3).await?),
        ["c", "d", "b"]
    );
    assert_eq!(
        call_ids(&crm.contacts_of_number("sip:01000001111@pbx", 10).await?),
        ["z"]
    );
    assert!(crm.contacts_of_number("anonymous", 10).await?.is_empty());
    assert!(crm.contacts_of_number("", 10).await?.is_empty());

    // A page never exceeds the cap, however large the limit.
    for i in 0..=MAX_CONTACTS_PAGE {
        let mut c = call(&format!("bulk{i}"), "010-2222-3333", i64::from(i));
        c.customer_id = Some(kim);
        crm.add_contact(&c).await?;
    }
    let page = crm.contacts_of_customer(kim, u32::MAX).await?;
    assert_eq!(page.len(), MAX_CONTACTS_PAGE as usize);
    assert_eq!(page.first().and_then(|c| c.call_id.as_deref()), Some("c"));
    Ok(())
}

async fn wrap_up_is_stored_and_checked(crm: &Crm) -> anyhow::Result<()> {
    let id = crm.add_contact(&call("c1", "+4930123456", 0)).await?;
    let notes = "Asked about the invoice.\nCall back Monday.";
    crm.wrap_up_contact(id, "billing", Some(notes), "1001", at(120_000))
        .await?;
    let c = crm.contact(id).await?.expect("stored");
    assert_eq!(
        (c.wrap_up_code.as_deref(), c.notes.as_deref()),
        (Some("billing"), Some(notes))
    );
    assert_eq!(
        (c.wrapped_up_at, c.wrapped_up_by.as_deref()),
        (Some(at(120_000)), Some("1001"))
    );

    // Notes at the limit (in characters, not bytes) are accepted; one more is refused and
    // nothing changes.
    let full = "가".repeat(MAX_CONTACT_NOTES_CHARS);
    crm.wrap_up_contact(id, "sale", Some(&full), "1002", at(130_000))
        .await?;
    assert_eq!(
        crm.contact(id).await?.and_then(|c| c.notes),
        Some(full.clone())
    );
    let over = "a".repeat(MAX_CONTACT_NOTES_CHARS + 1);
    let refused = crm
        .wrap_up_contact(id, "other", Some(&over), "1003", at(140_000))
        .await;
    assert!(
        matches!(refused, Err(CrmError::InvalidField { field: "notes", .. })),
        "{refused:?}"
    );
    let c = crm.contact(id).await?.expect("stored");
    assert_eq!(
        (c.wrap_up_code.as_deref(), c.wrapped_up_by.as_deref()),
        (Some("sale"), Some("1002"))
    );
    assert_eq!(c.notes, Some(full));

    // A later wrap-up without notes replaces the earlier one whole.
    crm.wrap_up_contact(id, "no_sale", None, "1001", at(150_000))
        .await?;
    let c = crm.contact(id).await?.expect("stored");
    assert_eq!(
        (c.wrap_up_code.as_deref(), c.notes),
        (Some("no_sale"), None)
    );

    let empty = crm.wrap_up_contact(id, "", None, "1001", at(1)).await;
    assert!(matches!(
        empty,
        Err(CrmError::InvalidField {
            field: "wrap_up_code",
            ..
        })
    ));
    let unknown = crm
        .wrap_up_contact(id + 1, "sale", None, "1001", at(1))
        .await;
    assert!(
        matches!(unknown, Err(CrmError::UnknownContact(x)) if x == id + 1),
        "{unknown:?}"
    );
    Ok(())
}

async fn bad_input_stores_nothing(crm: &Crm) -> anyhow::Result<()> {
    let field = |r: Result<i64, CrmError>| match r {
        Err(CrmError::InvalidField { field, .. }) => field,
        other => panic!("expected a field error, got {other:?}"),
    };
    let with = |f: &dyn Fn(&mut NewContact)| {
        let mut c = call("c1", "+4930123456", 0);
        f(&mut c);
        c
    };
    assert_eq!(
        field(crm.add_contact(&with(&|c| c.outcome = String::new())).await),
        "outcome"
    );
    assert_eq!(
        field(
            crm.add_contact(&with(&|c| c.outcome = "Answered".into()))
                .await
        ),
        "outcome"
    );
    assert_eq!(
        field(crm.add_contact(&with(&|c| c.duration_ms = Some(-1))).await),
        "duration_ms"
    );
    assert_eq!(
        field(
            crm.add_contact(&with(&|c| c.call_id = Some(String::new())))
                .await
        ),
        "call_id"
    );
    assert_eq!(
        field(
            crm.add_contact(&with(&|c| c.queue = Some("q".repeat(101))))
                .await
        ),
        "queue"
    );
    let ghost = crm
        .add_contact(&with(&|c| c.customer_id = Some(4242)))
        .await;
    assert!(
        matches!(ghost, Err(CrmError::UnknownCustomer(4242))),
        "{ghost:?}"
    );
    assert!(crm.contact_by_call("c1").await?.is_none());
    assert!(crm.contacts_of_number("+4930123456", 10).await?.is_empty());
    Ok(())
}
