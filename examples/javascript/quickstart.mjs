// @ts-check
// Quick start: the first calls a new user makes, each printing its request id.
//
// Run against the local mock: scripts/with-mock -- node examples/javascript/quickstart.mjs
import { mkdtemp, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

import { APITimeoutError, Client, ConflictError, ExportFailedError, NotFoundError } from 'ticksupply'

// --8<-- [start:client]
const client = new Client()
// --8<-- [end:client]

// --8<-- [start:exchanges]
const exchanges = await client.exchanges.list()
console.log(`exchanges: ${exchanges.length} (request_id: ${exchanges.requestId})`)
for (const ex of exchanges) console.log(`  ${ex.code.padEnd(15)} ${ex.display_name}`)
// --8<-- [end:exchanges]

// --8<-- [start:instruments]
const page = await client.exchanges.listInstruments('binance', { search: 'BTC', limit: 10 })
console.log(`instruments matching BTC: ${page.items.length} of ${page.total} (request_id: ${page.requestId})`)
// --8<-- [end:instruments]

// --8<-- [start:datastream]
const ds = await client.datastreams.list({ exchange: 'binance', instrument: 'BTCUSDT', streamType: 'trades' })
const stream = ds.items[0]
console.log(`datastream ${stream.datastream_id} (request_id: ${ds.requestId})`)
// --8<-- [end:datastream]

// --8<-- [start:subscribe]
let sub
try {
  sub = await client.subscriptions.create(stream.datastream_id)
} catch (e) {
  if (e instanceof ConflictError) {
    console.error(`already subscribed: ${e.message}`)
    process.exit(1)
  }
  throw e
}
console.log(`subscribed ${sub.id} (request_id: ${sub.requestId})`)
// --8<-- [end:subscribe]

// --8<-- [start:export]
const now = new Date()
const job = await client.exports.create(stream.datastream_id, new Date(now.getTime() - 3600_000), now)
console.log(`export ${job.id} ${job.status} (request_id: ${job.requestId})`)
try {
  const done = await client.exports.wait(job.id, { timeout: 60_000 })
  const dir = await mkdtemp(join(tmpdir(), 'ticksupply-'))
  const files = await client.exports.download(done.id, dir)
  let size = 0
  for (const f of files) size += (await stat(f)).size
  console.log(`downloaded ${files.length} files (${size} bytes)`)
  await rm(dir, { recursive: true })
  // Or straight into an Arrow table, typed from the export's schema, decoded while it downloads:
  const table = await client.exports.data(done.id).toArrow()
  console.log(`data: ${table.numRows} rows (${table.schema.fields.map((f) => f.name).join(', ')})`)
} catch (e) {
  if (!(e instanceof ExportFailedError || e instanceof APITimeoutError)) throw e
  console.log(`export did not finish: ${e.message}`)
}
// --8<-- [end:export]

// --8<-- [start:errors]
try {
  await client.subscriptions.get('sub_does_not_exist')
} catch (e) {
  if (!(e instanceof NotFoundError)) throw e
  console.log(`not found, as expected: ${e.message}`)
}
// --8<-- [end:errors]
await client.subscriptions.delete(sub.id)
