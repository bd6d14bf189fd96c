'use strict'
// tests/conformance/scenarios.json through the Node package (the Rust and Python runners run
// the same list).

const test = require('node:test')
const assert = require('node:assert/strict')
const fs = require('node:fs')
const path = require('node:path')
const { inspect } = require('node:util')

const ts = require('..')
const { startMock, ROOT } = require('./helpers')

const { scenarios } = JSON.parse(fs.readFileSync(path.join(ROOT, 'tests', 'conformance', 'scenarios.json'), 'utf8'))

// Operation names are the Python ones; a new operation in the list needs a line here.
const OPS = {
  'billing.get_summary': (c) => c.billing.getSummary(),
  'subscriptions.create': (c, a) => c.subscriptions.create(a.datastream_id),
  'subscriptions.get': (c, a) => c.subscriptions.get(a.id),
  'subscriptions.list': (c) => c.subscriptions.list(),
  'subscriptions.list_all': async (c, a, items) => {
    for await (const s of c.subscriptions.listAll()) items.push(s)
    return items
  },
}

let mock
test.before(async () => {
  mock = await startMock()
})
test.after(() => mock.stop())

for (const sc of scenarios) {
  test(sc.name, async () => {
    const key = await mock.account()
    for (const f of sc.faults) await mock.fault(key, f)
    const opts = sc.client ?? {}
    const lines = []
    const client = new ts.Client({
      apiKey: key,
      baseUrl: mock.baseUrl,
      maxRetries: opts.max_retries ?? 3,
      timeout: opts.timeout_ms,
      logger: (level, line) => lines.push(line),
      logLevel: 'trace',
    })
    const want = sc.expect
    const op = OPS[sc.call]
    assert.ok(op, `no mapping for ${sc.call}`)
    const items = []
    const started = performance.now()
    let result
    let error
    try {
      result = await op(client, sc.args ?? {}, items)
    } catch (e) {
      error = e
    }
    const elapsed = performance.now() - started
    await mock.control('DELETE', '/faults', undefined, key)
    const api = (await mock.requests(key)).filter((r) => r.path.startsWith('/v1/'))

    if (want.ok) {
      assert.equal(error, undefined, `expected success, got ${inspect(error)}`)
    } else {
      assert.ok(error instanceof ts[want.error], `expected ${want.error}, got ${inspect(error)}`)
      if ('code' in want) assert.equal(error.code, want.code)
      if ('status' in want) assert.equal(error.httpStatus, want.status)
      if ('retry_after' in want) assert.equal(error.retryAfter, want.retry_after)
      if ('request_id' in want) assert.equal(error.requestId !== null, want.request_id, inspect(error))
      assert.ok(!error.message.includes(key.slice(-8)), 'the key leaked into the message')
    }
    if ('attempts' in want) assert.equal(api.length, want.attempts, inspect(api.map((r) => [r.method, r.path, r.status])))
    if (want.same_idempotency_key) {
      const keys = new Set(api.filter((r) => r.method === 'POST').map((r) => r.headers['idempotency-key']))
      assert.equal(keys.size, 1)
      assert.ok(!keys.has(undefined))
    }
    if ('subscriptions_after' in want) assert.equal((await client.subscriptions.list()).total, want.subscriptions_after)
    if ('min_ms' in want) assert.ok(elapsed >= want.min_ms, `${elapsed} ms`)
    if ('max_ms' in want) assert.ok(elapsed <= want.max_ms, `${elapsed} ms`)
    for (const [name, value] of Object.entries(want.field ?? {})) assert.equal(result[name], value)
    if ('items' in want) assert.equal(result.items.length, want.items)
    if ('items_before_error' in want) assert.equal(items.length, want.items_before_error)
    for (const p of want.paths ?? []) assert.ok(api.some((r) => r.path === p), inspect(api.map((r) => r.path)))
    // Leak canary: the key (its secret part) appears in no log line, inspect output or message.
    await new Promise((r) => setImmediate(r))
    const secret = key.slice(0, -4)
    assert.ok(lines.length > 0 || api.length === 0, 'debug logging was on')
    for (const shown of [lines.join('\n'), inspect(client, { showHidden: true }), String(client), JSON.stringify(client), inspect(error), inspect(result)]) {
      assert.ok(!shown.includes(secret))
    }
  })
}
