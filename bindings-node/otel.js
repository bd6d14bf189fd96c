'use strict'
// OpenTelemetry for ticksupply: a CLIENT span per HTTP attempt and the key-usage metrics.
//
//   const { registerInstrumentations } = require('@opentelemetry/instrumentation')
//   const { TicksupplyInstrumentation } = require('ticksupply/otel')
//   registerInstrumentations({ instrumentations: [new TicksupplyInstrumentation()] })
//
// The Rust core reports each attempt once — span name `METHOD url.template`, the HTTP client
// semantic conventions, `ticksupply.request_id`, `ticksupply.api_key.suffix`; the metrics
// `http.client.request.duration`, `ticksupply.client.auth_failures`,
// `ticksupply.client.rate_limited`, `ticksupply.client.rate_limit.remaining` — the same in Rust,
// Python and Node. This module only hands the reports to OpenTelemetry: spans start under the
// context active where the call was made (a `traceparent` goes to the API, never to artifact
// hosts), for every client of the process. Disabled, nothing is captured.

const { context, trace, SpanKind, SpanStatusCode, isSpanContextValid } = require('@opentelemetry/api')
const { InstrumentationBase } = require('@opentelemetry/instrumentation')

const ticksupply = require('./index.js')
const native = require('./native.js')

const KINDS = { client: SpanKind.CLIENT, internal: SpanKind.INTERNAL }

/** Spans and contexts the core refers to by number, and the metric instruments by name. */
const contexts = new Map()
const spans = new Map()
const instruments = new Map()
let last = 0

function keep(map, value) {
  last = last >= 0xffffffff ? 1 : last + 1
  map.set(last, value)
  return last
}

function traceparent(sc) {
  if (!isSpanContextValid(sc)) return null
  return `00-${sc.traceId}-${sc.spanId}-${(sc.traceFlags & 0xff).toString(16).padStart(2, '0')}`
}

function instrument(meter, m) {
  let i = instruments.get(m.name)
  if (i) return i
  const options = { unit: m.unit, description: m.description }
  if (m.kind === 'histogram') {
    i = meter.createHistogram(m.name, { ...options, advice: { explicitBucketBoundaries: m.boundaries } })
  } else if (m.kind === 'counter') {
    i = meter.createCounter(m.name, options)
  } else {
    i = meter.createGauge(m.name, options)
  }
  instruments.set(m.name, i)
  return i
}

function install(inst) {
  native.setObserver(
    (name, kind, startMs, attributes, parent) => {
      const parentContext = (parent !== null && contexts.get(parent)) || context.active()
      const span = inst.tracer.startSpan(
        name,
        { kind: KINDS[kind], attributes: JSON.parse(attributes), startTime: startMs },
        parentContext,
      )
      return {
        span: keep(spans, span),
        context: keep(contexts, trace.setSpan(parentContext, span)),
        traceparent: traceparent(span.spanContext()),
      }
    },
    (id, attributes, error, endMs) => {
      const span = spans.get(id)
      spans.delete(id)
      if (!span) return
      span.setAttributes(JSON.parse(attributes))
      if (error !== null) span.setStatus({ code: SpanStatusCode.ERROR, message: error })
      span.end(endMs)
    },
    (id) => {
      contexts.delete(id)
    },
    (json) => {
      for (const m of JSON.parse(json)) {
        const i = instrument(inst.meter, m)
        if (m.kind === 'histogram' || m.kind === 'gauge') i.record(m.value, m.attributes)
        else i.add(m.value, m.attributes)
      }
    },
  )
  ticksupply._setTelemetry({ capture: () => keep(contexts, context.active()) })
}

function uninstall() {
  ticksupply._setTelemetry(null)
  native.setObserver(null, null, null, null)
}

/** Instruments every ticksupply client of the process; see `registerInstrumentations`. */
class TicksupplyInstrumentation extends InstrumentationBase {
  constructor(config = {}) {
    super('ticksupply', ticksupply.VERSION, config)
  }

  init() {
    return []
  }

  enable() {
    super.enable()
    install(this)
  }

  disable() {
    super.disable()
    uninstall()
  }

  // A new meter provider: instruments are made again from it.
  _updateMetricInstruments() {
    instruments.clear()
  }
}

module.exports = { TicksupplyInstrumentation }
