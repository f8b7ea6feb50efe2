//! Starting and stopping the switch: database, sockets, relay, HTTP, and the SIP driver task.

use crate::config::Resolved;
use crate::driver::reload::Reloader;
use crate::driver::{sip as sip_driver, tcp};
use crate::http;
use crate::switch::{Me, SwitchConfig};
use anyhow::Context;
use sip::Transport;
use std::collections::HashMap;
use std::sync::Arc;
use tokio::net::{TcpListener, UdpSocket};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

pub async fn run(config: Resolved, demo: bool) -> anyhow::Result<()> {
    std::fs::create_dir_all(&config.data_dir)
        .with_context(|| format!("creating data directory {}", config.data_dir.display()))?;
    let dialplans = crate::config::dialplans::load(&config).context("loading dialplans")?;
    match &dialplans {
        Some(d) => {
            tracing::info!(plans = ?d.plans.plan_names(), prompts = d.prompts.len(), "dialplans loaded")
        }
        None => tracing::info!("no dialplan directory: extensions dial each other directly"),
    }
    let mut crm = crm::Crm::connect(&config.database_url)
        .await
        .with_context(|| format!("opening the CRM database {}", redact(&config.database_url)))?;
    // Created 0600/0700 by this version; tighten what an older one left readable.
    let db_files = crate::private_files::sqlite_files(&config.database_url);
    let db_files: Vec<&std::path::Path> = db_files.iter().map(|p| p.as_path()).collect();
    crate::private_files::tighten(
        &[config.data_dir.as_path(), config.recordings_dir.as_path()],
        &db_files,
    );
    if let Some(cc) = &config.default_country_code {
        crm = crm
            .with_default_country_code(cc)
            .context("database.default_country_code")?;
    }
    let recovered = crm.recover_open_cdrs(chrono::Utc::now()).await?;
    if recovered > 0 {
        tracing::warn!(
            recovered,
            "closed CDRs of calls that were in progress when the switch last stopped"
        );
    }
    std::fs::create_dir_all(&config.recordings_dir).with_context(|| {
        format!(
            "creating the recordings directory {}",
            config.recordings_dir.display()
        )
    })?;
    // Rows keep absolute paths, so files are found whatever the next run's working directory.
    let recordings_dir = config.recordings_dir.canonicalize()?;
    let reopened = crate::driver::recording::recover(&crm).await?;
    if reopened > 0 {
        tracing::warn!(reopened, "repaired recordings the last run left open");
    }
    let (cdrs, cdr_task) = crm::CdrWriter::spawn(crm.clone());

    let shutdown = CancellationToken::new();
    let tracker = TaskTracker::new();
    tracker.spawn(mark_alive(crm.clone(), shutdown.clone()));
    tracker.spawn(crate::driver::recording::retention_task(
        crm.clone(),
        config.retention.clone(),
        shutdown.clone(),
    ));
    let (inbound_tx, inbound_rx) = mpsc::channel(8192);

    let mut udp = Vec::new();
    let mut me = Me {
        udp: None,
        tcp: None,
        udp6: None,
        tcp6: None,
        user_agent: format!("Switchboard/{}", env!("CARGO_PKG_VERSION")),
    };
    for (transport, addr) in &config.listen {
        // `public_address` names the listeners of its own family.
        let public = |a: std::net::SocketAddr| match config.public_ip {
            Some(ip) if ip.is_ipv4() == a.is_ipv4() => std::net::SocketAddr::new(ip, a.port()),
            _ => a,
        };
        match transport {
            Transport::Udp => {
                let socket =
                    bind_sip_udp(*addr).with_context(|| format!("binding SIP UDP {addr}"))?;
                let local = socket.local_addr()?;
                if local.is_ipv6() {
                    &mut me.udp6
                } else {
                    &mut me.udp
                }
                .get_or_insert(public(local));
                tracing::info!(%local, "SIP listening on UDP");
                let socket = Arc::new(socket);
                tracker.spawn(crate::driver::udp::reader(
                    socket.clone(),
                    inbound_tx.clone(),
                    shutdown.clone(),
                ));
                udp.push(socket);
            }
            Transport::Tcp => {
                let listener =
                    bind_sip_tcp(*addr).with_context(|| format!("binding SIP TCP {addr}"))?;
                let local = listener.local_addr()?;
                if local.is_ipv6() {
                    &mut me.tcp6
                } else {
                    &mut me.tcp
                }
                .get_or_insert(public(local));
                tracing::info!(%local, "SIP listening on TCP");
                tracker.spawn(tcp::accept_loop(
                    listener,
                    inbound_tx.clone(),
                    config.limits.tcp,
                    shutdown.clone(),
                ));
            }
            // Only the web gateway's calls use it, from inside the process (`driver/web`).
            Transport::Internal => anyhow::bail!("sip.listen cannot name the internal transport"),
        }
    }

    let relay = media::MediaRelay::new(media::RelayConfig {
        bind_ip: config.media_bind,
        advertise_ip: config.media_advertise,
        port_min: config.port_min,
        port_max: config.port_max,
        strict_source: config.strict_source,
    })?;

    // Extensions, queues and agents managed through the HTTP API override the file's
    // (docs/operations.md, "Managing extensions, agents and accounts"; docs/acd.md).
    let mut file_users = config.users.clone();
    let stored = crm
        .directory(crm::Directory::Users)
        .await
        .context("reading the extensions stored through the API")?;
    let applied = crate::config::stored_directory::apply_users(&mut file_users, &stored);
    tracing::info!(?applied, "extensions stored through the API applied");
    let mut acd = config.acd.clone();
    let extensions = file_users.iter().map(|u| u.extension.clone()).collect();
    let stored = crate::config::stored_queues::load(&crm, &mut acd, &extensions)
        .await
        .context("reading the queues stored through the API")?;
    tracing::info!(?stored, "queues stored through the API applied");
    let stored = crm
        .directory(crm::Directory::Agents)
        .await
        .context("reading the agents stored through the API")?;
    let applied = crate::config::stored_directory::apply_agents(&mut acd, &extensions, &stored);
    tracing::info!(?applied, "agents stored through the API applied");
    // Trunks and DIDs managed through the HTTP API override the file's (docs/trunks.md).
    let mut trunk_plan = config.trunks.clone();
    let stored = crate::config::stored_trunks::load(&crm, &mut trunk_plan)
        .await
        .context("reading the trunks stored through the API")?;
    tracing::info!(
        ?stored,
        trunks = trunk_plan.trunks.len(),
        dids = trunk_plan.dids.len(),
        "trunks ready"
    );
    let routed = |n: &str| {
        dialplans
            .as_ref()
            .is_some_and(|d| d.plans.route(n).is_some())
    };
    for w in crate::config::trunks::unrouted_dids(&trunk_plan, routed) {
        tracing::warn!("{w}");
    }
    for w in crate::config::web::unrouted_entries(&config.web, routed) {
        tracing::warn!("{w}");
    }
    tracing::info!(
        entries = config.web.entries.len(),
        max_calls = config.web.max_calls,
        per_address_per_minute = config.web.calls_per_minute_per_address,
        ports = ?config.web.media.ports,
        "web calls ready"
    );
    let dns = crate::driver::dns::TrunkDns::new(&config.dns_servers)
        .context("setting up DNS for trunks (sip.dns_servers, /etc/resolv.conf)")?;
    let (trunk_plan_tx, trunk_plan_rx) = tokio::sync::watch::channel(trunk_plan.clone());
    let users: HashMap<String, (String, Option<String>)> = file_users
        .iter()
        .map(|u| (u.extension.clone(), (u.password.clone(), u.name.clone())))
        .collect();
    let mut nonce_secret = [0u8; 32];
    rand::Rng::fill(&mut rand::thread_rng(), &mut nonce_secret);
    let switch_config = SwitchConfig {
        domain: config.domain.clone(),
        me,
        timers: config.timers,
        ring_timeout: config.ring_timeout,
        registrar: config.registrar,
        nonce_lifetime: config.nonce_lifetime,
        nonce_secret,
        auth_algorithms: config.auth_algorithms.clone(),
        auth_throttle: config.auth_throttle,
        users,
        media_timeout: config.media_timeout.is_some(),
        acd,
        recording: config.recording.clone(),
        limits: config.limits.sip,
        nat: config.nat,
        trunks: trunk_plan,
        supervisor_phones: config
            .accounts
            .iter()
            .filter_map(|a| Some((a.extension.clone()?, a.username.clone())))
            .collect(),
    };

    let (status_tx, status_rx) = tokio::sync::watch::channel(sip_driver::Status::default());
    let http_listener = TcpListener::bind(config.http_listen)
        .await
        .with_context(|| format!("binding HTTP {}", config.http_listen))?;
    tracing::info!(addr = %http_listener.local_addr()?, "HTTP listening");
    let (control_tx, control_rx) = mpsc::channel(64);
    let reloader = Reloader::new(Arc::new(config.clone()), control_tx.clone());
    let (events, _) = tokio::sync::broadcast::channel(1024);
    let screens = crate::driver::screens::Screens::new(
        config.wrap_up_codes.clone(),
        config.acd.pause_reasons.clone(),
    );
    let web_peers = Arc::new(crate::driver::web::WebPeers::default());
    let web = Arc::new(crate::driver::web::WebGateway::new(
        config.web.clone(),
        config.domain.clone(),
        web_peers.clone(),
        inbound_tx.clone(),
        control_tx.clone(),
        crm.clone(),
    ));
    tracker.spawn(http::serve(
        http_listener,
        crm.clone(),
        status_rx,
        reloader.clone(),
        control_tx.clone(),
        events.clone(),
        screens.clone(),
        web,
        shutdown.clone(),
    ));
    tracker.spawn(reload_on_sighup(reloader, shutdown.clone()));
    tracker.spawn(crate::driver::dns::run(
        dns,
        trunk_plan_rx,
        control_tx.clone(),
        shutdown.clone(),
    ));

    if demo {
        print_demo(&config);
    }

    let driver = sip_driver::Driver::new(
        switch_config,
        dialplans,
        udp,
        inbound_tx.clone(),
        relay,
        config.media_timeout,
        cdrs,
        crm.clone(),
        status_tx,
        control_tx,
        events.clone(),
        recordings_dir,
        screens.clone(),
        trunk_plan_tx,
    )
    .with_tcp_limits(config.limits.tcp)
    .with_web_peers(web_peers);
    drop(inbound_tx);
    let stop = shutdown.clone();
    tokio::spawn(async move {
        wait_for_signal().await;
        tracing::info!("shutting down: ending calls, flushing CDRs");
        stop.cancel();
    });
    driver.run(inbound_rx, control_rx, shutdown.clone()).await;
    shutdown.cancel();
    tracker.close();
    tracker.wait().await;
    // The writer retries a database that is down for ever; do not hang the exit on it. Rows left
    // open are closed as recovered at the next start, so nothing is lost.
    match tokio::time::timeout(std::time::Duration::from_secs(15), cdr_task.shutdown()).await {
        Ok(result) => tracing::info!(stats = ?result?, "CDR writer flushed; bye"),
        Err(_) => tracing::error!("CDR writer did not finish within 15 s; pending CDR updates will be recovered at the next start"),
    }
    Ok(())
}

/// What we ask the kernel to buffer on the SIP UDP socket: bursts (a registration storm after a
/// network blip, a call-rate peak) queue here instead of being dropped and retransmitted. The
/// kernel caps it at net.core.rmem_max (docs/operations.md).
const SIP_UDP_RECV_BUFFER: usize = 8 << 20;

fn bind_sip_udp(addr: std::net::SocketAddr) -> std::io::Result<UdpSocket> {
    use socket2::{Domain, Protocol, Socket, Type};
    let socket = Socket::new(Domain::for_address(addr), Type::DGRAM, Some(Protocol::UDP))?;
    if let Err(e) = socket.set_recv_buffer_size(SIP_UDP_RECV_BUFFER) {
        tracing::warn!(error = %e, "could not enlarge the SIP UDP receive buffer");
    }
    only_own_family(&socket, addr)?;
    socket.set_nonblocking(true)?;
    socket.bind(&addr.into())?;
    UdpSocket::from_std(socket.into())
}

/// A SIP TCP listener on `addr` (as `TcpListener::bind` does: address reuse, then listen), an
/// IPv6 one for IPv6 only.
fn bind_sip_tcp(addr: std::net::SocketAddr) -> std::io::Result<TcpListener> {
    use socket2::{Domain, Protocol, Socket, Type};
    let socket = Socket::new(Domain::for_address(addr), Type::STREAM, Some(Protocol::TCP))?;
    socket.set_reuse_address(true)?;
    only_own_family(&socket, addr)?;
    socket.set_nonblocking(true)?;
    socket.bind(&addr.into())?;
    socket.listen(1024)?;
    TcpListener::from_std(socket.into())
}

/// An IPv6 SIP socket takes IPv6 only (`IPV6_V6ONLY`): on Linux a `[::]` socket would otherwise
/// also take the IPv4 port, so `[::]:5060` and `0.0.0.0:5060` could not both be listed, and
/// IPv4 peers would appear as `::ffff:a.b.c.d` with replies sent from the IPv6 socket.
fn only_own_family(socket: &socket2::Socket, addr: std::net::SocketAddr) -> std::io::Result<()> {
    if addr.is_ipv6() {
        socket.set_only_v6(true)?;
    }
    Ok(())
}

async fn reload_on_sighup(reloader: Reloader, shutdown: CancellationToken) {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        let Ok(mut hup) = signal(SignalKind::hangup()) else {
            return;
        };
        loop {
            tokio::select! {
                _ = shutdown.cancelled() => return,
                _ = hup.recv() => match reloader.reload().await {
                    Ok(n) => tracing::info!(plans = n, "SIGHUP: dialplans reloaded"),
                    Err(e) => tracing::error!("SIGHUP: dialplans refused, the running ones stay:\n{e}"),
                },
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = (reloader, shutdown);
    }
}

async fn wait_for_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        let mut term = match signal(SignalKind::terminate()) {
            Ok(s) => s,
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
                return;
            }
        };
        tokio::select! {
            _ = term.recv() => {}
            _ = tokio::signal::ctrl_c() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => format!("{}://***{}", &url[..s], &url[at..]),
        _ => url.to_string(),
    }
}

fn print_demo(config: &Resolved) {
    print!("{}", crate::config::demo::banner(config));
}

/// How often the database learns the switch is alive: a crash's open calls end within this of
/// their real end.
const ALIVE_EVERY: std::time::Duration = std::time::Duration::from_secs(5);

/// Writes "alive now" every [`ALIVE_EVERY`] until shutdown (calls ended by a clean shutdown
/// have their own end).
async fn mark_alive(crm: crm::Crm, shutdown: CancellationToken) {
    loop {
        if let Err(e) = crm.mark_alive(chrono::Utc::now()).await {
            tracing::warn!(error = %e, "cannot record that the switch is alive");
        }
        tokio::select! {
            _ = shutdown.cancelled() => return,
            _ = tokio::time::sleep(ALIVE_EVERY) => {}
        }
    }
}
