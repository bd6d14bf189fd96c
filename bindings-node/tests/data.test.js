'use strict'
// Export data as Arrow from JavaScript: IPC buffers read by apache-arrow, exact values against
// an independent reader (zlib + a small CSV parser), batches, Parquet, and clear errors.

const test = require('node:test')
const assert = require('node:assert/strict')
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const zlib = require('node:zlib')
const arrow = require('apache-arrow')

const ts = require('..')
const { startMock } = require('./helpers')

let mock
test.before(async () => {
  mock = await startMock(['--artifact-size', '40000'])
})
test.after(() => mock.stop())

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'ts-node-data-'))

async function finished(create = {}) {
  const key = await mock.account()
  const c = new ts.Client({ apiKey: key, baseUrl: mock.baseUrl })
  await c.subscriptions.create(1)
  const job = await c.exports.create(1, '2024-01-01T00:00:00Z', '2024-01-01T02:00:00Z', create)
  await c.exports.wait(job.id, { pollInterval: 50, timeout: 10000 })
  return { c, id: job.id, key }
}

/** RFC 4180 records of a CSV text (quotes, doubled quotes, newlines in fields). */
function parseCsv(text) {
  const rows = []
  let row = []
  let field = ''
  let quoted = false
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') (field += '"'), i++
      else if (ch === '"') quoted = false
      else field += ch
    } else if (ch === '"') quoted = true
    else if (ch === ',') row.push(field), (field = '')
    else if (ch === '\n') row.push(field), rows.push(row), (row = []), (field = '')
    else field += ch
  }
  if (field !== '' || row.length) row.push(field), rows.push(row)
  return rows
}

async function independentRows(c, id) {
  const out = []
  let header
  for (const a of (await c.exports.getDownload(id)).artifacts) {
    const body = Buffer.from(await (await fetch(a.url)).arrayBuffer())
    const [h, ...rows] = parseCsv(zlib.gunzipSync(body).toString('utf8'))
    header = h
    out.push(...rows)
  }
  return { header, rows: out }
}

test('a raw export reads into apache-arrow with exact bigint nanoseconds', async () => {
  const { c, id } = await finished()
  const { header, rows } = await independentRows(c, id)
  const table = arrow.tableFromIPC(await c.exports.data(id).toIPC())
  assert.deepEqual(table.schema.fields.map((f) => f.name), header)
  assert.equal(table.numRows, rows.length)
  const tsCol = table.getChild('collection_timestamp_ns').toArray()
  assert.equal(typeof tsCol[0], 'bigint')
  assert.deepEqual(Array.from(tsCol), rows.map((r) => BigInt(r[0])))
  assert.deepEqual(table.getChild('data').toArray(), rows.map((r) => r[1]))
  const viaToArrow = await c.exports.data(id).toArrow()
  assert.equal(viaToArrow.numRows, rows.length)
})

test('normalized decimals come as exact strings, or as Arrow decimals on request', async () => {
  const { c, id } = await finished({ schema: 'normalized' })
  const { header, rows } = await independentRows(c, id)
  const price = header.indexOf('price')
  const table = arrow.tableFromIPC(await c.exports.data(id, { schema: 'normalized' }).toIPC())
  const got = table.getChild('price').toArray()
  assert.equal(got.length, rows.length)
  for (let i = 0; i < rows.length; i++) {
    const [int, frac = ''] = rows[i][price].split('.')
    assert.equal(got[i], `${int}.${frac.padEnd(18, '0')}`)
  }
  const dec = arrow.tableFromIPC(await c.exports.data(id, { schema: 'normalized', decimals: 'decimal' }).toIPC())
  assert.equal(dec.schema.fields[price].type.typeId, arrow.Type.Decimal)
  assert.equal(dec.schema.fields[price].type.scale, 18)
  const ns = arrow.tableFromIPC(await c.exports.data(id, { schema: 'normalized', timestamps: 'timestamp' }).toIPC())
  assert.equal(ns.schema.fields[0].type.typeId, arrow.Type.Timestamp)
})

test('batches() yields one IPC buffer per batch; toParquet writes a file read back equal', async () => {
  const { c, id } = await finished()
  const whole = arrow.tableFromIPC(await c.exports.data(id).toIPC())
  let n = 0
  let batches = 0
  for await (const buf of c.exports.data(id, { batchRows: 50 }).batches()) {
    const t = arrow.tableFromIPC(buf)
    assert.ok(t.numRows <= 50)
    n += t.numRows
    batches++
  }
  assert.equal(n, whole.numRows)
  assert.ok(batches > 1)
  const dir = tmp()
  const file = path.join(dir, 'sub', 'x.parquet')
  assert.equal(await c.exports.data(id).toParquet(file), whole.numRows)
  assert.ok(!fs.existsSync(file + '.part'))
  const back = arrow.tableFromIPC(await ts.readArtifacts([file]).toIPC())
  assert.deepEqual(Array.from(back.getChild('collection_timestamp_ns').toArray()), Array.from(whole.getChild('collection_timestamp_ns').toArray()))
  assert.deepEqual(back.getChild('data').toArray(), whole.getChild('data').toArray())
})

test('bad input rejects with DataError naming the file; bad options with ConfigurationError', async () => {
  const dir = tmp()
  const whole = zlib.gzipSync(Buffer.from('a,b\n1,2\n'.repeat(1000)))
  const truncated = path.join(dir, 'truncated.csv.gz')
  fs.writeFileSync(truncated, whole.subarray(0, whole.length >> 1))
  const e = await ts.readArtifacts([truncated]).toIPC().catch((x) => x)
  assert.ok(e instanceof ts.DataError, String(e))
  assert.match(e.message, /truncated\.csv\.gz/)
  const e2 = await ts.readArtifacts([path.join(dir, 'none.csv.gz')]).toIPC().catch((x) => x)
  assert.ok(e2 instanceof ts.DataError)
  assert.throws(() => ts.readArtifacts([truncated], { decimals: 'float' }), ts.ConfigurationError)
  const { c } = await finished()
  const e3 = await c.exports.data('exp_nope').toIPC().catch((x) => x)
  assert.ok(e3 instanceof ts.NotFoundError, String(e3))
})

test('an aborted read rejects with CanceledError', async () => {
  const { c, id } = await finished()
  const ac = new AbortController()
  ac.abort()
  const e = await c.exports.data(id, { signal: ac.signal }).toIPC().catch((x) => x)
  assert.ok(e instanceof ts.CanceledError)
})

test('an aborted toParquet stops and leaves no file', async () => {
  const { c, id, key } = await finished()
  // Every artifact request waits, so that the abort lands mid-way.
  await mock.fault(key, { path_prefix: '/artifacts/', delay_ms: 3000 })
  const dir = tmp()
  const file = path.join(dir, 'out.parquet')
  const ac = new AbortController()
  setTimeout(() => ac.abort(), 300)
  const started = Date.now()
  const e = await c.exports.data(id).toParquet(file, { signal: ac.signal }).catch((x) => x)
  assert.ok(e instanceof ts.CanceledError, String(e))
  assert.ok(Date.now() - started < 2000)
  await new Promise((r) => setTimeout(r, 4000)) // past the delayed answers
  assert.deepEqual(fs.readdirSync(dir), [])
})

test('an error mid-stream reaches batches() as DataError, values are exact or refused', async () => {
  const dir = tmp()
  let rows = 'a,b\r'
  for (let i = 0; i < 200000; i++) rows += `${i},x\r`
  const late = path.join(dir, 'late.csv.gz')
  fs.writeFileSync(late, zlib.gzipSync(Buffer.from(rows + 'oops"here,y\r')))
  let seen = 0
  const e = await (async () => {
    for await (const buf of ts.readArtifacts([late]).batches()) seen += arrow.tableFromIPC(buf).numRows
  })().catch((x) => x)
  assert.ok(e instanceof ts.DataError, String(e))
  assert.match(e.message, /late\.csv\.gz: data row 200001/)
  assert.ok(seen <= 200000)
  const dec = { columns: [{ output_column: 'p', data: { x: { json: { path: 'p', type: 'decimal(2)' } } } }] }
  const bad = path.join(dir, 'bad.csv.gz')
  fs.writeFileSync(bad, zlib.gzipSync(Buffer.from('p\n1.5\n1.239\n')))
  const e2 = await ts.readArtifacts([bad], { schema: dec }).toIPC().catch((x) => x)
  assert.ok(e2 instanceof ts.DataError, String(e2))
  assert.match(e2.message, /bad\.csv\.gz: data row 2, column "p": .*decimal places/)
})
