//! OTLP export of the command's spans and metrics, on when `OTEL_EXPORTER_OTLP_ENDPOINT` (or
//! the traces- or metrics-specific variable) is set: a `sync` becomes one trace, its windows
//! and every request inside it. The exporters read the standard `OTEL_*` variables (headers,
//! timeout, protocol details); the service is `ticksupply-cli` unless `OTEL_SERVICE_NAME` says
//! otherwise.

use std::fmt;

use opentelemetry_sdk::Resource;
use opentelemetry_sdk::metrics::SdkMeterProvider;
use opentelemetry_sdk::trace::SdkTracerProvider;
use ticksupply::telemetry::OpenTelemetry;

use crate::error::CliError;

const ENDPOINT_VARS: [&str; 3] = [
    "OTEL_EXPORTER_OTLP_ENDPOINT",
    "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
    "OTEL_EXPORTER_OTLP_METRICS_ENDPOINT",
];

/// The providers of one run of the command, flushed when it ends.
pub struct Otlp {
    tracer_provider: SdkTracerProvider,
    meter_provider: SdkMeterProvider,
}

impl fmt::Debug for Otlp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Otlp")
    }
}

impl Otlp {
    /// The exporters the environment asks for, if it asks for any.
    pub fn from_env() -> Result<Option<Otlp>, CliError> {
        let wanted = ENDPOINT_VARS
            .iter()
            .any(|v| std::env::var_os(v).is_some_and(|x| !x.is_empty()));
        if !wanted {
            return Ok(None);
        }
        let fail = |e: &dyn fmt::Display| {
            CliError::Usage(format!(
                "cannot set up the OTLP export that OTEL_EXPORTER_OTLP_ENDPOINT asks for: {e}"
            ))
        };
        let mut resource = Resource::builder();
        if std::env::var_os("OTEL_SERVICE_NAME").is_none() {
            resource = resource.with_service_name("ticksupply-cli");
        }
        let resource = resource.build();
        let spans = opentelemetry_otlp::SpanExporter::builder()
            .with_http()
            .build()
            .map_err(|e| fail(&e))?;
        let metrics = opentelemetry_otlp::MetricExporter::builder()
            .with_http()
            .build()
            .map_err(|e| fail(&e))?;
        Ok(Some(Otlp {
            tracer_provider: SdkTracerProvider::builder()
                .with_batch_exporter(spans)
                .with_resource(resource.clone())
                .build(),
            meter_provider: SdkMeterProvider::builder()
                .with_periodic_exporter(metrics)
                .with_resource(resource)
                .build(),
        }))
    }

    /// The observer for the command's clients.
    pub fn observer(&self) -> OpenTelemetry {
        OpenTelemetry::new(&self.tracer_provider, &self.meter_provider)
    }

    /// Sends what is left and stops the exporters' threads.
    pub fn shutdown(&self) {
        if let Err(e) = self.tracer_provider.shutdown() {
            crate::output::err(&format!("note: the last spans were not exported: {e}"));
        }
        if let Err(e) = self.meter_provider.shutdown() {
            crate::output::err(&format!("note: the last metrics were not exported: {e}"));
        }
    }
}
