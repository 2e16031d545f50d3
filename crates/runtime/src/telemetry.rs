//! Telemetry is initialised once, in `main`, before the async runtime starts
//! (the OTLP/HTTP exporter's blocking client must not be built inside it).
//!
//! The OpenTelemetry layer is installed only when spans are exported
//! (`telemetry.otlp_endpoint`): it makes several spans per message, which
//! costs about a fifth of the request path's throughput (`scripts/bench`).
//! Without it, the W3C `traceparent` a request came with is carried
//! unchanged into every record and event smsgw publishes
//! (`kafka::trace::fields_of`), so the trace still continues downstream —
//! with the client's span as the parent, since smsgw's own are not exported.

use opentelemetry::trace::TracerProvider as _;
use opentelemetry_sdk::trace::SdkTracerProvider;
use tracing_subscriber::filter::Targets;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::Layer;

use crate::config::{LogFormat, TelemetryConfig};

/// Keeps the log file writer and the tracer provider alive; dropping it flushes both.
#[must_use = "dropping the guard stops log file writing and trace export"]
pub struct TelemetryGuard {
    provider: Option<SdkTracerProvider>,
    _file: Option<tracing_appender::non_blocking::WorkerGuard>,
}

impl Drop for TelemetryGuard {
    fn drop(&mut self) {
        if let Some(Err(e)) = self.provider.as_ref().map(SdkTracerProvider::shutdown) {
            eprintln!("telemetry shutdown: {e}");
        }
    }
}

/// Errors setting up telemetry.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TelemetryError {
    #[error("invalid log filter `{filter}`: {source}")]
    Filter {
        filter: String,
        #[source]
        source: tracing_subscriber::filter::ParseError,
    },
    #[error("cannot open log file {path}: {source}")]
    LogFile {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot build the OTLP exporter: {0}")]
    Exporter(String),
    #[error("a global subscriber is already installed")]
    AlreadyInstalled,
}

/// Installs the global subscriber: console (text or JSON), optional log file,
/// and the OpenTelemetry layer (with OTLP export when an endpoint is set).
pub fn init(config: &TelemetryConfig) -> Result<TelemetryGuard, TelemetryError> {
    crate::redact::log_numbers(config.log_numbers);
    let filter = || -> Result<Targets, TelemetryError> {
        let directive = std::env::var("RUST_LOG").unwrap_or_else(|_| config.log.clone());
        directive.parse::<Targets>().map_err(|source| TelemetryError::Filter { filter: directive, source })
    };

    let console = match config.log_format {
        // Colours only for a person at a terminal, not in a container's log.
        LogFormat::Text => tracing_subscriber::fmt::layer()
            .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
            .with_writer(std::io::stderr)
            .boxed(),
        LogFormat::Json => tracing_subscriber::fmt::layer().json().with_writer(std::io::stderr).boxed(),
    };
    let (file_layer, file_guard) = match &config.log_file {
        Some(path) => {
            let file = crate::logfile::RotatingFile::open(path, config.log_max_bytes, config.log_keep)
                .map_err(|source| TelemetryError::LogFile { path: path.display().to_string(), source })?;
            let (writer, guard) = tracing_appender::non_blocking(file);
            let layer = match config.log_format {
                LogFormat::Text => tracing_subscriber::fmt::layer().with_ansi(false).with_writer(writer).boxed(),
                LogFormat::Json => tracing_subscriber::fmt::layer().json().with_writer(writer).boxed(),
            };
            (Some(layer), Some(guard))
        }
        None => (None, None),
    };
    // One filter for both log outputs (the file gets what the console gets):
    // `Targets` (`info`, `warn,router=debug`, ...; no span-field directives).
    // `EnvFilter` as a per-layer filter beside the OpenTelemetry layer's lost
    // events (with `warn,router=info`, "router started" was not logged).
    let logs = console.and_then(file_layer).with_filter(filter()?);

    opentelemetry::global::set_text_map_propagator(opentelemetry_sdk::propagation::TraceContextPropagator::new());
    let (otel, provider) = match &config.otlp_endpoint {
        Some(endpoint) => {
            let provider = tracer_provider(&config.service_name, endpoint)?;
            opentelemetry::global::set_tracer_provider(provider.clone());
            // Spans are traced down to debug whatever the log level: a quiet log
            // must not cut traces (the spans of single exchanges are at debug).
            // Events only from info: debug events would become span events.
            // Lean: every record makes a few spans, so no source location, thread,
            // busy/idle timings or per-poll context activation (spans are read with
            // `OpenTelemetrySpanExt::context`, not the ambient context): each costs on
            // every span or every poll of an instrumented future (`scripts/bench`).
            let layer = tracing_opentelemetry::layer()
                .with_tracer(provider.tracer("smsgw"))
                .with_location(false)
                .with_threads(false)
                .with_tracked_inactivity(false)
                .with_context_activation(false)
                .with_filter(tracing_subscriber::filter::filter_fn(|m| {
                    *m.level() <= tracing::Level::INFO || (m.is_span() && *m.level() <= tracing::Level::DEBUG)
                }));
            (Some(layer), Some(provider))
        }
        None => (None, None),
    };

    tracing_subscriber::registry().with(logs).with(otel).try_init().map_err(|_| TelemetryError::AlreadyInstalled)?;
    Ok(TelemetryGuard { provider, _file: file_guard })
}

fn tracer_provider(service_name: &str, endpoint: &str) -> Result<SdkTracerProvider, TelemetryError> {
    use opentelemetry_otlp::WithExportConfig;
    let resource = opentelemetry_sdk::Resource::builder().with_service_name(service_name.to_owned()).build();
    let exporter = opentelemetry_otlp::SpanExporter::builder()
        .with_http()
        .with_endpoint(endpoint.to_owned())
        .build()
        .map_err(|e| TelemetryError::Exporter(e.to_string()))?;
    Ok(SdkTracerProvider::builder().with_resource(resource).with_batch_exporter(exporter).build())
}
