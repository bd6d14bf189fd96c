'use strict'
// The contract through JavaScript, against ticksupply-mock and a raw TCP server.

const test = require('node:test')
const assert = require('node:assert/strict')
const { spawn } = require('node:child_process')
const path = require('node:path')
const { inspect } = require('node:util')

const ts = require('..')
const { Client } = ts
const { startMock, rawServer, response, isolateConfig } = require('./helpers')

let mock
test.before(async () => {
  mock = await startMock()
  isolateConfig()
})
test.after(() => mock.stop())

const client = (key, opts = {}) => new Client({ apiKey: key, baseUrl: mock.baseUrl, ...opts })

/** Runs a Node script in a child process; resolves with its exit code, output and duration. */
function runNode(source, env = {}) {
  return new Promise((resolve) => {
    const started = Date.now()
    const child = spawn(process.execPath, ['-e', source], {
      cwd: path.join(__dirname, '..'),
      env: { ...process.env, ...env },
    })
    let out = ''
    let err = ''
    child.stdout.on('data', (d) => (out += d))
    child.stderr.on('data', (d) => (err += d))
    child.on('exit', (code) => resolve({ code, out, err, ms: Date.now() - started }))
  })
}

test('the key goes out as X-Api-Key, byte for byte, with a UUIDv4 Idempotency-Key on writes', async () => {
  const body = JSON.stringify({ id: 'sub_1', status: 'active', created_at: '2026-01-01T00:00:00Z' })
  const srv = await rawServer(() => response(200, body, { 'Content-Type': 'application/json', 'X-Request-Id': 'req_raw' }))
  try {
    const c = new Client({ apiKey: ' ts_live_wirecheck\n', baseUrl: srv.baseUrl })
    const sub = await c.subscriptions.create(7)
    assert.equal(sub.requestId, 'req_raw')
    const head = srv.requests[0].head
    assert.match(head, /^POST \/v1\/subscriptions HTTP\/1\.1\r\n/)
    assert.match(head, /\r\nX-Api-Key: ts_live_wirecheck\r\n/, 'exact header name, trimmed key')
    assert.match(head, /\r\nIdempotency-Key: [0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}\r\n/)
    assert.match(head, /\r\nUser-Agent: [^\r]*ticksupply-node\/\d+\.\d+\.\d+/)
  } finally {
    await srv.close()
  }
})

test('the key comes from TICKSUPPLY_API_KEY, trimmed; none at all is a ConfigurationError', async () => {
  const key = await mock.account()
  process.env.TICKSUPPLY_API_KEY = `  ${key}\n`
  process.env.TICKSUPPLY_BASE_URL = mock.baseUrl
  try {
    const ex = await new Client().exchanges.list()
    assert.ok(ex.length > 0)
    const seen = await mock.requests(key)
    assert.equal(seen.at(-1).account, key)
  } finally {
    delete process.env.TICKSUPPLY_API_KEY
    delete process.env.TICKSUPPLY_BASE_URL
  }
  assert.throws(
    () => new Client({ baseUrl: mock.baseUrl }),
    (e) => e instanceof ts.ConfigurationError && e instanceof ts.TicksupplyError && /TICKSUPPLY_API_KEY/.test(e.message),
  )
  assert.throws(() => new Client({ apiKey: '', baseUrl: mock.baseUrl }), ts.ConfigurationError)
  assert.throws(() => new Client({ apiKey: 'a b', baseUrl: mock.baseUrl }), ts.ConfigurationError)
  assert.throws(() => new Client({ apiKey: 'k', baseUrl: 'http://example.com/v1' }), /https/)
})

test('no key in inspect, toString, JSON or error messages', async () => {
  const secret = 'ts_canary_SECRET_9f8e7d6c'
  const c = client(secret)
  for (const shown of [inspect(c), String(c), JSON.stringify(c), inspect(c, { showHidden: true, depth: 5 })]) {
    assert.ok(!shown.includes('SECRET'), shown)
  }
  assert.match(inspect(c), /6c'/, 'shows at most the last four characters')
  const err = await c.billing.getSummary().catch((e) => e)
  assert.ok(err instanceof ts.AuthenticationError)
  for (const shown of [err.message, inspect(err), String(err.stack), JSON.stringify(err)]) {
    assert.ok(!shown.includes('SECRET'), shown)
  }
  assert.match(err.message, /request_id: req_/)
})

test('errors map by code and by status, with request ids, and print usefully', async () => {
  const key = await mock.account()
  const c = client(key, { maxRetries: 0 })
  const nf = await c.subscriptions.get('sub_missing').catch((e) => e)
  assert.ok(nf instanceof ts.NotFoundError && nf instanceof ts.APIError && nf instanceof Error)
  assert.equal(nf.code, 'not_found')
  assert.equal(nf.httpStatus, 404)
  assert.match(nf.requestId, /^req_/)
  assert.equal(nf.name, 'NotFoundError')
  assert.match(nf.message, /^\[not_found\] .* \(request_id: req_\w+\)$/)
  const shown = inspect(nf)
  for (const part of ['NotFoundError', "code: 'not_found'", 'httpStatus: 404', 'requestId:']) assert.ok(shown.includes(part), shown)

  await mock.fault(key, { method: 'GET', path_prefix: '/v1/billing', status: 502, body: '<html>Bad gateway</html>', times: 1 })
  const html = await c.billing.getSummary().catch((e) => e)
  assert.ok(html instanceof ts.ServerError)
  assert.equal(html.code, 'unknown')
  assert.equal(html.httpStatus, 502)
  assert.match(html.message, /Bad gateway/)
  assert.match(html.requestId, /^req_/)

  await mock.fault(key, { method: 'GET', path_prefix: '/v1/billing', status: 429, headers: { 'Retry-After': '7' }, times: 1 })
  const rl = await c.billing.getSummary().catch((e) => e)
  assert.ok(rl instanceof ts.RateLimitError)
  assert.equal(rl.retryAfter, 7)
  assert.equal(typeof rl.rateLimit.limitMinute, 'number')

  const bad = await client('ts_wrong_key_0000').billing.getSummary().catch((e) => e)
  assert.ok(bad instanceof ts.AuthenticationError)
  assert.equal(bad.httpStatus, 401)
  assert.match(bad.message, /api_key argument/)
})

test('5xx and 429 are retried with one Idempotency-Key; attempts are counted', async () => {
  const key = await mock.account()
  await mock.fault(key, { method: 'POST', path_prefix: '/v1/subscriptions', status: 503, after_commit: true, times: 2 })
  const sub = await client(key).subscriptions.create(1)
  assert.equal(sub.status, 'active')
  const posts = (await mock.requests(key)).filter((r) => r.method === 'POST')
  assert.equal(posts.length, 3)
  const keys = new Set(posts.map((r) => r.headers['idempotency-key']))
  assert.equal(keys.size, 1, 'the same key on every attempt')
  assert.equal((await client(key).subscriptions.list()).items.length, 1, 'one subscription, not three')

  await mock.fault(key, { method: 'GET', path_prefix: '/v1/billing', status: 500 })
  const err = await client(key, { maxRetries: 2 }).billing.getSummary().catch((e) => e)
  assert.ok(err instanceof ts.ServerError)
  assert.equal(err.attempts, 3)
  const none = await client(key, { maxRetries: 0 }).billing.getSummary().catch((e) => e)
  assert.equal(none.attempts, 1)
})

test('Retry-After is a floor, and a wait over 60 s is not slept', async () => {
  const ok = JSON.stringify([{ code: 'binance', display_name: 'Binance' }])
  const srv = await rawServer((n) =>
    n === 1 ? response(429, '{"error":{"code":"rate_limited","message":"slow down"}}', { 'Retry-After': '1' }) : response(200, ok),
  )
  try {
    const started = Date.now()
    const ex = await new Client({ apiKey: 'k', baseUrl: srv.baseUrl }).exchanges.list()
    assert.equal(ex[0].code, 'binance')
    const gap = srv.requests[1].at - srv.requests[0].at
    assert.ok(gap >= 950, `second attempt after ${gap} ms, not before the 1 s Retry-After`)
    assert.ok(Date.now() - started < 5000)
  } finally {
    await srv.close()
  }
  const huge = await rawServer(() => response(429, '{"error":{"code":"rate_limited","message":"later"}}', { 'Retry-After': '3600' }))
  try {
    const started = Date.now()
    const err = await new Client({ apiKey: 'k', baseUrl: huge.baseUrl }).exchanges.list().catch((e) => e)
    assert.ok(err instanceof ts.RateLimitError)
    assert.equal(err.retryAfter, 3600)
    assert.equal(huge.requests.length, 1)
    assert.ok(Date.now() - started < 2000, 'raised at once')
  } finally {
    await huge.close()
  }
})

test('an attempt that outlives the timeout is a network-class timeout error', async () => {
  const key = await mock.account()
  await mock.fault(key, { method: 'GET', path_prefix: '/v1/billing', delay_ms: 3000 })
  const started = Date.now()
  const err = await client(key, { timeout: 200, maxRetries: 0 }).billing.getSummary().catch((e) => e)
  assert.ok(err instanceof ts.APITimeoutError && err instanceof ts.NetworkError, inspect(err))
  assert.ok(Date.now() - started < 2000)
  assert.throws(() => client(key, { timeout: -5 }), ts.ConfigurationError)
})

test('path segments are percent-encoded', async () => {
  const key = await mock.account()
  const c = client(key)
  const page = await c.exchanges.listDatastreams('kraken', 'XBT/USD')
  assert.ok(page.items.length > 0)
  assert.equal(page.items[0].instrument, 'XBT/USD')
  const err = await c.subscriptions.get('../exchanges').catch((e) => e)
  assert.ok(err instanceof ts.NotFoundError, inspect(err))
  const paths = (await mock.requests(key)).map((r) => r.path)
  assert.ok(paths.includes('/v1/exchanges/kraken/instruments/XBT%2FUSD/datastreams'), paths.join(' '))
  assert.ok(paths.includes('/v1/subscriptions/..%2Fexchanges'), paths.join(' '))
})

test('request id and rate limit on lists, pages and models, invisible to JSON', async () => {
  const key = await mock.account()
  const c = client(key)
  const list = await c.exchanges.list()
  const page = await c.exchanges.listInstruments('binance', { search: 'BTC', limit: 10 })
  const model = await c.billing.getSummary()
  for (const r of [list, page, model]) {
    assert.match(r.requestId, /^req_/)
    assert.equal(r.rateLimit.limitMinute, 1000000)
    assert.ok(!JSON.stringify(r).includes('requestId'))
    assert.ok(!Object.keys(r).includes('rateLimit'))
  }
  assert.ok(Array.isArray(list))
  assert.equal(page.items.length, 10)
  assert.ok(page.items.every((i) => i.symbol.includes('BTC')))
  assert.ok(page.next_page_token)
  const seen = (await mock.requests(key)).map((r) => r.request_id)
  assert.ok(seen.includes(page.requestId), 'the id the server sent')
})

test('unknown enum values and new fields are kept', async () => {
  const body = JSON.stringify({ id: 'sub_x', status: 'hibernating', created_at: '2026-01-01T00:00:00Z', shiny: { x: 1 } })
  const srv = await rawServer(() => response(200, body))
  try {
    const sub = await new Client({ apiKey: 'k', baseUrl: srv.baseUrl }).subscriptions.get('sub_x')
    assert.equal(sub.status, 'hibernating')
    assert.deepEqual(sub.shiny, { x: 1 })
  } finally {
    await srv.close()
  }
})

test('a success body that is not JSON is a DecodeError with the request id', async () => {
  const srv = await rawServer(() => response(200, '<html>hello</html>', { 'X-Request-Id': 'req_html' }))
  try {
    const err = await new Client({ apiKey: 'k', baseUrl: srv.baseUrl }).billing.getSummary().catch((e) => e)
    assert.ok(err instanceof ts.DecodeError && err instanceof ts.TicksupplyError, inspect(err))
    assert.equal(err.requestId, 'req_html')
  } finally {
    await srv.close()
  }
})

test('a redirect is an APIError and the key is not forwarded', async () => {
  const target = await rawServer(() => response(200, '[]'))
  const srv = await rawServer(() => response(302, '', { Location: `${target.baseUrl}/exchanges` }))
  try {
    const err = await new Client({ apiKey: 'k_redirect', baseUrl: srv.baseUrl }).exchanges.list().catch((e) => e)
    assert.ok(err instanceof ts.APIError, inspect(err))
    assert.equal(err.httpStatus, 302)
    assert.equal(target.requests.length, 0)
  } finally {
    await srv.close()
    await target.close()
  }
})

test('rotation takes effect on the next request; withOptions keeps the rest', async () => {
  const a = await mock.account()
  const b = await mock.account()
  const c = client(a)
  await c.exchanges.list()
  c.setApiKey(b)
  await c.exchanges.list()
  assert.equal((await mock.requests(a)).length, 1)
  assert.equal((await mock.requests(b)).length, 1)
  assert.throws(() => c.setApiKey(''), ts.ConfigurationError)
  const d = c.withOptions({ timeout: 1234, maxRetries: 1 })
  assert.equal(d.timeout, 1234)
  assert.equal(d.maxRetries, 1)
  assert.equal(d.baseUrl, c.baseUrl)
  assert.equal(c.timeout, 30000)
  await d.exchanges.list()
  assert.equal((await mock.requests(b)).length, 2, 'the derived client uses the rotated key')
})

test('100 concurrent calls on one client', async () => {
  const key = await mock.account()
  const c = client(key)
  const results = await Promise.all(Array.from({ length: 100 }, () => c.exchanges.list()))
  assert.equal(new Set(results.map((r) => r.requestId)).size, 100)
})

test('listAll forms are async iterables that keep filters and limit', async () => {
  const key = await mock.account()
  const c = client(key)
  const all = []
  for await (const i of c.exchanges.listAllInstruments('binance', { search: 'USDT', limit: 100 })) all.push(i)
  assert.ok(all.length > 100)
  assert.ok(all.every((i) => i.symbol.includes('USDT')))
  assert.equal(new Set(all.map((i) => i.symbol)).size, all.length, 'no duplicates')
  const queries = (await mock.requests(key)).map((r) => r.query ?? '')
  assert.ok(queries.every((q) => q.includes('search=USDT') && q.includes('limit=100')), queries.join('\n'))
  const ds = []
  for await (const d of c.exchanges.listAllDatastreams('kraken', 'XBT/USD')) ds.push(d)
  assert.ok(ds.length > 0)
  for await (const d of c.datastreams.listAll({ exchange: 'kraken' })) assert.equal(d.exchange, 'kraken')
  await c.subscriptions.create(1)
  const subs = []
  for await (const s of c.subscriptions.listAll({ limit: 1 })) subs.push(s)
  assert.equal(subs.length, 1)
})

test('subscription lifecycle with spans', async () => {
  const c = client(await mock.account())
  const sub = await c.subscriptions.create(1)
  assert.equal(await c.subscriptions.pause(sub.id), undefined, '204: nothing to return')
  assert.equal((await c.subscriptions.get(sub.id)).status, 'paused')
  await c.subscriptions.resume(sub.id)
  assert.equal((await c.subscriptions.get(sub.id)).status, 'active')
  const spans = await c.subscriptions.listSpans(sub.id)
  assert.equal(spans.length, 2)
  assert.ok(spans[0].ended_at)
  assert.equal(spans[1].ended_at, null)
  assert.match(spans.requestId, /^req_/)
  await c.subscriptions.delete(sub.id)
  assert.equal((await c.subscriptions.get(sub.id)).status, 'deleted')
  const again = await c.subscriptions.create(1)
  const dup = await c.subscriptions.create(1).catch((e) => e)
  assert.ok(dup instanceof ts.ConflictError, inspect(dup))
  assert.ok(again.id)
})

test('export schemas: create, draft, publish, delete', async () => {
  const c = client(await mock.account())
  const columns = [
    { output_column: 'ts', meta: { value: 'collection_timestamp_ns', format: 'iso8601' } },
    { output_column: 'price', data: { binance: { json: { path: 'data.p', type: 'decimal(18)' } } } },
  ]
  const s = await c.exportSchemas.create(`js_${Date.now()}`, 'trade', columns)
  assert.equal(s.version, 1)
  assert.equal(s.has_draft, false)
  await c.exportSchemas.createDraft(s.id)
  const qty = { output_column: 'qty', data: { binance: { json: { path: 'data.q', type: 'decimal(18)' } } } }
  await c.exportSchemas.updateDraft(s.id, [...columns, qty])
  assert.equal((await c.exportSchemas.getDraft(s.id)).columns.length, 3)
  const published = await c.exportSchemas.publishDraft(s.id)
  assert.equal(published.version, 2)
  assert.equal(published.columns.length, 3)
  assert.equal(await c.exportSchemas.delete(s.id), undefined)
  assert.ok((await c.exportSchemas.get(s.id).catch((e) => e)) instanceof ts.NotFoundError)
})

test('19-digit nanosecond timestamps round-trip as bigint; bad times are refused before sending', async () => {
  const c = client(await mock.account())
  await c.subscriptions.create(1)
  const start = 1704067200123456789n
  const job = await c.exports.create(1, start, new Date('2024-01-01T01:00:00Z'))
  assert.equal(job.start_time, start)
  assert.equal(job.end_time, 1704070800000000000n)
  const again = await c.exports.get(job.id)
  assert.equal(again.start_time, start)
  const av = await c.availability.get(1)
  assert.equal(typeof av.ranges[0].from, 'bigint')
  await assert.rejects(() => c.exports.create(1, 1.7e18, start), ts.ConfigurationError)
  await assert.rejects(() => c.exports.create(1, new Date('nope'), start), ts.ConfigurationError)
})

test('an AbortSignal cancels during the retry backoff; an aborted signal never sends', async () => {
  const key = await mock.account()
  await mock.fault(key, { method: 'GET', path_prefix: '/v1/billing', status: 503 })
  const c = client(key, { maxRetries: 5 })
  const started = Date.now()
  const err = await c.billing.getSummary({ signal: AbortSignal.timeout(300) }).catch((e) => e)
  assert.ok(err instanceof ts.CanceledError, inspect(err))
  assert.equal(err.name, 'AbortError')
  assert.ok(Date.now() - started < 1500, 'backoff would take seconds')
  const before = (await mock.requests(key)).length
  const ac = new AbortController()
  ac.abort()
  await assert.rejects(() => c.exchanges.list({ signal: ac.signal }), ts.CanceledError)
  assert.equal((await mock.requests(key)).length, before)
})

test('the logger gets one line per attempt, never the key', async () => {
  const key = await mock.account()
  await mock.fault(key, { method: 'GET', path_prefix: '/v1/billing', status: 503, times: 1 })
  const lines = []
  const c = client(key, { logger: (level, line) => lines.push(`${level} ${line}`) })
  await c.billing.getSummary()
  await new Promise((r) => setTimeout(r, 50))
  const attempts = lines.filter((l) => /billing/.test(l) && /status=/.test(l))
  assert.ok(attempts.length >= 2, lines.join('\n'))
  assert.ok(lines.some((l) => /attempt=2/.test(l)), lines.join('\n'))
  assert.ok(!lines.some((l) => l.includes(key)))
  client(key, { logger: () => {}, logLevel: 'off' })
})

test('TICKSUPPLY_LOG=debug logs attempts to stderr; an idle client lets the process exit', async () => {
  const key = await mock.account()
  const src = `
    const { Client } = require('.')
    const c = new Client({ apiKey: ${JSON.stringify(key)}, baseUrl: ${JSON.stringify(mock.baseUrl)} })
    c.exchanges.list().then((r) => console.log('ok', r.requestId))`
  const r = await runNode(src, { TICKSUPPLY_LOG: 'debug' })
  assert.equal(r.code, 0, r.err)
  assert.match(r.out, /^ok req_/)
  assert.match(r.err, /GET .*\/exchanges/)
  assert.ok(!r.err.includes(key))
  assert.ok(r.ms < 5000, `exited after ${r.ms} ms`)
})

test('the ESM entry exports the same classes', async () => {
  const esm = await import('../index.mjs')
  assert.equal(esm.Client, Client)
  assert.equal(esm.NotFoundError, ts.NotFoundError)
  assert.equal(esm.default.Client, Client)
})

test('the shipped types compile for an example program (tsc --noEmit)', async () => {
  const tsc = path.join(__dirname, '..', 'node_modules', 'typescript', 'bin', 'tsc')
  const r = await new Promise((resolve) => {
    const child = spawn(process.execPath, [tsc, '-p', path.join(__dirname, 'types')], { cwd: path.join(__dirname, '..') })
    let out = ''
    child.stdout.on('data', (d) => (out += d))
    child.on('exit', (code) => resolve({ code, out }))
  })
  assert.equal(r.code, 0, r.out)
})
