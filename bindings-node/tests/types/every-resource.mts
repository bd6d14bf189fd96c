// Compiled by `npm run typecheck` (tsc --noEmit -p tests/types), never run: every resource
// method resolves to its concrete type, and the result interfaces have the API's field names
// and types (bigint nanoseconds, string-literal unions for enums).
import {
  Client,
  ExportFailedError,
  type AccessStatus,
  type ArtifactDownload,
  type AvailabilityRange,
  type AvailabilityResponse,
  type BillingSummary,
  type BillingUsage,
  type DatastreamInfo,
  type Exchange,
  type ExportData,
  type ExportDownloadResponse,
  type ExportJob,
  type ExportSchemaListItem,
  type ExportSchemaWithVersion,
  type ExportStatus,
  type Instrument,
  type Page,
  type PaginatedDatastreams,
  type PaginatedExportJobs,
  type PaginatedInstruments,
  type PaginatedSubscriptions,
  type RateLimit,
  type Result,
  type SchemaColumn,
  type SchemaContent,
  type StreamCategory,
  type Subscription,
  type SubscriptionResponse,
  type SubscriptionSpan,
  type SubscriptionStatus,
} from 'ticksupply'

// Compile-time assertions: `Expect<Equal<A, B>>` fails to compile unless A and B are the same type.
type Equal<X, Y> = (<T>() => T extends X ? 1 : 2) extends <T>() => T extends Y ? 1 : 2 ? true : false
type Expect<T extends true> = T
/** Asserts the type of a value at compile time: `is<Expected>()(value)`. */
function is<Expected>() {
  return <Actual,>(value: Actual & ([Equal<Actual, Expected>] extends [true] ? unknown : never)): Actual => value
}

const c = new Client({ apiKey: 'ts_example_key' })
const signal = AbortSignal.timeout(10_000)

// exchanges
const exchanges = is<Result<Exchange[]>>()(await c.exchanges.list({ signal }))
is<string>()(exchanges[0].display_name)
is<string | null>()(exchanges.requestId)
is<RateLimit>()(exchanges.rateLimit)
const instruments = is<Result<PaginatedInstruments>>()(
  await c.exchanges.listInstruments('binance', { search: 'BTC', base: 'BTC', quote: 'USDT', instrumentType: 'spot', limit: 10 }),
)
is<Instrument[]>()(instruments.items)
is<number>()(instruments.total)
is<string | null>()(instruments.next_page_token)
is<string | null | undefined>()(instruments.items[0].base)
type _page = Expect<Equal<PaginatedInstruments, Page<Instrument>>>
is<Result<PaginatedInstruments>>()(await c.exchanges.listInstruments('binance', { pageToken: instruments.next_page_token ?? undefined }))
is<Result<PaginatedDatastreams>>()(await c.exchanges.listDatastreams('kraken', 'XBT/USD', { streamType: 'trades', wireFormat: 'json' }))
is<AsyncIterable<Instrument>>()(c.exchanges.listAllInstruments('binance', { search: 'BTC', limit: 500 }))
is<AsyncIterable<DatastreamInfo>>()(c.exchanges.listAllDatastreams('kraken', 'XBT/USD', { streamType: 'trades' }))
for await (const i of c.exchanges.listAllInstruments('binance')) is<string>()(i.symbol)

// datastreams
const ds = is<Result<PaginatedDatastreams>>()(await c.datastreams.list({ exchange: 'binance', instrument: 'BTCUSDT', limit: 5 }))
is<number>()(ds.items[0].datastream_id)
is<AsyncIterable<DatastreamInfo>>()(c.datastreams.listAll({ exchange: 'kraken', limit: 7 }))

// subscriptions
const sub = is<Result<SubscriptionResponse>>()(await c.subscriptions.create(1, { idempotencyKey: 'k', signal }))
is<DatastreamInfo>()(sub.datastream)
is<SubscriptionSpan[]>()(sub.spans)
const got = is<Result<Subscription>>()(await c.subscriptions.get(sub.id))
is<SubscriptionStatus>()(got.status)
is<number>()(got.datastream_id)
is<DatastreamInfo | null | undefined>()(got.datastream)
is<Result<PaginatedSubscriptions>>()(await c.subscriptions.list({ limit: 10 }))
is<AsyncIterable<Subscription>>()(c.subscriptions.listAll({ limit: 50 }))
const spans = is<Result<SubscriptionSpan[]>>()(await c.subscriptions.listSpans(sub.id))
is<string | null>()(spans[0].ended_at)
is<void>()(await c.subscriptions.pause(sub.id))
is<void>()(await c.subscriptions.resume(sub.id, { idempotencyKey: 'k' }))
is<void>()(await c.subscriptions.delete(sub.id))

// exports
const job = is<Result<ExportJob>>()(await c.exports.create(1, 1704067200000000000n, new Date(), { format: 'parquet', formatOptions: {} }))
const j: ExportJob = await c.exports.get('x')
is<bigint>()(j.start_time)
is<bigint>()(job.end_time)
is<ExportStatus>()(job.status)
is<string | null | undefined>()(job.reason)
const schemaColumns: SchemaColumn[] = [
  { output_column: 'ts', meta: { value: 'collection_timestamp_ns', format: 'iso8601' } },
  { output_column: 'price', data: { binance: { json: { path: 'data.p', type: 'decimal(18)' } } } },
]
const inline: SchemaContent = { columns: schemaColumns, unfold: { binance: { path: 'data' } } }
is<Result<ExportJob>>()(await c.exports.create({ datastreamId: 1, startTime: '2024-01-01T00:00:00Z', endTime: 1n, schema: inline }))
is<Result<ExportJob>>()(await c.exports.create(1, 0, 1_000, { schema: 'normalized' }))
is<Result<PaginatedExportJobs>>()(await c.exports.list({ limit: 10 }))
is<AsyncIterable<ExportJob>>()(c.exports.listAll())
const download = is<Result<ExportDownloadResponse>>()(await c.exports.getDownload(job.id))
is<ArtifactDownload[]>()(download.artifacts)
is<number>()(download.total_bytes)
is<ExportJob>()(await c.exports.wait(job.id, { timeout: 60_000, pollInterval: 500, signal }))
is<string[]>()(await c.exports.download(job.id, './data', { overwrite: true, concurrency: 2, onProgress: (done, total) => done / total }))
is<AsyncIterable<Record<string, string>>>()(c.exports.rows(job.id))
is<ExportData>()(c.exports.data(job.id, { schema: inline, decimals: 'decimal', timestamps: 'timestamp' }))
is<void>()(await c.exports.cancel(job.id))
is<void>()(await c.exports.delete(job.id, { idempotencyKey: 'k' }))

// export schemas
const schemas = is<Result<ExportSchemaListItem[]>>()(await c.exportSchemas.list())
is<StreamCategory>()(schemas[0].stream_category)
const schema = is<Result<ExportSchemaWithVersion>>()(
  await c.exportSchemas.create('mine', 'trade', schemaColumns, {
    unfold: { binance: { path: 'data' } },
    derive: {
      binance: [
        { field: 'levels', op: 'tagged_concat', arrays: [{ path: 'b', tag: 'bid' }], tag_field: 'side', value_field: 'level' },
      ],
    },
  }),
)
is<SchemaColumn[]>()(schema.columns)
is<number>()(schema.version)
is<Result<ExportSchemaWithVersion>>()(await c.exportSchemas.get(schema.id))
is<Result<ExportSchemaWithVersion>>()(await c.exportSchemas.update(schema.id, schema.columns, { unfold: null }))
is<Result<ExportSchemaWithVersion>>()(await c.exportSchemas.createDraft(schema.id))
is<Result<ExportSchemaWithVersion>>()(await c.exportSchemas.createDraft(schema.id, { columns: schemaColumns }))
is<Result<ExportSchemaWithVersion>>()(await c.exportSchemas.getDraft(schema.id))
is<Result<ExportSchemaWithVersion>>()(await c.exportSchemas.updateDraft(schema.id, schemaColumns))
is<void>()(await c.exportSchemas.discardDraft(schema.id))
is<Result<ExportSchemaWithVersion>>()(await c.exportSchemas.publishDraft(schema.id))
is<void>()(await c.exportSchemas.delete(schema.id))
is<ExportData>()(c.exports.data(job.id, { schema }))

// availability and billing
const availability = is<Result<AvailabilityResponse>>()(await c.availability.get(1))
is<AvailabilityRange[]>()(availability.ranges)
is<bigint>()(availability.ranges[0].from)
is<bigint>()(availability.ranges[0].to)
const summary = is<Result<BillingSummary>>()(await c.billing.getSummary())
is<AccessStatus>()(summary.access_status)
is<BillingUsage>()(summary.usage)
is<string>()(summary.usage.export_gb_total)

// enums: the known values narrow, and a value this version does not know still type-checks
const status: ExportStatus = 'archived'
if (job.status === 'succeeded') console.log(status)
const known: SubscriptionStatus[] = ['active', 'paused', 'deleted']

// errors
try {
  await c.exports.wait(job.id)
} catch (e) {
  if (e instanceof ExportFailedError) is<ExportJob | null>()(e.job)
}

// @ts-expect-error: a typo in a field name is a type error
console.log(job.stauts, known)
// @ts-expect-error: results are typed, not `any`
is<string>()(job.start_time)
// @ts-expect-error: cancel resolves to nothing
await c.exports.cancel(job.id).then((r) => r.status)
// @ts-expect-error: a column needs output_column
await c.exportSchemas.create('bad', 'trade', [{ meta: { value: 'collection_timestamp_ns' } }])
