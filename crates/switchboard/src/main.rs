//! `switchboard`: the binary. Commands: `serve` (run the switch), `check` (validate the
//! configuration), `config export` (write the running configuration as one file). With no
//! configuration file, `serve` runs a safe local demo.

mod config;
mod driver;
mod http;
mod password;
mod private_files;
mod server;

/// The switch core is its own crate (`crates/switch`); `crate::switch::..` paths keep working.
pub(crate) use ::switch;

use anyhow::Context;

/// glibc malloc was ~17 % of the switch's CPU at 1,000 calls/s (SIP messages are many small,
/// short-lived allocations); mimalloc serves them from per-thread pages (docs/benchmarks.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;
use clap::{Parser, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "switchboard",
    version,
    about = "A SIP softswitch with a built-in ACD for contact centers"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the switch (with no --config: a local demo on 127.0.0.1 with demo extensions).
    Serve {
        /// The TOML configuration file (docs/configuration.md).
        #[arg(long, short)]
        config: Option<PathBuf>,
    },
    /// Validate the configuration and exit non-zero with file:line:column messages on errors.
    Check {
        #[arg(long, short)]
        config: Option<PathBuf>,
    },
    /// Work with the configuration.
    Config {
        #[command(subcommand)]
        command: ConfigCommand,
    },
}

#[derive(Subcommand)]
enum ConfigCommand {
    /// Write the configuration the switch runs (the demo's with no --config), with the queues
    /// and agent queues changed through the HTTP API, as one TOML file for `serve --config`.
    /// The file holds SIP passwords: it is created readable by its owner only.
    Export {
        /// The configuration file to start from (default: the demo's).
        #[arg(long, short)]
        config: Option<PathBuf>,
        /// Where to write the file.
        #[arg(long, short)]
        out: PathBuf,
        /// Replace `out` if it exists.
        #[arg(long)]
        force: bool,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Check { config } => check(config),
        Command::Config {
            command: ConfigCommand::Export { config, out, force },
        } => match export(config, &out, force) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("switchboard: {e:#}");
                ExitCode::FAILURE
            }
        },
        Command::Serve { config } => {
            tracing_subscriber::fmt()
                .with_env_filter(
                    tracing_subscriber::EnvFilter::try_from_default_env()
                        .unwrap_or_else(|_| "info".into()),
                )
                .with_writer(std::io::stderr)
                // Plain lines in files and journals, so log scanners (fail2ban) can match them.
                .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
                .init();
            match serve(config) {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => {
                    eprintln!("switchboard: {e:#}");
                    ExitCode::FAILURE
                }
            }
        }
    }
}

fn check(path: Option<PathBuf>) -> ExitCode {
    let result = match &path {
        Some(p) => config::load(p),
        None => config::Config::default().resolve(),
    };
    match result {
        Ok(c) => match config::dialplans::load(&c) {
            Ok(plans) => {
                println!(
                    "configuration OK: {} listen address(es), {} user(s), {} trunk(s), {} DID(s), \
                     {} web entr{}, database {}, {}",
                    c.listen.len(),
                    c.users.len(),
                    c.trunks.trunks.len(),
                    c.trunks.dids.len(),
                    c.web.entries.len(),
                    if c.web.entries.len() == 1 { "y" } else { "ies" },
                    c.database_url,
                    match &plans {
                        Some(p) => format!(
                            "{} dialplan(s) in {} ({} prompt(s))",
                            p.plans.plan_names().len(),
                            c.dialplans_dir
                                .as_ref()
                                .map(|d| d.0.display().to_string())
                                .unwrap_or_default(),
                            p.prompts.len()
                        ),
                        None => "no dialplans (extensions dial each other)".into(),
                    }
                );
                if let Some(p) = &plans {
                    for w in p.plans.warnings() {
                        println!("{w}");
                    }
                }
                let routed = |n: &str| plans.as_ref().is_some_and(|p| p.plans.route(n).is_some());
                for w in config::trunks::unrouted_dids(&c.trunks, routed) {
                    println!("{w}");
                }
                for w in config::web::unrouted_entries(&c.web, routed) {
                    println!("{w}");
                }
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("{e}");
                ExitCode::FAILURE
            }
        },
        Err(e) => {
            eprintln!("{e}");
            ExitCode::FAILURE
        }
    }
}

fn export(path: Option<PathBuf>, out: &std::path::Path, force: bool) -> anyhow::Result<()> {
    // The demo's credentials file and the database may be created here, as by `serve`.
    private_files::restrict_new_files();
    let (sections, resolved) = match &path {
        Some(p) => config::load_with_sections(p)?,
        None => {
            let sections = config::demo::file_config().context("preparing the demo")?;
            let resolved = sections.clone().resolve()?;
            (sections, resolved)
        }
    };
    std::fs::create_dir_all(&resolved.data_dir)
        .with_context(|| format!("creating {}", resolved.data_dir.display()))?;
    let stored = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("starting the runtime")?
        .block_on(config::export::stored(&resolved))?;
    let text = config::export::render(&sections, &resolved, &stored)?;
    config::export::write_private(out, &text, force)?;
    println!(
        "wrote {} ({} user(s), {} queue(s) from the API); it holds SIP passwords: keep it private. \
         Run it with: switchboard serve --config {}",
        out.display(),
        resolved.users.len(),
        stored.queues.len(),
        out.display()
    );
    Ok(())
}

fn serve(path: Option<PathBuf>) -> anyhow::Result<()> {
    // Before anything is written (the demo's credentials, the database, recordings).
    private_files::restrict_new_files();
    let config = match &path {
        Some(p) => config::load(p)?,
        None => config::demo::config().context("preparing the demo configuration")?,
    };
    let ports = u64::from(config.port_max.saturating_sub(config.port_min)) + 1;
    // The TCP and HTTP connection caps are part of the budget, so they cannot starve the relay.
    match driver::limits::raise_open_files(ports + config.limits.connections()) {
        Ok(files) if !files.enough() => tracing::warn!(
            limit = ?files.soft,
            needed = files.needed,
            calls = ?files.calls(),
            "the open-file limit holds fewer calls with media than the RTP range: raise the hard \
             limit (ulimit -Hn, or LimitNOFILE= in a systemd unit)"
        ),
        Ok(files) if files.raised => {
            tracing::info!(limit = ?files.soft, "open-file limit raised for the RTP range")
        }
        Ok(_) => {}
        Err(e) => tracing::warn!(error = %e, "could not raise the open-file limit"),
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the runtime")?;
    runtime.block_on(server::run(config, path.is_none()))
}
