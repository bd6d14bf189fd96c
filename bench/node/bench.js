'use strict'
// One Node contender for `make bench`: `node bench.js <ours|fetch> <base> <what> <seconds>`
// prints {"value": n}. `fetch` is what the docs teach: fetch + res.json() with the key header.

const path = require('node:path')

const [, , who, base, what, seconds] = process.argv
const KEY = 'ts_bench_key_0001'
const DURATION = Number(seconds) * 1000

function contender() {
  if (who === 'ours') {
    const { Client } = require(path.join(__dirname, '..', '..', 'bindings-node'))
    const c = new Client({ apiKey: KEY, baseUrl: base, maxRetries: 0 })
    return {
      small: () => c.exchanges.list(),
      page: () => c.exchanges.listInstruments('binance', { limit: 1000 }),
    }
  }
  const get = async (p) => {
    const res = await fetch(base + p, { headers: { 'X-Api-Key': KEY } })
    if (!res.ok) throw new Error(`HTTP ${res.status}`)
    return res.json()
  }
  return { small: () => get('/exchanges'), page: () => get('/exchanges/binance/instruments?limit=1000') }
}

/** Calls per second of `workers` loops calling `fn` for DURATION. */
async function rate(fn, workers) {
  for (let i = 0; i < 50; i++) await fn() // warm the connection pool and the JIT
  let n = 0
  const end = performance.now() + DURATION
  const started = performance.now()
  await Promise.all(
    Array.from({ length: workers }, async () => {
      while (performance.now() < end) {
        await fn()
        n++
      }
    }),
  )
  return n / ((performance.now() - started) / 1000)
}

async function main() {
  if (what === 'require') {
    const t = performance.now()
    require(path.join(__dirname, '..', '..', 'bindings-node'))
    return performance.now() - t
  }
  const c = contender()
  switch (what) {
    case 'sequential':
      return rate(c.small, 1)
    case 'sequential-otel': {
      // Telemetry on: the SDK's providers (the package's own dev dependencies), spans to a batch
      // processor whose exporter drops them.
      const pkg = require('node:module').createRequire(path.join(__dirname, '..', '..', 'bindings-node', 'index.js'))
      const { trace, metrics, context } = pkg('@opentelemetry/api')
      const { AsyncLocalStorageContextManager } = pkg('@opentelemetry/context-async-hooks')
      const { BasicTracerProvider, BatchSpanProcessor } = pkg('@opentelemetry/sdk-trace-base')
      const { MeterProvider } = pkg('@opentelemetry/sdk-metrics')
      const { registerInstrumentations } = pkg('@opentelemetry/instrumentation')
      const { TicksupplyInstrumentation } = pkg('./otel.js')
      const drop = { export: (_spans, done) => done({ code: 0 }), shutdown: async () => {} }
      context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable())
      trace.setGlobalTracerProvider(new BasicTracerProvider({ spanProcessors: [new BatchSpanProcessor(drop)] }))
      metrics.setGlobalMeterProvider(new MeterProvider())
      registerInstrumentations({ instrumentations: [new TicksupplyInstrumentation()] })
      return rate(c.small, 1)
    }
    case 'page':
      return rate(c.page, 1)
    case 'concurrent':
      return rate(c.small, 50)
    case 'rss': {
      for (let i = 0; i < 10000; i++) await c.small()
      return process.resourceUsage().maxRSS
    }
    default:
      throw new Error(`unknown benchmark ${what}`)
  }
}

main().then(
  (value) => console.log(JSON.stringify({ value })),
  (e) => {
    console.error(e)
    process.exit(1)
  },
)
