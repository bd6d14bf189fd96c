// OpenTelemetry: a CLIENT span per request, under your own span, carrying the request id and the
// key's last four characters (the same in Rust and Python: examples/*/telemetry.*).
//
// Run against the local mock (a key long enough to show its suffix):
//   TICKSUPPLY_API_KEY=ts_example_key_9f3a scripts/with-mock --key demo=ts_example_key_9f3a -- \
//     node examples/javascript/telemetry.mjs
import { context, trace, SpanKind } from '@opentelemetry/api'
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks'
import { registerInstrumentations } from '@opentelemetry/instrumentation'
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base'
import { Client } from 'ticksupply'
import { TicksupplyInstrumentation } from 'ticksupply/otel'

// In production: an OTLP exporter, through @opentelemetry/sdk-node.
const spans = new InMemorySpanExporter()
context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable())
trace.setGlobalTracerProvider(new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(spans)] }))
registerInstrumentations({ instrumentations: [new TicksupplyInstrumentation()] })

const client = new Client()
const mine = await trace.getTracer('app').startActiveSpan('list exchanges', async (span) => {
  await client.exchanges.list()
  span.end()
  return span.spanContext()
})

for (const span of spans.getFinishedSpans()) {
  if (span.kind === SpanKind.CLIENT) {
    const a = span.attributes
    const under = span.parentSpanContext?.spanId === mine.spanId ? 'list exchanges' : '?'
    console.log(
      `${span.name}: client span under "${under}", status ${a['http.response.status_code']}, ` +
        `key suffix ${a['ticksupply.api_key.suffix']}, request_id ${a['ticksupply.request_id']}`,
    )
  }
}
