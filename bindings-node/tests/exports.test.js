'use strict'
// Exports end to end through JavaScript: wait, download (resume, refresh, no key), failures.

const test = require('node:test')
const assert = require('node:assert/strict')
const crypto = require('node:crypto')
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const { inspect } = require('node:util')

const ts = require('..')
const { startMock } = require('./helpers')

let mock
test.before(async () => {
  mock = await startMock(['--artifact-size', '300000'])
})
test.after(() => mock.stop())

async function exportFor(m) {
  const key = await m.account()
  const c = new ts.Client({ apiKey: key, baseUrl: m.baseUrl })
  await c.subscriptions.create(1)
  const job = await c.exports.create(1, '2024-01-01T00:00:00Z', '2024-01-01T01:00:00Z')
  return { key, c, job }
}

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'ts-node-'))

async function expectedBytes(c, id) {
  const dl = await c.exports.getDownload(id)
  const out = {}
  for (const a of dl.artifacts) {
    const body = Buffer.from(await (await fetch(a.url)).arrayBuffer())
    assert.equal(body.length, a.bytes)
    out[a.filename] = crypto.createHash('sha256').update(body).digest('hex')
  }
  return out
}

test('wait then download: byte-exact files, no .part left, no key sent to the artifact host', async () => {
  const { key, c, job } = await exportFor(mock)
  const done = await c.exports.wait(job.id, { timeout: 10000, pollInterval: 50 })
  assert.equal(done.status, 'succeeded')
  const dir = tmp()
  const paths = await c.exports.download(job.id, dir)
  assert.ok(paths.length >= 1)
  const want = await expectedBytes(c, job.id)
  for (const p of paths) {
    const got = crypto.createHash('sha256').update(fs.readFileSync(p)).digest('hex')
    assert.equal(got, want[path.basename(p)])
  }
  assert.deepEqual(fs.readdirSync(dir).filter((f) => f.endsWith('.part')), [])
  const artifactRequests = await mock.requests(key, 'artifacts')
  assert.ok(artifactRequests.length >= paths.length)
  assert.ok(artifactRequests.every((r) => !Object.keys(r.headers).includes('x-api-key')))
  const again = await c.exports.download(job.id, dir).catch((e) => e)
  assert.ok(again instanceof ts.DownloadError, inspect(again))
  assert.equal((await c.exports.download(job.id, dir, { overwrite: true })).length, paths.length)
})

test('a connection dropped halfway is resumed and the file is still exact', async () => {
  const { key, c, job } = await exportFor(mock)
  await c.exports.wait(job.id, { timeout: 10000, pollInterval: 50 })
  await mock.fault(key, { path_prefix: '/artifacts/', drop_after_bytes: 100000, times: 1 })
  const dir = tmp()
  const paths = await c.exports.download(job.id, dir)
  const want = await expectedBytes(c, job.id)
  for (const p of paths) {
    assert.equal(crypto.createHash('sha256').update(fs.readFileSync(p)).digest('hex'), want[path.basename(p)])
  }
  const ranges = (await mock.requests(key, 'artifacts')).filter((r) => r.headers.range)
  assert.ok(ranges.some((r) => r.headers.range.startsWith('bytes=100000-')), inspect(ranges))
})

test('an expired presigned URL is replaced by a fresh one', async () => {
  const { key, c, job } = await exportFor(mock)
  await c.exports.wait(job.id, { timeout: 10000, pollInterval: 50 })
  // What an object store answers for a presigned URL past its expiry.
  const expired = '<Error><Code>AccessDenied</Code><Message>Request has expired</Message></Error>'
  await mock.fault(key, { path_prefix: '/artifacts/', status: 403, body: expired, content_type: 'application/xml', times: 1 })
  const paths = await c.exports.download(job.id, tmp())
  const want = await expectedBytes(c, job.id)
  for (const p of paths) {
    assert.equal(crypto.createHash('sha256').update(fs.readFileSync(p)).digest('hex'), want[path.basename(p)])
  }
  assert.ok((await mock.requests(key, 'artifacts')).some((r) => r.status === 403))
  const listings = (await mock.requests(key)).filter((r) => r.path.endsWith('/download'))
  assert.ok(listings.length >= 3, 'fresh URLs were fetched after the 403 (plus the check above)')
})

test('failed and canceled exports reject with the job; a slow one times out with its id', async () => {
  const failed = await exportFor(mock)
  await mock.control('POST', `/exports/${failed.job.id}/fail`, { reason: 'disk on fire' }, failed.key)
  const e1 = await failed.c.exports.wait(failed.job.id, { timeout: 10000, pollInterval: 50 }).catch((e) => e)
  assert.ok(e1 instanceof ts.ExportFailedError, inspect(e1))
  assert.equal(e1.job.status, 'failed')
  assert.equal(e1.job.id, failed.job.id)
  assert.equal(typeof e1.job.start_time, 'bigint')

  const canceled = await exportFor(mock)
  await canceled.c.exports.cancel(canceled.job.id)
  const e2 = await canceled.c.exports.wait(canceled.job.id, { timeout: 10000, pollInterval: 50 }).catch((e) => e)
  assert.ok(e2 instanceof ts.ExportFailedError, inspect(e2))
  assert.equal(e2.job.status, 'canceled')

  const slow = await exportFor(mock)
  const e3 = await slow.c.exports.wait(slow.job.id, { timeout: 20, pollInterval: 10 }).catch((e) => e)
  assert.ok(e3 instanceof ts.APITimeoutError, inspect(e3))
  assert.equal(e3.jobId, slow.job.id)
})

test('progress reports grow to the total; rows are parsed in the core, header-keyed', async () => {
  const { c, job } = await exportFor(mock)
  await c.exports.wait(job.id, { timeout: 10000, pollInterval: 50 })
  const seen = []
  const paths = await c.exports.download(job.id, tmp(), { onProgress: (done, total) => seen.push([done, total]) })
  const files = await expectedBytes(c, job.id)
  await new Promise((r) => setImmediate(r))
  const total = paths.reduce((n, p) => n + fs.statSync(p).size, 0)
  assert.ok(seen.length > 0)
  assert.deepEqual(seen.at(-1), [total, total])
  assert.ok(seen.every(([d], i) => i === 0 || d >= seen[i - 1][0]))
  await assert.rejects(() => c.exports.download(job.id, tmp(), { onProgress: 5 }), ts.ConfigurationError)

  const rows = []
  for await (const row of c.exports.rows(job.id)) rows.push(row)
  const zlib = require('node:zlib')
  let lines = 0
  let first = null
  for (const name of Object.keys(files)) {
    const dl = await c.exports.getDownload(job.id)
    const a = dl.artifacts.find((x) => x.filename === name)
    const text = zlib.gunzipSync(Buffer.from(await (await fetch(a.url)).arrayBuffer())).toString()
    const all = text.trimEnd().split('\n')
    lines += all.length - 1
    first ??= all[1]
  }
  assert.equal(rows.length, lines)
  assert.deepEqual(Object.keys(rows[0]), ['collection_timestamp_ns', 'data'])
  assert.ok(first.startsWith(rows[0].collection_timestamp_ns + ','))
  assert.equal(typeof JSON.parse(rows[0].data), 'object', 'CSV quoting undone')
})

test('300 concurrent creates with 20% failing after commit: no loss, no duplicates', async () => {
  const key = await mock.account()
  const c = new ts.Client({ apiKey: key, baseUrl: mock.baseUrl, maxRetries: 8 })
  await c.subscriptions.create(1)
  await mock.fault(key, { method: 'POST', path_prefix: '/v1/exports', status: 503, after_commit: true, probability: 0.2 })
  const jobs = await Promise.all(
    Array.from({ length: 300 }, (_, n) => c.exports.create(1, BigInt(n), BigInt(n) + 1_000_000_000n)),
  )
  await mock.control('DELETE', '/faults', undefined, key)
  const posts = (await mock.requests(key)).filter((r) => r.method === 'POST' && r.path === '/v1/exports')
  assert.ok(posts.filter((r) => r.status === 503).length > 20, 'the fault fired')
  assert.equal(new Set(jobs.map((j) => j.id)).size, 300)
  const stored = []
  for await (const j of c.exports.listAll()) stored.push(j.id)
  assert.equal(stored.length, 300)
  assert.deepEqual(new Set(stored), new Set(jobs.map((j) => j.id)))
})
