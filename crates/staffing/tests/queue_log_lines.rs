//! `queue_log` lines written for real call flows, compared with the lines Asterisk writes, and
//! parsed back.

use std::time::Duration;

use chrono::{DateTime, TimeZone, Utc};
use staffing::queue_log::{
    export, AgentEvent, AgentEventKind, EndedBy, Event, OverflowReason, QueueEvent,
    QueueEventKind as K, QueueLogError, QueueLogExport, QueueLogLine,
};

const T0: i64 = 1_366_720_340;

fn at(secs: i64) -> DateTime<Utc> {
    Utc.timestamp_opt(T0 + secs, 0).unwrap()
}

fn q(secs: i64, call: &str, kind: K) -> Event {
    Event::Queue(QueueEvent {
        at: at(secs),
        queue: "sales".into(),
        call_id: call.into(),
        kind,
    })
}

fn a(secs: i64, agent: &str, kind: AgentEventKind) -> Event {
    Event::Agent(AgentEvent {
        at: at(secs),
        agent: agent.into(),
        kind,
    })
}

fn s(secs: f64) -> Duration {
    Duration::from_secs_f64(secs)
}

#[test]
fn an_answered_call_after_a_missed_ring() {
    let events = [
        q(
            0,
            "c1",
            K::Enter {
                position: 2,
                caller: Some("+4930123".into()),
            },
        ),
        q(
            1,
            "c1",
            K::Ring {
                agent: "anna".into(),
            },
        ),
        q(
            16,
            "c1",
            K::RingNoAnswer {
                agent: "anna".into(),
                rang: s(15.25),
            },
        ),
        q(
            17,
            "c1",
            K::Ring {
                agent: "ben".into(),
            },
        ),
        q(
            21,
            "c1",
            K::Connect {
                agent: "ben".into(),
                wait: s(21.7),
            },
        ),
        q(
            147,
            "c1",
            K::Complete {
                agent: "ben".into(),
                talk: s(126.2),
                hold: s(10.0),
                ended_by: EndedBy::Caller,
            },
        ),
    ];
    assert_eq!(
        export(&events),
        [
            "1366720340|c1|sales|NONE|ENTERQUEUE||+4930123|2",
            "1366720356|c1|sales|anna|RINGNOANSWER|15250",
            "1366720361|c1|sales|ben|CONNECT|21||4",
            "1366720487|c1|sales|ben|COMPLETECALLER|21|126|2",
        ]
    );
}

#[test]
fn calls_that_leave_without_an_agent() {
    let events = [
        q(
            0,
            "c2",
            K::Enter {
                position: 1,
                caller: None,
            },
        ),
        q(
            40,
            "c2",
            K::Abandon {
                position: 1,
                wait: s(40.0),
            },
        ),
        q(
            0,
            "c3",
            K::Enter {
                position: 3,
                caller: None,
            },
        ),
        q(
            300,
            "c3",
            K::Overflow {
                reason: OverflowReason::MaxWait,
                target: Some("voicemail".into()),
                wait: s(300.0),
            },
        ),
        q(
            1,
            "c4",
            K::Overflow {
                reason: OverflowReason::MaxLength,
                target: None,
                wait: s(0.0),
            },
        ),
        q(
            2,
            "c5",
            K::Overflow {
                reason: OverflowReason::JoinEmpty,
                target: None,
                wait: s(0.0),
            },
        ),
        q(
            3,
            "c6",
            K::Enter {
                position: 4,
                caller: None,
            },
        ),
        q(
            9,
            "c6",
            K::ExitKey {
                key: '#',
                wait: s(6.0),
            },
        ),
        q(
            4,
            "c7",
            K::Enter {
                position: 1,
                caller: None,
            },
        ),
        q(
            5,
            "c7",
            K::Callback {
                number: "+4930".into(),
            },
        ),
        q(
            64,
            "c7",
            K::Overflow {
                reason: OverflowReason::QueueRemoved,
                target: None,
                wait: s(60.0),
            },
        ),
    ];
    assert_eq!(
        export(&events),
        [
            "1366720340|c2|sales|NONE|ENTERQUEUE|||1",
            "1366720380|c2|sales|NONE|ABANDON|1|1|40",
            "1366720340|c3|sales|NONE|ENTERQUEUE|||3",
            "1366720640|c3|sales|NONE|EXITWITHTIMEOUT|3|3|300",
            "1366720341|c4|sales|NONE|FULL",
            "1366720342|c5|sales|NONE|JOINEMPTY",
            "1366720343|c6|sales|NONE|ENTERQUEUE|||4",
            "1366720349|c6|sales|NONE|EXITWITHKEY|#|4|4|6",
            "1366720344|c7|sales|NONE|ENTERQUEUE|||1",
            "1366720404|c7|sales|NONE|EXITEMPTY|1|1|60",
        ]
    );
}

#[test]
fn transfers_waiting_and_connected() {
    let mut moved = QueueEvent {
        at: at(30),
        queue: "sales".into(),
        call_id: "c8".into(),
        kind: K::Transfer {
            to_queue: "support".into(),
        },
    };
    let enter_support = QueueEvent {
        queue: "support".into(),
        kind: K::Enter {
            position: 1,
            caller: None,
        },
        ..moved.clone()
    };
    let events = [
        q(
            0,
            "c8",
            K::Enter {
                position: 2,
                caller: None,
            },
        ),
        Event::Queue(moved.clone()),
        Event::Queue(enter_support),
        q(
            0,
            "c9",
            K::Enter {
                position: 1,
                caller: None,
            },
        ),
        q(
            5,
            "c9",
            K::Connect {
                agent: "ben".into(),
                wait: s(5.0),
            },
        ),
        {
            moved.at = at(65);
            moved.call_id = "c9".into();
            Event::Queue(moved)
        },
        q(
            65,
            "c9",
            K::Complete {
                agent: "ben".into(),
                talk: s(60.0),
                hold: s(0.0),
                ended_by: EndedBy::Agent,
            },
        ),
    ];
    assert_eq!(
        export(&events),
        [
            "1366720340|c8|sales|NONE|ENTERQUEUE|||2",
            "1366720370|c8|sales|NONE|EXITWITHTIMEOUT|2|2|30",
            "1366720370|c8|support|NONE|ENTERQUEUE|||1",
            "1366720340|c9|sales|NONE|ENTERQUEUE|||1",
            "1366720345|c9|sales|ben|CONNECT|5||0",
            "1366720405|c9|sales|NONE|TRANSFER|support|queue|5|60|1",
        ]
    );
}

/// A connected call: the agent consults a colleague (back to the caller), then an outside
/// number, conferences, and leaves the caller with it. Only the transfer writes a line, the
/// agent's completion after it none; a consultation on a call not connected writes nothing.
#[test]
fn consultations_and_an_attended_transfer() {
    let consult = |target: &str| K::ConsultStart {
        agent: "ben".into(),
        target: target.into(),
    };
    let events = [
        q(
            0,
            "c10",
            K::Enter {
                position: 1,
                caller: None,
            },
        ),
        q(
            4,
            "c10",
            K::Connect {
                agent: "ben".into(),
                wait: s(4.0),
            },
        ),
        q(20, "c10", consult("ann")),
        q(
            40,
            "c10",
            K::ConsultEnd {
                agent: "ben".into(),
                target: "ann".into(),
                consult: s(12.0),
            },
        ),
        q(50, "c10", consult("+4930123")),
        q(
            60,
            "c10",
            K::Conference {
                agent: "ben".into(),
                target: "+4930123".into(),
            },
        ),
        q(
            94,
            "c10",
            K::AttendedTransfer {
                agent: "ben".into(),
                target: "+4930123".into(),
                consult: s(40.0),
            },
        ),
        q(
            94,
            "c10",
            K::Complete {
                agent: "ben".into(),
                talk: s(90.0),
                hold: s(44.0),
                ended_by: EndedBy::Agent,
            },
        ),
        q(
            100,
            "c11",
            K::AttendedTransfer {
                agent: "ben".into(),
                target: "ann".into(),
                consult: s(1.0),
            },
        ),
    ];
    assert_eq!(
        export(&events),
        [
            "1366720340|c10|sales|NONE|ENTERQUEUE|||1",
            "1366720344|c10|sales|ben|CONNECT|4||0",
            "1366720434|c10|sales|ben|ATTENDEDTRANSFER|BRIDGE|+4930123|4|90|1",
        ]
    );
}

#[test]
fn agent_sessions() {
    let events = [
        a(0, "anna", AgentEventKind::Login),
        a(
            0,
            "anna",
            AgentEventKind::State {
                from: "logged_out".into(),
                to: "available".into(),
            },
        ),
        a(
            600,
            "anna",
            AgentEventKind::Pause {
                reason: "lunch".into(),
            },
        ),
        a(2400, "anna", AgentEventKind::Unpause),
        a(3600, "anna", AgentEventKind::Logout),
        q(
            3700,
            "c10",
            K::Complete {
                agent: "x".into(),
                talk: s(1.0),
                hold: s(0.0),
                ended_by: EndedBy::Switch,
            },
        ),
    ];
    assert_eq!(
        export(&events),
        [
            "1366720340|NONE|NONE|anna|AGENTLOGIN|anna",
            "1366720940|NONE|NONE|anna|PAUSE|lunch",
            "1366722740|NONE|NONE|anna|UNPAUSE|",
            "1366723940|NONE|NONE|anna|AGENTLOGOFF|anna|3600",
            // A completion whose start was not in the export: unknown figures are zero.
            "1366724040|c10|sales|x|COMPLETEAGENT|0|1|0",
        ]
    );
}

#[test]
fn pipes_newlines_and_percents_are_escaped_and_parsed_back() {
    let nasty = "a|b\r\nc%7C 100%";
    let mut export = QueueLogExport::new();
    let line = export
        .line(&Event::Agent(AgentEvent {
            at: at(0),
            agent: "ag|ent".into(),
            kind: AgentEventKind::Pause {
                reason: nasty.into(),
            },
        }))
        .unwrap();
    let text = line.to_string();
    assert_eq!(
        text,
        "1366720340|NONE|NONE|ag%7Cent|PAUSE|a%7Cb%0D%0Ac%257C 100%25"
    );
    assert_eq!(text.matches('|').count(), 5);
    assert!(!text.contains('\n') && !text.contains('\r'));
    let back = QueueLogLine::parse(&text).unwrap();
    assert_eq!(back, line);
    assert_eq!(back.data, [nasty]);
}

#[test]
fn every_exported_line_parses_back_to_its_fields() {
    let events = [
        q(
            0,
            "c|1",
            K::Enter {
                position: 1,
                caller: Some("Name\nwith | pipe".into()),
            },
        ),
        q(
            3,
            "c|1",
            K::Connect {
                agent: "a%1".into(),
                wait: s(3.0),
            },
        ),
        q(
            9,
            "c|1",
            K::Complete {
                agent: "a%1".into(),
                talk: s(6.0),
                hold: s(0.0),
                ended_by: EndedBy::Caller,
            },
        ),
    ];
    let mut export = QueueLogExport::new();
    for e in &events {
        let line = export.line(e).unwrap();
        assert_eq!(QueueLogLine::parse(&line.to_string()).unwrap(), line);
    }
}

#[test]
fn lines_that_are_not_queue_log_lines() {
    assert_eq!(
        QueueLogLine::parse("1|2|3"),
        Err(QueueLogError::TooFewFields(3))
    );
    assert!(matches!(
        QueueLogLine::parse("x|c|q|a|E"),
        Err(QueueLogError::BadEpoch(_))
    ));
    assert!(matches!(
        QueueLogLine::parse("1|c|q|a|E|%zz"),
        Err(QueueLogError::BadEscape(_))
    ));
    assert!(matches!(
        QueueLogLine::parse("1|c|q|a|E|%2"),
        Err(QueueLogError::BadEscape(_))
    ));
    // Asterisk's own example line.
    let line =
        QueueLogLine::parse("1366720340|1366720340.303267|MYQUEUE|SIP/8007|RINGNOANSWER|1000")
            .unwrap();
    assert_eq!(
        (line.epoch, line.event.as_str(), line.data.as_slice()),
        (T0, "RINGNOANSWER", &["1000".to_owned()][..])
    );
}
