//! CSV import of customers on both backends: good, bad and duplicate rows, updates of existing
//! customers, header errors, and imports spanning several transactions.

mod common;

use common::at;
use crm::{Crm, CrmError, CustomerQuery, ImportReport, NewCustomer, NewPhone, PhoneLabel};

on_both_backends!(
    good_bad_and_duplicate_rows,
    existing_number_updates_that_customer,
    header_problems_fail_the_whole_import,
    large_import_spans_batches,
    many_bad_rows_are_counted_and_the_first_listed,
);

async fn import(crm: &Crm, csv: &str) -> Result<ImportReport, CrmError> {
    crm.import_customers_csv(csv.as_bytes(), "82", at(0)).await
}

async fn all(crm: &Crm) -> anyhow::Result<Vec<crm::Customer>> {
    Ok(crm
        .search_customers(&CustomerQuery {
            limit: crm::MAX_PAGE,
            ..Default::default()
        })
        .await?)
}

async fn good_bad_and_duplicate_rows(crm: &Crm) -> anyhow::Result<()> {
    // The importer's country code is explicit; the handle's own one is not needed.
    let csv = "\u{feff}Name,Phones,Grade,Segment,Preferred_Language,Notes\r
Kim Min-jun,010-1234-5678;work:02-555-0100,VIP,retail,ko,\"likes calls, not email\"\r
No Number Here,not-a-number,,,,\r
,010-1111-2222,,,,\r
Lee Ji-eun,010-3333-4444,premium,,en-GB,\"two\r
lines\"\r
Too,Few,Fields\r
Kim Min-jun,+82 10 1234 5678;home:031-777-8888,,,,\r
Park,010-5555-6666,standard,,ko_KR,\r
Robert'); DROP TABLE customers; --,010-9999-0000,,,,\r
Both,010-1234-5678;010-3333-4444,,,,\r
";
    let report = import(crm, csv).await?;
    assert_eq!((report.created, report.updated), (3, 1), "{report:?}");
    let lines: Vec<u64> = report.errors.iter().map(|(l, _)| *l).collect();
    assert_eq!(lines, [3, 4, 7, 9, 11], "{report:?}");
    let message = |line: u64| {
        report
            .errors
            .iter()
            .find(|(l, _)| *l == line)
            .map_or("", |(_, m)| m.as_str())
    };
    assert!(message(3).contains("\"not-a-number\""), "{}", message(3));
    assert!(message(4).contains("name"), "{}", message(4));
    assert!(message(7).contains("expected 6 fields"), "{}", message(7));
    assert!(message(9).contains("preferred_language"), "{}", message(9));
    assert!(
        message(11).contains("different customers"),
        "{}",
        message(11)
    );

    let kim = crm::Crm::clone(crm)
        .with_default_country_code("82")?
        .customer_by_number("010-1234-5678")
        .await?
        .ok_or_else(|| anyhow::anyhow!("Kim not imported"))?;
    assert_eq!(kim.name, "Kim Min-jun");
    assert_eq!(
        kim.grade, "vip",
        "a blank grade cell keeps the stored grade"
    );
    assert_eq!(kim.segment.as_deref(), Some("retail"));
    assert_eq!(kim.notes, "likes calls, not email");
    let numbers: Vec<(&str, PhoneLabel)> = kim
        .phones
        .iter()
        .map(|p| (p.number.as_str(), p.label))
        .collect();
    assert_eq!(
        numbers,
        [
            ("+821012345678", PhoneLabel::Mobile),
            ("+8225550100", PhoneLabel::Work),
            ("+82317778888", PhoneLabel::Home),
        ]
    );

    let stored = all(crm).await?;
    let names: Vec<&str> = stored.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "Kim Min-jun",
            "Lee Ji-eun",
            "Robert'); DROP TABLE customers; --"
        ]
    );
    assert_eq!(stored[1].notes, "two\r\nlines");
    assert_eq!(stored[1].preferred_language.as_deref(), Some("en-GB"));

    // Importing the same file again creates nobody: every good row finds its customer.
    let again = import(crm, csv).await?;
    assert_eq!((again.created, again.updated), (0, 4), "{again:?}");
    assert_eq!(again.errors.len(), 5);
    assert_eq!(all(crm).await?.len(), 3);
    Ok(())
}

async fn existing_number_updates_that_customer(crm: &Crm) -> anyhow::Result<()> {
    let crm = crm.clone().with_default_country_code("82")?;
    let before = crm
        .create_customer(
            &NewCustomer {
                name: "Choi".into(),
                grade: Some("premium".into()),
                segment: Some("b2b".into()),
                notes: "keep me".into(),
                phones: vec![NewPhone::new("010-4444-5555", PhoneLabel::Mobile)],
                ..Default::default()
            },
            at(0),
        )
        .await?;
    let report = crm
        .import_customers_csv(
            // Columns in another order, some missing: only name and phones are required.
            "phones,name,grade\n+821044445555;1001,Choi Seo-yeon,\n".as_bytes(),
            "82",
            at(60_000),
        )
        .await?;
    assert_eq!(
        report,
        ImportReport {
            created: 0,
            updated: 1,
            errors: vec![],
            error_count: 0,
        }
    );
    let after = crm
        .customer(before.id)
        .await?
        .ok_or_else(|| anyhow::anyhow!("customer gone"))?;
    assert_eq!(after.name, "Choi Seo-yeon");
    assert_eq!(
        (
            after.grade.as_str(),
            after.segment.as_deref(),
            after.notes.as_str()
        ),
        ("premium", Some("b2b"), "keep me")
    );
    let numbers: Vec<&str> = after.phones.iter().map(|p| p.number.as_str()).collect();
    assert_eq!(numbers, ["+821044445555", "1001"]);
    assert_eq!((after.created_at, after.updated_at), (at(0), at(60_000)));
    Ok(())
}

async fn header_problems_fail_the_whole_import(crm: &Crm) -> anyhow::Result<()> {
    for (csv, needle) in [
        ("", "header row is required"),
        ("\n\n", "header row is required"),
        (
            "name,phones,email\nKim,010-1234-5678,k@example.com\n",
            "unknown column \"email\"",
        ),
        ("name,grade\nKim,vip\n", "at least name and phones"),
        ("Kim,010-1234-5678\n", "unknown column \"kim\""),
        ("name,phones,name\n", "appears twice"),
        ("\"name,phones\n", "unterminated"),
    ] {
        match import(crm, csv).await {
            Err(CrmError::CsvImport(msg)) => assert!(msg.contains(needle), "{csv:?}: {msg}"),
            other => panic!("{csv:?}: expected CsvImport, got {other:?}"),
        }
    }
    let not_utf8: &[u8] = b"name,phones\n\xff\xfe,1001\n";
    assert!(matches!(
        crm.import_customers_csv(not_utf8, "82", at(0)).await,
        Err(CrmError::CsvImport(_))
    ));
    assert!(matches!(
        crm.import_customers_csv(&b"name,phones\n"[..], "0", at(0))
            .await,
        Err(CrmError::InvalidPhone(_))
    ));
    // A header alone is a valid, empty import.
    assert_eq!(import(crm, "name,phones\n").await?, ImportReport::default());
    assert!(all(crm).await?.is_empty());
    Ok(())
}

async fn large_import_spans_batches(crm: &Crm) -> anyhow::Result<()> {
    let rows = crm::BATCH_ROWS + 20;
    let mut csv = String::from("name,phones\n");
    for i in 0..rows {
        if i == crm::BATCH_ROWS + 5 {
            csv.push_str("Broken,2125550100\n");
        } else {
            csv.push_str(&format!("Customer {i:04},010-7{i:03}-{i:04}\n"));
        }
    }
    let report = import(crm, &csv).await?;
    assert_eq!(report.created, (rows - 1) as u64);
    assert_eq!(report.updated, 0);
    // Line 1 is the header, so row i is on line i + 2.
    let bad_line = (crm::BATCH_ROWS + 5 + 2) as u64;
    assert_eq!(
        report.errors.iter().map(|(l, _)| *l).collect::<Vec<_>>(),
        [bad_line]
    );
    let found = crm
        .search_customers(&CustomerQuery {
            text: Some("Customer 0519".into()),
            ..Default::default()
        })
        .await?;
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].phones[0].number, "+821075190519");
    Ok(())
}

/// Regression: every bad row was listed, so a large file of bad rows answered with a list as
/// large as the file.
async fn many_bad_rows_are_counted_and_the_first_listed(crm: &Crm) -> anyhow::Result<()> {
    let rows = crm::BATCH_ROWS + 300;
    let mut csv = String::from("name,phones\n");
    for i in 0..rows {
        if i % 2 == 0 {
            csv.push_str(&format!("Customer {i:04},010-8{i:03}-{i:04}\n"));
        } else {
            csv.push_str(&format!("Bad {i:04},not-a-number\n"));
        }
    }
    let report = import(crm, &csv).await?;
    assert_eq!(report.created, (rows / 2) as u64);
    assert_eq!(report.error_count, (rows / 2) as u64);
    assert_eq!(report.errors.len(), crm::MAX_REPORTED_ERRORS);
    let lines: Vec<u64> = report.errors.iter().map(|(l, _)| *l).collect();
    let first: Vec<u64> = (0..crm::MAX_REPORTED_ERRORS as u64)
        .map(|k| 2 * k + 3)
        .collect();
    assert_eq!(lines, first, "the first bad rows, in line order");
    Ok(())
}
