//! Shutdown signalling: SIGINT/SIGTERM cancel one token that every component watches.

use tokio_util::sync::CancellationToken;

/// Returns a token that is cancelled on SIGINT or SIGTERM.
///
/// Must be called inside a tokio runtime.
pub fn on_signal() -> CancellationToken {
    let token = CancellationToken::new();
    let cancel = token.clone();
    tokio::spawn(async move {
        wait_for_signal().await;
        tracing::info!("shutdown signal received");
        cancel.cancel();
    });
    token
}

#[cfg(unix)]
async fn wait_for_signal() {
    use tokio::signal::unix::{signal, SignalKind};
    match signal(SignalKind::terminate()) {
        Ok(mut term) => {
            tokio::select! {
                _ = term.recv() => {}
                _ = tokio::signal::ctrl_c() => {}
            }
        }
        Err(e) => {
            tracing::warn!(error = %e, "cannot listen for SIGTERM, only SIGINT stops the process");
            let _ = tokio::signal::ctrl_c().await;
        }
    }
}

#[cfg(not(unix))]
async fn wait_for_signal() {
    let _ = tokio::signal::ctrl_c().await;
}

/// Exit status of a process ended by a panic (`EX_SOFTWARE`, sysexits.h).
pub const EX_SOFTWARE: i32 = 70;

/// Makes any panic, on any thread or task, end the process with
/// [`EX_SOFTWARE`] after it is reported: a panic is a bug, and a process
/// running on without the task that panicked (a connection, a consume loop)
/// would pass its probes while doing part of its work. The orchestrator
/// restarts it; what was in flight is redone, as after `kill -9`.
pub fn exit_on_panic() {
    let report = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        report(info);
        tracing::error!(panic = %info, "panic: the process ends so that it is restarted");
        std::process::exit(EX_SOFTWARE);
    }));
}

/// Debug builds only: panics when `SMSGW_FAULT_PANIC` names `what` (a
/// connection id, say), so tests can show a panic ends the process.
pub fn fault_point(what: &str) {
    #[cfg(debug_assertions)]
    if std::env::var("SMSGW_FAULT_PANIC").is_ok_and(|v| v == what) {
        panic!("fault injected at {what} (SMSGW_FAULT_PANIC)");
    }
    #[cfg(not(debug_assertions))]
    let _ = what;
}

/// Exit status of a process that overran its shutdown deadline (`EX_TEMPFAIL`).
pub const EX_TEMPFAIL: i32 = 75;

/// Once `shutdown` is cancelled, gives the process `drain` plus
/// [`crate::config::LifecycleConfig::EXIT_MARGIN`] to end by itself, then
/// ends it with [`EX_TEMPFAIL`]: the orchestrator's grace period is a
/// promise to keep, and what was still in flight is redone after the
/// restart, as after `kill -9`.
pub fn exit_after_deadline(shutdown: &CancellationToken, drain: std::time::Duration) {
    let shutdown = shutdown.clone();
    tokio::spawn(async move {
        shutdown.cancelled().await;
        let deadline = drain + crate::config::LifecycleConfig::EXIT_MARGIN;
        tokio::time::sleep(deadline).await;
        tracing::error!(
            ?deadline,
            "shutdown deadline passed; exiting with work in flight (it is redone after the restart)"
        );
        std::process::exit(EX_TEMPFAIL);
    });
}
