use super::*;

fn q(id: &str, weight: u32, kind: AnswerKind, allow_na: bool, critical: bool) -> Question {
    Question {
        id: id.into(),
        text: format!("question {id}"),
        weight,
        kind,
        allow_na,
        critical,
    }
}

/// Greeting (yes/no, weight 1), empathy (scale 1..=5, weight 2, N/A allowed), and a critical
/// identity check (yes/no, weight 1).
fn form() -> Form {
    Form {
        id: "inbound".into(),
        version: 3,
        name: "Inbound calls".into(),
        sections: vec![
            Section {
                title: "Opening".into(),
                questions: vec![q("greet", 1, AnswerKind::YesNo, false, false)],
            },
            Section {
                title: "Handling".into(),
                questions: vec![
                    q("empathy", 2, AnswerKind::Scale { max: 5 }, true, false),
                    q("verify", 1, AnswerKind::YesNo, false, true),
                ],
            },
        ],
    }
}

fn answers(pairs: &[(&str, Answer)]) -> BTreeMap<String, Answer> {
    pairs.iter().map(|(k, v)| ((*k).to_owned(), *v)).collect()
}

#[test]
fn weights_and_scale_points_make_the_total() {
    // greet yes (1 of 1), empathy 4 of 5 = 0.75 of 2 = 1.5, verify yes (1 of 1): 3.5 / 4.
    let s = score(
        &form(),
        &answers(&[
            ("greet", Answer::Yes),
            ("empathy", Answer::Scale(4)),
            ("verify", Answer::Yes),
        ]),
    )
    .unwrap();
    assert_eq!(s.total, 87.5);
    assert!(s.critical_failed.is_empty());
    assert_eq!(s.sections[0].percent, Some(100.0));
    // Handling: 1.5 + 1 of 3.
    assert_eq!(s.sections[1].percent, Some(83.33));
    assert_eq!((s.form.as_str(), s.version), ("inbound", 3));

    // greet no, empathy 1 (nothing), verify yes: 1 / 4.
    let s = score(
        &form(),
        &answers(&[
            ("greet", Answer::No),
            ("empathy", Answer::Scale(1)),
            ("verify", Answer::Yes),
        ]),
    )
    .unwrap();
    assert_eq!(s.total, 25.0);
}

#[test]
fn not_applicable_leaves_the_denominator() {
    let with_na = answers(&[
        ("greet", Answer::No),
        ("empathy", Answer::NotApplicable),
        ("verify", Answer::Yes),
    ]);
    let s = score(&form(), &with_na).unwrap();
    // 1 of 2, not 1 of 4.
    assert_eq!(s.total, 50.0);
    // Left out, a question allowing N/A reads as N/A.
    let left_out = answers(&[("greet", Answer::No), ("verify", Answer::Yes)]);
    assert_eq!(score(&form(), &left_out).unwrap(), s);
}

#[test]
fn a_critical_no_makes_the_total_zero_and_says_which() {
    let s = score(
        &form(),
        &answers(&[
            ("greet", Answer::Yes),
            ("empathy", Answer::Scale(5)),
            ("verify", Answer::No),
        ]),
    )
    .unwrap();
    assert_eq!(s.total, 0.0);
    assert_eq!(s.critical_failed, ["verify"]);
    // The sections still show where the points were.
    assert_eq!(s.sections[0].percent, Some(100.0));
    assert_eq!(s.sections[1].percent, Some(66.67));
}

#[test]
fn bad_answers_get_typed_errors() {
    let f = form();
    let err = |pairs: &[(&str, Answer)]| score(&f, &answers(pairs)).unwrap_err();
    assert_eq!(
        err(&[
            ("greet", Answer::Yes),
            ("empathy", Answer::Scale(6)),
            ("verify", Answer::Yes)
        ]),
        ScoreError::OutsideScale {
            question: "empathy".into(),
            value: 6,
            max: 5
        }
    );
    assert_eq!(
        err(&[
            ("greet", Answer::Yes),
            ("empathy", Answer::Scale(0)),
            ("verify", Answer::Yes)
        ]),
        ScoreError::OutsideScale {
            question: "empathy".into(),
            value: 0,
            max: 5
        }
    );
    assert_eq!(
        err(&[
            ("greet", Answer::Yes),
            ("verify", Answer::Yes),
            ("tone", Answer::Yes)
        ]),
        ScoreError::UnknownQuestion("tone".into())
    );
    assert_eq!(
        err(&[("greet", Answer::Yes)]),
        ScoreError::Missing("verify".into())
    );
    assert_eq!(
        err(&[("greet", Answer::NotApplicable), ("verify", Answer::Yes)]),
        ScoreError::NotApplicableRefused("greet".into())
    );
    assert_eq!(
        err(&[("greet", Answer::Scale(2)), ("verify", Answer::Yes)]),
        ScoreError::WrongKind("greet".into(), "yes/no")
    );
    assert_eq!(
        err(&[
            ("greet", Answer::Yes),
            ("empathy", Answer::Yes),
            ("verify", Answer::Yes)
        ]),
        ScoreError::WrongKind("empathy".into(), "scale")
    );
}

#[test]
fn all_not_applicable_is_refused() {
    let f = Form {
        sections: vec![Section {
            title: "Only".into(),
            questions: vec![q("a", 1, AnswerKind::YesNo, true, false)],
        }],
        ..form()
    };
    assert_eq!(
        score(&f, &answers(&[("a", Answer::NotApplicable)])),
        Err(ScoreError::NothingApplies)
    );
}

#[test]
fn broken_forms_are_refused() {
    let with = |questions: Vec<Question>| Form {
        sections: vec![Section {
            title: "S".into(),
            questions,
        }],
        ..form()
    };
    assert_eq!(with(vec![]).validate(), Err(FormError::Empty));
    assert_eq!(
        with(vec![
            q("a", 1, AnswerKind::YesNo, false, false),
            q("a", 1, AnswerKind::YesNo, false, false)
        ])
        .validate(),
        Err(FormError::DuplicateQuestion("a".into()))
    );
    assert_eq!(
        with(vec![q("a", 0, AnswerKind::YesNo, false, false)]).validate(),
        Err(FormError::ZeroWeight("a".into()))
    );
    assert_eq!(
        with(vec![q("a", 1, AnswerKind::Scale { max: 1 }, false, false)]).validate(),
        Err(FormError::ScaleSize {
            question: "a".into(),
            max: 1
        })
    );
    assert_eq!(
        with(vec![q("a", 1, AnswerKind::Scale { max: 5 }, false, true)]).validate(),
        Err(FormError::CriticalScale("a".into()))
    );
    assert_eq!(
        with(vec![q("", 1, AnswerKind::YesNo, false, false)]).validate(),
        Err(FormError::EmptyId)
    );
    // score refuses a broken form too, rather than dividing by zero.
    assert_eq!(
        score(
            &with(vec![q("a", 1, AnswerKind::Scale { max: 1 }, false, false)]),
            &answers(&[("a", Answer::Scale(1))])
        ),
        Err(ScoreError::Form(FormError::ScaleSize {
            question: "a".into(),
            max: 1
        }))
    );
}

#[test]
fn forms_and_answers_share_one_json_shape() {
    let json = serde_json::json!({
        "id": "inbound", "version": 3, "name": "Inbound calls",
        "sections": [{"title": "Handling", "questions": [
            {"id": "empathy", "text": "Showed empathy", "weight": 2,
             "kind": {"type": "scale", "max": 5}, "allow_na": true},
            {"id": "verify", "text": "Verified identity", "weight": 1,
             "kind": {"type": "yes_no"}, "critical": true}
        ]}]
    });
    let f: Form = serde_json::from_value(json.clone()).unwrap();
    assert_eq!(
        f.sections[0].questions[0].kind,
        AnswerKind::Scale { max: 5 }
    );
    assert!(f.sections[0].questions[1].critical);
    let a: BTreeMap<String, Answer> =
        serde_json::from_value(serde_json::json!({"empathy": {"scale": 3}, "verify": "yes"}))
            .unwrap();
    assert_eq!(score(&f, &a).unwrap().total, 66.67);
    let na: BTreeMap<String, Answer> =
        serde_json::from_value(serde_json::json!({"empathy": "na", "verify": "no"})).unwrap();
    assert_eq!(na["empathy"], Answer::NotApplicable);
    let s = serde_json::to_value(score(&f, &na).unwrap()).unwrap();
    assert_eq!(s["total"], 0.0);
    assert_eq!(s["critical_failed"][0], "verify");
}
