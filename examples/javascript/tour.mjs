// @ts-check
// The docs' walkthroughs after the quick start, one section each. Every language's tour prints
// the same lines (make test checks it).
//
// Run against the local mock: scripts/with-mock --rate-limit-minute 60 -- node examples/javascript/tour.mjs
import { AuthenticationError, Client, NotFoundError, RateLimitError } from 'ticksupply'

const client = new Client() // the key from TICKSUPPLY_API_KEY, the URL from TICKSUPPLY_BASE_URL

console.log('== pagination')
// --8<-- [start:pagination]
let page = await client.exchanges.listInstruments('binance', { search: 'BTC', limit: 500 })
let pages = 1
while (page.next_page_token) {
  page = await client.exchanges.listInstruments('binance', { search: 'BTC', limit: 500, pageToken: page.next_page_token })
  pages += 1
}
console.log(`manual: ${pages} pages, ${page.total} instruments`)
let count = 0
for await (const _ of client.exchanges.listAllInstruments('binance', { search: 'BTC', limit: 500 })) count += 1
console.log(`auto: ${count} instruments`)
// --8<-- [end:pagination]

console.log('== datastreams')
// --8<-- [start:datastreams]
const byFilter = await client.datastreams.list({ exchange: 'kraken', instrument: 'XBT/USD', streamType: 'trades' })
const byPath = await client.exchanges.listDatastreams('kraken', 'XBT/USD', { streamType: 'trades' })
console.log(`kraken XBT/USD trades: ${byFilter.items[0].datastream_id} = ${byPath.items[0].datastream_id}`)
// --8<-- [end:datastreams]

console.log('== subscriptions')
// --8<-- [start:subscriptions]
const sub = await client.subscriptions.create(byFilter.items[0].datastream_id)
await client.subscriptions.pause(sub.id)
await client.subscriptions.resume(sub.id)
const spans = await client.subscriptions.listSpans(sub.id)
const openSpans = spans.filter((s) => s.ended_at === null).length
console.log(`${(await client.subscriptions.get(sub.id)).status}, ${spans.length} spans, ${openSpans} open`)
let subs = 0
for await (const _ of client.subscriptions.listAll()) subs += 1
console.log(`subscriptions: ${subs}`)
await client.subscriptions.delete(sub.id)
console.log(`after delete: ${(await client.subscriptions.get(sub.id)).status}`)
// --8<-- [end:subscriptions]

console.log('== export schemas')
// --8<-- [start:export-schemas]
const columns = [
  { output_column: 'ts', meta: { value: 'collection_timestamp_ns', format: 'iso8601' } },
  { output_column: 'price', data: { binance: { json: { path: 'data.p', type: 'decimal(18)' } } } },
]
const schema = await client.exportSchemas.create('tour-trades', 'trade', columns)
await client.exportSchemas.createDraft(schema.id)
const qty = { output_column: 'qty', data: { binance: { json: { path: 'data.q', type: 'decimal(18)' } } } }
await client.exportSchemas.updateDraft(schema.id, [...columns, qty])
const published = await client.exportSchemas.publishDraft(schema.id)
console.log(`${published.name}: version ${schema.version} -> ${published.version}, ${published.columns.length} columns`)
await client.exportSchemas.delete(schema.id)
// --8<-- [end:export-schemas]

console.log('== availability')
// --8<-- [start:availability]
const availability = await client.availability.get(1)
console.log(`datastream 1: ${availability.ranges.length} ranges, first from ${availability.ranges[0].from}`)
// --8<-- [end:availability]

console.log('== billing')
// --8<-- [start:billing]
const summary = await client.billing.getSummary()
console.log(`access: ${summary.access_status}`)
// --8<-- [end:billing]

console.log('== configuration')
// --8<-- [start:configuration]
const quick = client.withOptions({ timeout: 5000, maxRetries: 1 })
console.log(`with_options: timeout ${quick.timeout / 1000}s, ${quick.maxRetries} retries`)
client.setApiKey('ts_revoked_key')
try {
  await client.billing.getSummary()
} catch (e) {
  if (!(e instanceof AuthenticationError)) throw e
  console.log(`rotated to a bad key: ${e.code} ${e.httpStatus}`)
}
client.setApiKey(process.env.TICKSUPPLY_API_KEY ?? '')
console.log(`rotated back: ${(await client.billing.getSummary()).access_status}`)
// --8<-- [end:configuration]

console.log('== errors')
// --8<-- [start:errors]
try {
  await client.subscriptions.get('sub_missing')
} catch (e) {
  if (!(e instanceof NotFoundError)) throw e
  console.log(`${e.name}: ${e.code} ${e.httpStatus} request id: ${e.requestId !== null ? 'True' : 'False'}`)
}
const strict = client.withOptions({ maxRetries: 0 })
try {
  for (;;) await strict.exchanges.list()
} catch (e) {
  if (!(e instanceof RateLimitError)) throw e
  console.log(`${e.name}: ${e.code} ${e.httpStatus} retry after: ${e.retryAfter !== null ? 'True' : 'False'}`)
}
// --8<-- [end:errors]
