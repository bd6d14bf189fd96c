'use strict'
// OpenTelemetry from JavaScript with the SDK's in-memory exporter and a metric reader read on
// demand, against ticksupply-mock: attempt spans under the caller's span (a retry has
// http.request.resend_count 1), the traceparent the mock received carries the caller's trace,
// artifact requests carry none, export helpers are INTERNAL spans, 401s and 429s are counted by
// key suffix, no key is in any attribute, and disable() turns it all off.

const test = require('node:test')
const assert = require('node:assert/strict')
const os = require('node:os')
const fs = require('node:fs')
const path = require('node:path')

const { context, trace, metrics, SpanKind, SpanStatusCode } = require('@opentelemetry/api')
const { AsyncLocalStorageContextManager } = require('@opentelemetry/context-async-hooks')
const { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } = require('@opentelemetry/sdk-trace-base')
const { MeterProvider, MetricReader } = require('@opentelemetry/sdk-metrics')
const { registerInstrumentations } = require('@opentelemetry/instrumentation')

const { Client, AuthenticationError, RateLimitError } = require('..')
const { TicksupplyInstrumentation } = require('../otel')
const { startMock, isolateConfig } = require('./helpers')

class OnDemandReader extends MetricReader {
  async onForceFlush() {}
  async onShutdown() {}
}

const HOUR_NS = 3_600_000_000_000n
const MARCH_2024 = 1_709_251_200_000_000_000n

let mock, exporter, reader, tracer, unregister, instrumentation

test.before(async () => {
  mock = await startMock()
  isolateConfig()
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable())
  exporter = new InMemorySpanExporter()
  const tracerProvider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] })
  trace.setGlobalTracerProvider(tracerProvider)
  reader = new OnDemandReader()
  metrics.setGlobalMeterProvider(new MeterProvider({ readers: [reader] }))
  tracer = trace.getTracer('app')
  instrumentation = new TicksupplyInstrumentation()
  unregister = registerInstrumentations({ instrumentations: [instrumentation] })
})
test.after(() => {
  unregister()
  mock.stop()
})
test.beforeEach(() => exporter.reset())

const spanNamed = (name) => exporter.getFinishedSpans().filter((s) => s.name === name)
const parentId = (s) => s.parentSpanContext?.spanId

async function points(name) {
  const { resourceMetrics } = await reader.collect()
  const m = resourceMetrics.scopeMetrics.flatMap((sm) => sm.metrics).find((x) => x.descriptor.name === name)
  return m ? m.dataPoints.map((p) => [p.attributes, typeof p.value === 'number' ? p.value : p.value.count]) : []
}

async function assertNoKey(...keys) {
  const spans = JSON.stringify(exporter.getFinishedSpans().map((s) => [s.name, s.attributes, s.status]))
  const { resourceMetrics } = await reader.collect()
  const all = spans + JSON.stringify(resourceMetrics, (k, v) => (typeof v === 'bigint' ? String(v) : v))
  for (const k of keys) assert.ok(!all.includes(k), `${k} in telemetry`)
}

test('a retried call is two attempt spans under the caller span, and the mock got its trace', async () => {
  const key = await mock.account()
  await mock.fault(key, { method: 'GET', path_prefix: '/v1/exchanges', status: 503, times: 1 })
  const client = new Client({ apiKey: key, baseUrl: mock.baseUrl })
  const caller = await tracer.startActiveSpan('caller', async (span) => {
    await client.exchanges.list()
    span.end()
    return span.spanContext()
  })
  const attempts = spanNamed('GET /exchanges')
  assert.equal(attempts.length, 2)
  for (const a of attempts) {
    assert.equal(a.kind, SpanKind.CLIENT)
    assert.equal(parentId(a), caller.spanId)
    assert.equal(a.spanContext().traceId, caller.traceId)
    assert.equal(a.attributes['url.template'], '/exchanges')
    assert.equal(a.attributes['ticksupply.api_key.suffix'], key.slice(-4))
  }
  const [first, second] = attempts
  assert.equal(first.attributes['http.response.status_code'], 503)
  assert.equal(first.attributes['error.type'], '503')
  assert.equal(first.status.code, SpanStatusCode.ERROR)
  assert.equal(first.attributes['http.request.resend_count'], undefined)
  assert.equal(second.attributes['http.request.resend_count'], 1)
  assert.match(second.attributes['ticksupply.request_id'], /^req_/)

  const sent = (await mock.requests(key)).filter((r) => r.path === '/v1/exchanges').map((r) => r.headers.traceparent)
  assert.deepEqual(
    sent.map((tp) => tp.split('-')[1]),
    [caller.traceId, caller.traceId],
  )
  assert.deepEqual(
    sent.map((tp) => tp.split('-')[2]),
    attempts.map((a) => a.spanContext().spanId),
  )
  const durations = await points('http.client.request.duration')
  assert.ok(durations.every(([a]) => !('url.full' in a) && !('ticksupply.request_id' in a)))
  await assertNoKey(key)
})

test('export helpers are INTERNAL spans; artifact requests carry no traceparent', async () => {
  const key = await mock.account()
  const client = new Client({ apiKey: key, baseUrl: mock.baseUrl })
  await client.subscriptions.create(1)
  const job = await client.exports.create({ datastreamId: 1, startTime: MARCH_2024, endTime: MARCH_2024 + HOUR_NS })
  await client.exports.wait(job.id, { pollInterval: 50 })
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ticksupply-otel-'))
  await client.exports.download(job.id, dir)
  const ipc = await client.exports.data(job.id).toIPC()
  assert.ok(ipc.length > 0)
  const spans = exporter.getFinishedSpans()
  for (const helper of ['ticksupply.exports.wait', 'ticksupply.exports.download', 'ticksupply.exports.data']) {
    const [op] = spans.filter((s) => s.name === helper)
    assert.ok(op, helper)
    assert.equal(op.kind, SpanKind.INTERNAL)
    const children = spans.filter((s) => parentId(s) === op.spanContext().spanId)
    assert.ok(children.length > 0, helper)
    if (helper !== 'ticksupply.exports.wait') {
      const artifacts = children.filter((s) => s.name === 'GET')
      assert.ok(artifacts.length > 0, helper)
      for (const a of artifacts) {
        assert.ok(!a.attributes['url.full'].includes('?'))
        assert.equal(a.attributes['ticksupply.api_key.suffix'], undefined)
      }
    }
  }
  for (const r of await mock.requests(key, 'artifacts')) assert.equal(r.headers.traceparent, undefined)
  await assertNoKey(key)
})

test('401s and 429s are counted by key suffix', async () => {
  const bad = 'ts_nobody_key_Q1w2E3r4'
  await assert.rejects(new Client({ apiKey: bad, baseUrl: mock.baseUrl, maxRetries: 0 }).exchanges.list(), AuthenticationError)
  const key = await mock.account()
  await mock.fault(key, { method: 'GET', path_prefix: '/v1/billing', status: 429, times: 1 })
  await assert.rejects(new Client({ apiKey: key, baseUrl: mock.baseUrl, maxRetries: 0 }).billing.getSummary(), RateLimitError)
  const auth = await points('ticksupply.client.auth_failures')
  const mine = auth.filter(([a]) => a['ticksupply.api_key.suffix'] === 'E3r4')
  assert.deepEqual(mine.map(([, v]) => v), [1])
  const limited = (await points('ticksupply.client.rate_limited')).filter(([a]) => a['ticksupply.api_key.suffix'] === key.slice(-4))
  assert.equal(limited.length, 1)
  assert.equal(limited[0][0]['url.template'], '/billing/summary')
  const windows = new Set((await points('ticksupply.client.rate_limit.remaining')).map(([a]) => a['ticksupply.rate_limit.window']))
  assert.deepEqual([...windows].sort(), ['hour', 'minute'])
  await assertNoKey(key, bad)
})

test('disable() turns telemetry off: no spans, no traceparent', async () => {
  instrumentation.disable()
  try {
    const key = await mock.account()
    await new Client({ apiKey: key, baseUrl: mock.baseUrl }).exchanges.list()
    assert.deepEqual(exporter.getFinishedSpans(), [])
    for (const r of await mock.requests(key)) assert.equal(r.headers.traceparent, undefined)
  } finally {
    instrumentation.enable()
  }
})
