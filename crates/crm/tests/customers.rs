//! The customer repository through the public API, on both backends: CRUD, number ownership,
//! the IVR lookup, search, verbatim strings and field limits.

mod common;

use common::at;
use crm::{
    Crm, CrmError, Customer, CustomerPatch, CustomerQuery, NewCustomer, NewPhone, PhoneLabel,
};

on_both_backends!(
    create_read_update_round_trip,
    a_number_belongs_to_one_customer,
    lookup_by_any_number_in_any_form,
    search_by_name_number_and_grade,
    strings_are_stored_verbatim,
    oversized_fields_are_rejected,
);

fn korean(crm: &Crm) -> anyhow::Result<Crm> {
    Ok(crm.clone().with_default_country_code("82")?)
}

fn new(name: &str, phones: &[(&str, PhoneLabel)]) -> NewCustomer {
    NewCustomer {
        name: name.into(),
        phones: phones
            .iter()
            .map(|(raw, label)| NewPhone::new(*raw, *label))
            .collect(),
        ..Default::default()
    }
}

fn numbers(c: &Customer) -> Vec<&str> {
    c.phones.iter().map(|p| p.number.as_str()).collect()
}

async fn count_all(crm: &Crm) -> anyhow::Result<usize> {
    let q = CustomerQuery {
        limit: crm::MAX_PAGE,
        ..Default::default()
    };
    Ok(crm.search_customers(&q).await?.len())
}

async fn create_read_update_round_trip(crm: &Crm) -> anyhow::Result<()> {
    let crm = korean(crm)?;
    let created = crm
        .create_customer(
            &NewCustomer {
                segment: Some("retail".into()),
                preferred_language: Some("ko".into()),
                notes: "prefers mornings".into(),
                ..new(
                    "Kim Min-jun",
                    &[
                        ("010-1234-5678", PhoneLabel::Mobile),
                        ("02-555-0100", PhoneLabel::Work),
                    ],
                )
            },
            at(0),
        )
        .await?;
    assert_eq!(created.name, "Kim Min-jun");
    assert_eq!(created.grade, crm::DEFAULT_GRADE);
    assert_eq!(numbers(&created), ["+821012345678", "+8225550100"]);
    assert_eq!(created.phones[1].label, PhoneLabel::Work);
    assert_eq!((created.created_at, created.updated_at), (at(0), at(0)));
    assert_eq!(crm.customer(created.id).await?.as_ref(), Some(&created));

    // Only the grade changes; everything else stays, and updated_at moves.
    let graded = crm
        .update_customer(
            created.id,
            &CustomerPatch {
                grade: Some("VIP".into()),
                ..Default::default()
            },
            at(5_000),
        )
        .await?;
    assert_eq!(graded.grade, "vip");
    assert_eq!((graded.created_at, graded.updated_at), (at(0), at(5_000)));
    assert_eq!(
        Customer {
            grade: created.grade.clone(),
            updated_at: created.updated_at,
            ..graded.clone()
        },
        created
    );

    // Numbers are replaced as a whole; optional fields can be cleared.
    let changed = crm
        .update_customer(
            created.id,
            &CustomerPatch {
                segment: Some(None),
                notes: Some(String::new()),
                phones: Some(vec![NewPhone::new("+44 20 7946 0000", PhoneLabel::Home)]),
                ..Default::default()
            },
            at(9_000),
        )
        .await?;
    assert_eq!(numbers(&changed), ["+442079460000"]);
    assert_eq!(changed.segment, None);
    assert_eq!(changed.notes, "");
    assert_eq!(changed.preferred_language.as_deref(), Some("ko"));
    assert_eq!(changed.grade, "vip");
    assert_eq!(crm.customer(created.id).await?, Some(changed));
    assert_eq!(crm.customer_by_number("010-1234-5678").await?, None);

    let missing = crm
        .update_customer(created.id + 100, &CustomerPatch::default(), at(1))
        .await;
    assert!(
        matches!(missing, Err(CrmError::UnknownCustomer(id)) if id == created.id + 100),
        "{missing:?}"
    );
    assert_eq!(crm.customer(created.id + 100).await?, None);

    // A customer without numbers is allowed (walk-in, e-mail only).
    let bare = crm.create_customer(&new("No Phone", &[]), at(2)).await?;
    assert!(bare.phones.is_empty());
    assert_eq!(crm.customer(bare.id).await?, Some(bare));
    Ok(())
}

async fn a_number_belongs_to_one_customer(crm: &Crm) -> anyhow::Result<()> {
    let crm = korean(crm)?;
    let a = crm
        .create_customer(&new("A", &[("010-1234-5678", PhoneLabel::Mobile)]), at(0))
        .await?;
    // The same number in another form is still the same number.
    let dup = crm
        .create_customer(
            &new(
                "B",
                &[
                    ("010-9999-0000", PhoneLabel::Mobile),
                    ("+82 10 1234 5678", PhoneLabel::Work),
                ],
            ),
            at(1),
        )
        .await;
    match dup {
        Err(CrmError::NumberTaken { number, owner }) => {
            assert_eq!((number.as_str(), owner), ("+821012345678", Some(a.id)));
        }
        other => panic!("expected NumberTaken, got {other:?}"),
    }
    // Nothing of B was stored, not even its free number.
    assert_eq!(count_all(&crm).await?, 1);
    assert_eq!(crm.customer_by_number("010-9999-0000").await?, None);

    let b = crm
        .create_customer(&new("B", &[("010-9999-0000", PhoneLabel::Mobile)]), at(2))
        .await?;
    let steal = CustomerPatch {
        name: Some("B renamed".into()),
        phones: Some(vec![NewPhone::new("01012345678", PhoneLabel::Home)]),
        ..Default::default()
    };
    let err = crm.update_customer(b.id, &steal, at(3)).await;
    assert!(
        matches!(err, Err(CrmError::NumberTaken { owner: Some(o), .. }) if o == a.id),
        "{err:?}"
    );
    // The failed update left B untouched (the rename was in the same transaction).
    assert_eq!(crm.customer(b.id).await?, Some(b.clone()));

    // Keeping one's own number is fine; once A lets it go, B may take it.
    crm.update_customer(
        a.id,
        &CustomerPatch {
            phones: Some(vec![NewPhone::new("010-1234-5678", PhoneLabel::Work)]),
            ..Default::default()
        },
        at(4),
    )
    .await?;
    crm.update_customer(
        a.id,
        &CustomerPatch {
            phones: Some(vec![]),
            ..Default::default()
        },
        at(5),
    )
    .await?;
    let b = crm.update_customer(b.id, &steal, at(6)).await?;
    assert_eq!(numbers(&b), ["+821012345678"]);
    assert_eq!(
        crm.customer_by_number("010-1234-5678").await?.map(|c| c.id),
        Some(b.id)
    );
    Ok(())
}

async fn lookup_by_any_number_in_any_form(no_cc: &Crm) -> anyhow::Result<()> {
    let crm = korean(no_cc)?;
    let kim = crm
        .create_customer(
            &new(
                "Kim",
                &[
                    ("010-1234-5678", PhoneLabel::Mobile),
                    ("+82 2-555-0100", PhoneLabel::Work),
                    ("1001", PhoneLabel::Other),
                ],
            ),
            at(0),
        )
        .await?;
    let lee = crm
        .create_customer(&new("Lee", &[("010-2222-3333", PhoneLabel::Mobile)]), at(0))
        .await?;
    for raw in [
        "010-1234-5678",
        "01012345678",
        "+821012345678",
        "0082 10 1234 5678",
        "tel:+82-10-1234-5678",
        "sip:+821012345678@192.0.2.1:5060;transport=udp",
        "02 555 0100",
        "+8225550100",
        "1001",
    ] {
        let found = crm.customer_by_number(raw).await?;
        assert_eq!(found.as_ref(), Some(&kim), "lookup {raw:?}");
    }
    assert_eq!(
        crm.customer_by_number("010 2222 3333").await?.map(|c| c.id),
        Some(lee.id)
    );
    for nobody in [
        "anonymous",
        "",
        "sip:anonymous@anonymous.invalid",
        "010-0000-0000",
        "1002",
    ] {
        assert_eq!(crm.customer_by_number(nobody).await?, None, "{nobody:?}");
    }

    // Without a default country code national numbers match no one, E.164 still does.
    assert_eq!(no_cc.default_country_code(), "");
    assert_eq!(no_cc.customer_by_number("010-1234-5678").await?, None);
    assert_eq!(no_cc.customer_by_number("+821012345678").await?, Some(kim));
    Ok(())
}

async fn search_by_name_number_and_grade(crm: &Crm) -> anyhow::Result<()> {
    let crm = korean(crm)?;
    let mut made = Vec::new();
    for (name, phone, grade) in [
        ("Kim Min-jun", "010-1234-5678", "vip"),
        ("KIMURA Taro", "+81 3 1234 0000", "standard"),
        ("ZOË Ångström", "010-7777-8888", "premium"),
        ("100% Cotton Ltd", "02-100-2000", "standard"),
        ("Park", "010-5555-1234", "vip"),
    ] {
        let c = crm
            .create_customer(
                &NewCustomer {
                    grade: Some(grade.into()),
                    ..new(name, &[(phone, PhoneLabel::Mobile)])
                },
                at(0),
            )
            .await?;
        made.push(c);
    }
    let search = |text: &str, grade: Option<&str>| CustomerQuery {
        text: Some(text.into()),
        grade: grade.map(str::to_owned),
        ..Default::default()
    };
    let names =
        |found: Vec<Customer>| -> Vec<String> { found.into_iter().map(|c| c.name).collect() };

    assert_eq!(
        names(crm.search_customers(&search("kim", None)).await?),
        ["Kim Min-jun", "KIMURA Taro"]
    );
    assert_eq!(
        names(crm.search_customers(&search("zoë å", None)).await?),
        ["ZOË Ångström"]
    );
    // Number fragments, in national or international form, with separators.
    assert_eq!(
        names(crm.search_customers(&search("1234", None)).await?),
        ["Kim Min-jun", "KIMURA Taro", "Park"]
    );
    assert_eq!(
        names(crm.search_customers(&search("010-1234", None)).await?),
        ["Kim Min-jun"]
    );
    assert_eq!(
        names(crm.search_customers(&search("+81 3", None)).await?),
        ["KIMURA Taro"]
    );
    // LIKE wildcards in the text are literal characters.
    assert_eq!(
        names(crm.search_customers(&search("100%", None)).await?),
        ["100% Cotton Ltd"]
    );
    assert!(crm.search_customers(&search("_", None)).await?.is_empty());
    assert_eq!(
        names(crm.search_customers(&search("1234", Some("VIP"))).await?),
        ["Kim Min-jun", "Park"]
    );
    assert!(crm
        .search_customers(&search("nobody", None))
        .await?
        .is_empty());

    // Everyone, by name, paged; each customer arrives with their numbers.
    let all = crm.search_customers(&CustomerQuery::default()).await?;
    assert_eq!(
        names(all.clone()),
        [
            "100% Cotton Ltd",
            "Kim Min-jun",
            "KIMURA Taro",
            "Park",
            "ZOË Ångström"
        ]
    );
    assert!(all.iter().all(|c| c.phones.len() == 1));
    let page = |limit, offset| CustomerQuery {
        limit,
        offset,
        ..Default::default()
    };
    assert_eq!(
        names(crm.search_customers(&page(2, 1)).await?),
        ["Kim Min-jun", "KIMURA Taro"]
    );
    assert_eq!(
        names(crm.search_customers(&page(2, 4)).await?),
        ["ZOË Ångström"]
    );
    assert!(crm.search_customers(&page(0, 0)).await?.is_empty());
    Ok(())
}

async fn strings_are_stored_verbatim(crm: &Crm) -> anyhow::Result<()> {
    let crm = korean(crm)?;
    let nasty = [
        "Robert'); DROP TABLE customers; --",
        "' OR '1'='1",
        "김민준 Zoë Ångström 張偉 📞",
        "back\\slash \"quoted\" 100% _under_ $1 ?1",
        "  padded  ",
    ];
    for (i, s) in nasty.iter().enumerate() {
        let c = crm
            .create_customer(
                &NewCustomer {
                    grade: Some(format!("g{i}")),
                    segment: Some((*s).to_owned()),
                    notes: format!("{s}\nline two\ttab"),
                    ..new(s, &[(&format!("010-0000-{i:04}"), PhoneLabel::Home)])
                },
                at(0),
            )
            .await?;
        let back = crm
            .customer(c.id)
            .await?
            .ok_or_else(|| anyhow::anyhow!("customer {} vanished", c.id))?;
        assert_eq!(back.name, *s);
        assert_eq!(back.segment.as_deref(), Some(*s));
        assert_eq!(back.notes, format!("{s}\nline two\ttab"));
        let found = crm
            .search_customers(&CustomerQuery {
                text: Some((*s).to_owned()),
                ..Default::default()
            })
            .await?;
        assert_eq!(found, [back], "search for {s:?}");
    }
    assert_eq!(count_all(&crm).await?, nasty.len());
    let err = crm
        .create_customer(
            &new(
                "x",
                &[("'; DROP TABLE customer_phones; --", PhoneLabel::Home)],
            ),
            at(0),
        )
        .await;
    assert!(matches!(err, Err(CrmError::InvalidPhone(_))), "{err:?}");
    assert!(crm.customer_by_number("' OR '1'='1").await?.is_none());
    Ok(())
}

async fn oversized_fields_are_rejected(crm: &Crm) -> anyhow::Result<()> {
    let crm = korean(crm)?;
    let field_of = |r: Result<Customer, CrmError>| match r {
        Err(CrmError::InvalidField { field, reason }) => (field, reason),
        other => panic!("expected InvalidField, got {other:?}"),
    };
    let long_name = NewCustomer {
        name: "n".repeat(crm::MAX_NAME_CHARS + 1),
        ..Default::default()
    };
    let (field, reason) = field_of(crm.create_customer(&long_name, at(0)).await);
    assert_eq!(field, "name");
    assert!(
        reason.contains("201 characters") && reason.contains("200"),
        "{reason}"
    );

    let long_notes = NewCustomer {
        name: "ok".into(),
        notes: "x".repeat(crm::MAX_NOTES_CHARS + 1),
        ..Default::default()
    };
    assert_eq!(
        field_of(crm.create_customer(&long_notes, at(0)).await).0,
        "notes"
    );
    let bad_lang = NewCustomer {
        name: "ok".into(),
        preferred_language: Some("Korean please".into()),
        ..Default::default()
    };
    assert_eq!(
        field_of(crm.create_customer(&bad_lang, at(0)).await).0,
        "preferred_language"
    );
    assert_eq!(count_all(&crm).await?, 0);

    // The largest allowed values fit the schema, in characters (multi-byte here).
    let max = crm
        .create_customer(
            &NewCustomer {
                name: "가".repeat(crm::MAX_NAME_CHARS),
                notes: "노".repeat(crm::MAX_NOTES_CHARS),
                grade: Some("g".repeat(crm::MAX_GRADE_CHARS)),
                segment: Some("s".repeat(crm::MAX_SEGMENT_CHARS)),
                ..Default::default()
            },
            at(0),
        )
        .await?;
    assert_eq!(max.name.chars().count(), crm::MAX_NAME_CHARS);

    // A rejected patch changes nothing.
    let err = crm
        .update_customer(
            max.id,
            &CustomerPatch {
                grade: Some("premium".into()),
                name: Some("n".repeat(crm::MAX_NAME_CHARS + 1)),
                ..Default::default()
            },
            at(1),
        )
        .await;
    assert_eq!(field_of(err).0, "name");
    assert_eq!(crm.customer(max.id).await?, Some(max));
    Ok(())
}

/// The HTTP layer runs these futures on tokio's multi-threaded runtime.
#[allow(dead_code)]
fn repository_futures_are_send(crm: &Crm, new: &NewCustomer) {
    fn send<T: Send>(_: T) {}
    send(crm.create_customer(new, at(0)));
    send(crm.update_customer(1, &CustomerPatch::default(), at(0)));
    send(crm.customer_by_number("1001"));
    send(crm.search_customers(&CustomerQuery::default()));
    send(crm.import_customers_csv(&b""[..], "82", at(0)));
}
