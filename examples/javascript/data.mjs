// @ts-check
// Export data: an export's rows as Arrow, typed from its schema — as an apache-arrow table, in
// bounded memory, as Parquet (the same lines in Python and Rust: examples/*/data.*).
//
// Run against the local mock: scripts/with-mock -- node examples/javascript/data.mjs
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

import { tableFromIPC } from 'apache-arrow'
import { Client, readArtifacts } from 'ticksupply'

const client = new Client()
await client.subscriptions.create(1)
const job = await client.exports.create(1, '2024-03-01T00:00:00Z', '2024-03-01T02:00:00Z', { schema: 'normalized' })
await client.exports.wait(job.id, { pollInterval: 100 })

// --8<-- [start:dataframes]
const data = client.exports.data(job.id) // each read downloads and decodes the artifacts
const table = await data.toArrow()
console.log(`rows: ${table.numRows}`)
console.log(`columns: ${table.schema.fields.map((f) => f.name).join(', ')}`)
// --8<-- [end:dataframes]

// --8<-- [start:batches]
let rows = 0
for await (const ipc of data.batches()) rows += tableFromIPC(ipc).numRows // one batch at a time
console.log(`batches: ${rows} rows`)
// --8<-- [end:batches]

// --8<-- [start:parquet]
const dir = await mkdtemp(join(tmpdir(), 'ticksupply-'))
const path = join(dir, 'trades.parquet')
await data.toParquet(path) // written to trades.parquet.part, renamed when complete
console.log(`parquet: ${(await readArtifacts([path]).toArrow()).numRows} rows`)
await rm(dir, { recursive: true })
// --8<-- [end:parquet]
