//! Web legs leave nothing behind: in a process of its own (file descriptors are counted for the
//! whole process), legs answered and closed, or left to time out, free every socket and task.

use std::time::Duration;

mod common;
use common::{relay, OFFER};
use webcall::{EndReason, LegEvent, WebCallConfig, WebLeg};

/// Open file descriptors of this process (sockets among them).
fn open_fds() -> usize {
    std::fs::read_dir("/proc/self/fd").map_or(0, |d| d.count())
}

/// Legs answered and closed, or left to time out, leave no socket and no task behind
/// (webrtc 0.21.0 leaked every connection through a reference cycle).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn legs_closed_or_timed_out_leave_no_socket_or_task_behind() {
    let (_s, relay) = relay();
    let cfg = WebCallConfig {
        ports: 45000..=45999,
        connect_timeout: Duration::from_millis(200),
        ..WebCallConfig::default()
    };
    let metrics = tokio::runtime::Handle::current().metrics();
    // One round first: lazily created process-wide state is not a leak.
    let (leg, _) = WebLeg::answer(OFFER, &cfg, relay).await.expect("answered");
    leg.close().await;
    // Its tasks, aborted on close, may still be unwinding: the baseline is taken once the
    // count has held for 100 ms (bounded), else it counts a task that is about to go.
    let settle_by = std::time::Instant::now() + Duration::from_secs(3);
    let mut tasks = metrics.num_alive_tasks();
    let mut held = 0;
    while held < 10 && std::time::Instant::now() < settle_by {
        tokio::time::sleep(Duration::from_millis(10)).await;
        let now = metrics.num_alive_tasks();
        held = if now == tasks { held + 1 } else { 0 };
        tasks = now;
    }
    let fds = open_fds();
    for round in 0..40 {
        let (mut leg, _) = WebLeg::answer(OFFER, &cfg, relay).await.expect("answered");
        if round % 4 == 0 {
            let end = tokio::time::timeout(Duration::from_secs(5), leg.next_event()).await;
            assert_eq!(end, Ok(Some(LegEvent::Ended(EndReason::IceTimeout))));
        } else {
            leg.close().await;
        }
    }
    // Tasks aborted on close finish unwinding on their worker: wait for it, bounded.
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    while metrics.num_alive_tasks() > tasks && std::time::Instant::now() < deadline {
        tokio::task::yield_now().await;
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    // A leak leaves more; fewer only means a task of the first round ended late.
    let after = metrics.num_alive_tasks();
    assert!(
        after <= tasks,
        "tasks before and after: {tasks} then {after}"
    );
    assert_eq!(open_fds(), fds, "file descriptors before and after");
}
