//! The gateway (every role) as a process of its own, for tests that kill it
//! with SIGKILL and start it again, or stop it with SIGTERM as a rolling
//! update does (it then drains and exits 0): `gateway CONFIG.toml [ROLE]`
//! (`all` by default; `router`, `sender`, `tracker`). It reloads CONFIG on
//! SIGHUP or when it changes, like `smsgw run`. Logs go to stderr,
//! filtered by `RUST_LOG` (default `warn`).

use std::process::ExitCode;
use std::sync::Arc;

use tokio_util::sync::CancellationToken;

fn main() -> ExitCode {
    let Some(path) = std::env::args().nth(1) else {
        eprintln!("usage: gateway CONFIG.toml [all|router|sender|tracker]");
        return ExitCode::from(64);
    };
    let role = match std::env::args().nth(2).as_deref() {
        None | Some("all") => smsgw::Role::All,
        Some("router") => smsgw::Role::Router,
        Some("sender") => smsgw::Role::Sender,
        Some("tracker") => smsgw::Role::Tracker,
        Some(other) => {
            eprintln!("gateway: unknown role {other}");
            return ExitCode::from(64);
        }
    };
    let settings = match std::fs::read_to_string(&path)
        .map_err(|e| e.to_string())
        .and_then(|text| runtime::Settings::from_toml(&text).map_err(|e| e.to_string()))
        .and_then(|s| smsgw::check(&s).map(|()| s).map_err(|e| e.to_string()))
    {
        Ok(s) => s,
        Err(e) => {
            eprintln!("gateway: {path}: {e}");
            return ExitCode::from(64);
        }
    };
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn,tracker::stage=info"));
    let _ = tracing_subscriber::fmt().with_writer(std::io::stderr).with_ansi(false).with_env_filter(filter).try_init();
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("gateway: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    runtime::shutdown::exit_on_panic();
    let shutdown = CancellationToken::new();
    let result = runtime.block_on(async {
        let stop = shutdown.clone();
        tokio::spawn(async move {
            if let Ok(mut term) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                term.recv().await;
                stop.cancel();
            }
        });
        runtime::shutdown::exit_after_deadline(&shutdown, settings.lifecycle.drain);
        // Follows the file as `smsgw run` does: SIGHUP or a change reloads it.
        let current = runtime::reload::watch(path.into(), Arc::new(settings), smsgw::check, shutdown.clone());
        smsgw::run_roles_following(current, role, shutdown).await
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("gateway: {e}");
            ExitCode::FAILURE
        }
    }
}
