/**
 * The `ticksupply` package: {@link Client} and its resources, the error classes, and
 * {@link ExportData} (an export's rows as Arrow). Results keep the API's JSON field names;
 * nanosecond fields are `bigint`. Every result object also carries non-enumerable `requestId`
 * and `rateLimit`.
 *
 * @packageDocumentation
 * @module ticksupply
 */

export interface RateLimit {
  limitMinute: number | null
  remainingMinute: number | null
  /** Unix seconds when the minute bucket has capacity again. */
  resetMinute: number | null
  limitHour: number | null
  remainingHour: number | null
  resetHour: number | null
}

/** What every result object carries besides its JSON fields (non-enumerable). */
export interface WithMeta {
  readonly requestId: string | null
  readonly rateLimit: RateLimit
}

export type Result<T> = T & WithMeta

/** Nanoseconds since the epoch: `bigint`, an exact integer `number`, an RFC 3339 string or a `Date`. */
export type TimeInput = bigint | number | string | Date

export interface CallOptions {
  /** Aborts the call, including during a retry backoff; it then rejects with `CanceledError`. */
  signal?: AbortSignal
}
export interface WriteOptions extends CallOptions {
  /** Sent as `Idempotency-Key`; by default a fresh UUID per call, reused on its retries. */
  idempotencyKey?: string
}
export interface PageOptions extends CallOptions {
  limit?: number
  pageToken?: string
}

// ---------------------------------------------------------------------------------------------
// Results: one interface per API object, with the API's JSON field names (the names of the
// official Python client's models in parentheses where they differ). Times are RFC 3339 strings;
// nanosecond fields are `bigint`. A field this version does not know is still on the object at
// run time (read it through a cast); an enum value it does not know comes through as a string.

/** `queued`, `running`, `succeeded`, `failed`, `canceled`, `deleted`, or a value this version does not know. */
export type ExportStatus = 'queued' | 'running' | 'succeeded' | 'failed' | 'canceled' | 'deleted' | (string & {})
/** `active`, `paused`, `deleted`, or a value this version does not know. */
export type SubscriptionStatus = 'active' | 'paused' | 'deleted' | (string & {})
/** The stream category a schema applies to. */
export type StreamCategory =
  | 'trade'
  | 'orderbook'
  | 'book_update'
  | 'quote'
  | 'kline'
  | 'ticker'
  | 'liquidation'
  | (string & {})
/** An account's access state. */
export type AccessStatus = 'ACTIVE' | 'TRIALING' | 'GRACE' | 'SUSPENDED' | 'NONE' | (string & {})
/** `csv` (gzip CSV with a header row) or `parquet`. */
export type ExportFormat = 'csv' | 'parquet' | (string & {})
/** How a metadata timestamp is written. */
export type TimestampFormat = 'ns' | 'us' | 'ms' | 's' | 'iso8601' | (string & {})

/** One page of a list. */
export interface Page<T> {
  items: T[]
  /** Items across all pages that match the filters. */
  total: number
  /** Page size the server applied. */
  limit: number
  /** Pass as `pageToken` for the next page; `null` on the last page. */
  next_page_token: string | null
}

export interface Exchange {
  /** Used in paths and filters: `binance`, `okx_spot`. */
  code: string
  display_name: string
}
export interface Instrument {
  symbol: string
  base?: string | null
  quote?: string | null
  /** `spot`, `perpetual`, `futures`, `option`, … */
  instrument_type?: string | null
}
export interface DatastreamInfo {
  /** What subscriptions and exports name. */
  datastream_id: number
  exchange: string
  instrument: string
  stream_type: string
  wire_format: string
}
/** A page of instruments. */
export type PaginatedInstruments = Page<Instrument>
/** A page of datastreams. */
export type PaginatedDatastreams = Page<DatastreamInfo>

/** A subscription as `get` and `list` return it. */
export interface Subscription {
  id: string
  datastream_id: number
  status: SubscriptionStatus
  created_at: string
  datastream?: DatastreamInfo | null
}
/** A subscription as `create` returns it (the API's `SubscriptionDetail`); `spans` is empty on create. */
export interface SubscriptionResponse {
  id: string
  status: SubscriptionStatus
  datastream: DatastreamInfo
  created_at: string
  spans: SubscriptionSpan[]
}
/** A time span the subscription collected data over; `ended_at` is `null` while it is open. */
export interface SubscriptionSpan {
  id: string
  started_at: string
  ended_at: string | null
}
export type PaginatedSubscriptions = Page<Subscription>

export interface ExportJob {
  id: string
  datastream_id: number
  /** Window start (inclusive), nanoseconds since the epoch. */
  start_time: bigint
  /** Window end (exclusive), nanoseconds since the epoch. */
  end_time: bigint
  format: ExportFormat
  /** The options the server resolved for `format` (`{}` for csv). */
  format_options?: Record<string, unknown>
  status: ExportStatus
  /** Why it failed (when `failed`). */
  reason?: string | null
  created_at: string
  started_at?: string | null
  finished_at?: string | null
}
export type PaginatedExportJobs = Page<ExportJob>
/** One artifact of a succeeded export: a presigned `url`, valid for minutes, fetched without the API key. */
export interface ArtifactDownload {
  id: string
  url: string
  bytes: number
  filename: string
}
export interface ExportDownloadResponse {
  artifacts: ArtifactDownload[]
  count: number
  total_bytes: number
}
/** @deprecated The same as `ExportDownloadResponse`. */
export type ExportDownload = ExportDownloadResponse

/** A system metadata value, in a time `format` (default `ns`). */
export interface MetaExtraction {
  value: 'collection_timestamp_ns' | (string & {})
  format?: TimestampFormat
}
/** A value of the raw JSON message: a dot-notation `path` and a `type` (`decimal(18)`, `f64`, `i64`, `string`, `bool`). */
export interface JsonExtraction {
  path: string
  type: string
}
/** One exchange's extraction rule; `transform` is an SQL expression of `{v}`. */
export interface ExchangeExtractor {
  json?: JsonExtraction
  transform?: string | null
}
/** One column of a schema: `output_column` and exactly one of `meta` or `data` (exchange code -> rule). */
export interface SchemaColumn {
  output_column: string
  meta?: MetaExtraction | null
  data?: Record<string, ExchangeExtractor> | null
}
/** The Python client's name of `SchemaColumn`. */
export type CreateSchemaColumnRequest = SchemaColumn
/** One exchange's unfold rule: the `path` of a JSON array to expand into one row per element. */
export interface UnfoldConfig {
  path: string
}
export interface DeriveArrayInput {
  path: string
  tag: string
}
/** A field synthesized from the raw message before extraction. */
export interface DeriveField {
  field: string
  op: 'tagged_concat' | (string & {})
  arrays: DeriveArrayInput[]
  tag_field: string
  value_field: string
}
/** Exchange code -> unfold rule (`null` clears it). */
export type UnfoldMap = Record<string, UnfoldConfig>
/** Exchange code -> derived fields (`null` clears them). */
export type DeriveMap = Record<string, DeriveField[]>
/** A schema's content, also accepted inline by `exports.create` and `exports.data`. */
export interface SchemaContent {
  columns: SchemaColumn[]
  unfold?: UnfoldMap | null
  derive?: DeriveMap | null
}
/** A schema as `exportSchemas.list` returns it: the latest published `version` (0 if none). */
export interface ExportSchemaListItem {
  id: string
  name: string
  stream_category: StreamCategory
  is_built_in: boolean
  created_at: string
  version: number
  has_draft: boolean
}
/** A schema with the content of a version: what create, get, update, the draft calls and publish return. */
export interface ExportSchemaWithVersion extends ExportSchemaListItem, SchemaContent {}
/** @deprecated Either schema shape: `ExportSchemaListItem` or `ExportSchemaWithVersion`. */
export interface ExportSchema extends ExportSchemaListItem {
  columns?: SchemaColumn[]
  unfold?: UnfoldMap | null
  derive?: DeriveMap | null
}

/** A range with data: `from` to `to`, nanoseconds since the epoch. */
export interface AvailabilityRange {
  from: bigint
  to: bigint
  rows_estimate: number
}
export interface AvailabilityResponse {
  datastream: DatastreamInfo
  ranges: AvailabilityRange[]
  updated_at: string
}
/** @deprecated The same as `AvailabilityResponse`. */
export type Availability = AvailabilityResponse
export interface BillingUsage {
  extra_stream_minutes_total: number
  /** GiB, as a decimal string (`"12.5"`). */
  export_gb_total: string
  export_gb_extra: number
}
export interface BillingSummary {
  access_status: AccessStatus
  /** Set when `access_status` is `GRACE`. */
  grace_until?: string | null
  plan_code?: string | null
  current_period_end?: string | null
  usage: BillingUsage
}

// ---------------------------------------------------------------------------------------------
// Calls

export interface InstrumentFilters {
  search?: string
  base?: string
  quote?: string
  instrumentType?: string
}
export interface DatastreamFilters {
  streamType?: string
  wireFormat?: string
}
export interface SchemaContentOptions {
  unfold?: UnfoldMap | null
  derive?: DeriveMap | null
}

export declare class Exchanges {
  list(opts?: CallOptions): Promise<Result<Exchange[]>>
  listInstruments(exchange: string, opts?: InstrumentFilters & PageOptions): Promise<Result<PaginatedInstruments>>
  listAllInstruments(exchange: string, opts?: InstrumentFilters & Omit<PageOptions, 'pageToken'>): AsyncIterable<Instrument>
  listDatastreams(
    exchange: string,
    instrument: string,
    opts?: DatastreamFilters & PageOptions,
  ): Promise<Result<PaginatedDatastreams>>
  listAllDatastreams(
    exchange: string,
    instrument: string,
    opts?: DatastreamFilters & Omit<PageOptions, 'pageToken'>,
  ): AsyncIterable<DatastreamInfo>
}
export declare class Datastreams {
  list(opts?: { exchange?: string; instrument?: string } & DatastreamFilters & PageOptions): Promise<Result<PaginatedDatastreams>>
  listAll(opts?: { exchange?: string; instrument?: string } & DatastreamFilters & Omit<PageOptions, 'pageToken'>): AsyncIterable<DatastreamInfo>
}
export declare class Subscriptions {
  list(opts?: PageOptions): Promise<Result<PaginatedSubscriptions>>
  listAll(opts?: Omit<PageOptions, 'pageToken'>): AsyncIterable<Subscription>
  get(id: string, opts?: CallOptions): Promise<Result<Subscription>>
  create(datastreamId: number, opts?: WriteOptions): Promise<Result<SubscriptionResponse>>
  /** Resolves to `undefined` (204). */
  pause(id: string, opts?: WriteOptions): Promise<void>
  resume(id: string, opts?: WriteOptions): Promise<void>
  /** Resolves to `undefined` (204). */
  delete(id: string, opts?: WriteOptions): Promise<void>
  listSpans(id: string, opts?: CallOptions): Promise<Result<SubscriptionSpan[]>>
}
export interface CreateExportOptions extends WriteOptions {
  /** `raw` (default), a built-in name (`normalized`), a `sch_` id, or inline content. */
  schema?: string | SchemaContent
  format?: ExportFormat
  formatOptions?: Record<string, unknown>
}
export interface WaitOptions extends CallOptions {
  /** Milliseconds before `APITimeoutError` (with `jobId`); default 15 minutes. */
  timeout?: number
  /** First interval between polls in milliseconds; it grows. */
  pollInterval?: number
}
export interface DownloadOptions extends CallOptions {
  /** Replace files that exist already (default: refuse). */
  overwrite?: boolean
  /** Flush each file to the disk before renaming it into place (default false). */
  durable?: boolean
  /** Artifacts fetched at once. */
  concurrency?: number
  /** Byte counts over all artifacts, at most every 100 ms and once at the end. */
  onProgress?: (doneBytes: number, totalBytes: number) => void
}
export declare class Exports {
  list(opts?: PageOptions): Promise<Result<PaginatedExportJobs>>
  listAll(opts?: Omit<PageOptions, 'pageToken'>): AsyncIterable<ExportJob>
  get(id: string, opts?: CallOptions): Promise<Result<ExportJob>>
  create(datastreamId: number, startTime: TimeInput, endTime: TimeInput, opts?: CreateExportOptions): Promise<Result<ExportJob>>
  create(params: { datastreamId: number; startTime: TimeInput; endTime: TimeInput } & CreateExportOptions): Promise<Result<ExportJob>>
  getDownload(id: string, opts?: CallOptions): Promise<Result<ExportDownloadResponse>>
  /** Resolves to `undefined` (204). */
  cancel(id: string, opts?: WriteOptions): Promise<void>
  /** Resolves to `undefined` (204). */
  delete(id: string, opts?: WriteOptions): Promise<void>
  /** Resolves with the job once `succeeded`; rejects with `ExportFailedError` or `APITimeoutError`. */
  wait(id: string, opts?: WaitOptions): Promise<ExportJob>
  /** Streams every artifact into `destDir` (never sending the API key); resolves to the paths. */
  download(id: string, destDir: string, opts?: DownloadOptions): Promise<string[]>
  /** Every row of a succeeded export, keyed by the CSV header, parsed in the core (no file). */
  rows(id: string, opts?: CallOptions): AsyncIterable<Record<string, string>>
  /** The export's rows as Arrow data, typed from `schema`, decoded while the artifacts download. */
  data(id: string, opts?: DataOptions): ExportData
}
export interface DataOptions extends CallOptions {
  /** A schema name (`raw`, `normalized`, yours), a `sch_` id, or inline `{ columns }`. */
  schema?: string | SchemaContent | null
  /** Rows per record batch (default 65536). */
  batchRows?: number
  /** `'string'` (default: exact text) or `'decimal'` (Arrow decimal128). */
  decimals?: 'string' | 'decimal'
  /** `'bigint'` (default: int64 nanoseconds etc.) or `'timestamp'` (Arrow timestamp). */
  timestamps?: 'bigint' | 'timestamp'
}
/** An export's (or files') rows as Arrow. */
export declare class ExportData {
  /** Every row as one Arrow IPC stream. */
  toIPC(opts?: CallOptions): Promise<Buffer>
  /** An apache-arrow `Table` (needs the optional peer dependency `apache-arrow`). */
  toArrow(opts?: CallOptions): Promise<import('apache-arrow').Table>
  /** One Arrow IPC stream buffer per record batch. */
  batches(opts?: CallOptions): AsyncIterable<Buffer>
  /** Writes one Parquet file (zstd); resolves to the number of rows. */
  toParquet(path: string, opts?: CallOptions): Promise<number>
}
/** The rows of artifact files on disk (`.csv.gz`, `.csv`, `.parquet`). */
export declare function readArtifacts(paths: string | Iterable<string>, opts?: DataOptions): ExportData
export declare class ExportSchemas {
  list(opts?: CallOptions): Promise<Result<ExportSchemaListItem[]>>
  create(
    name: string,
    streamCategory: StreamCategory,
    columns: SchemaColumn[],
    opts?: SchemaContentOptions & WriteOptions,
  ): Promise<Result<ExportSchemaWithVersion>>
  get(id: string, opts?: CallOptions): Promise<Result<ExportSchemaWithVersion>>
  update(id: string, columns: SchemaColumn[], opts?: SchemaContentOptions & CallOptions): Promise<Result<ExportSchemaWithVersion>>
  delete(id: string, opts?: WriteOptions): Promise<void>
  /** Creates (or replaces) the draft: a copy of the latest version when `columns` is not given. */
  createDraft(
    id: string,
    opts?: { columns?: SchemaColumn[] } & SchemaContentOptions & WriteOptions,
  ): Promise<Result<ExportSchemaWithVersion>>
  getDraft(id: string, opts?: CallOptions): Promise<Result<ExportSchemaWithVersion>>
  updateDraft(
    id: string,
    columns: SchemaColumn[],
    opts?: SchemaContentOptions & CallOptions,
  ): Promise<Result<ExportSchemaWithVersion>>
  discardDraft(id: string, opts?: WriteOptions): Promise<void>
  publishDraft(id: string, opts?: WriteOptions): Promise<Result<ExportSchemaWithVersion>>
}
export declare class AvailabilityResource {
  get(datastreamId: number, opts?: CallOptions): Promise<Result<AvailabilityResponse>>
}
export declare class Billing {
  getSummary(opts?: CallOptions): Promise<Result<BillingSummary>>
}

export type LogLevel = 'off' | 'error' | 'warn' | 'info' | 'debug' | 'trace'
export type Logger =
  | ((level: string, line: string) => void)
  | { debug?(msg: string): void; info?(msg: string): void; warn?(msg: string): void; error?(msg: string): void; log?(msg: string): void }

export interface ClientOptions {
  /**
   * Default: `TICKSUPPLY_API_KEY`, else the key of the profile named by `TICKSUPPLY_PROFILE`,
   * else of the default profile. Surrounding whitespace is trimmed; an empty key is an error.
   */
  apiKey?: string
  /**
   * Use this profile's key (stored by `ticksupply auth login --profile NAME`, in the OS keyring
   * or `credentials.toml`) and its base URL, whatever `TICKSUPPLY_API_KEY` holds. Giving
   * `apiKey` too is a `ConfigurationError`.
   */
  profile?: string
  /**
   * Default: the profile's `base_url`, else `TICKSUPPLY_BASE_URL`, else
   * `https://api.ticksupply.com/v1`. Plain http only for loopback.
   */
  baseUrl?: string
  /** Per attempt, in milliseconds (default 30000). */
  timeout?: number
  /** Default 3; 0 disables retries. */
  maxRetries?: number
  userAgent?: string
  /** Receives one line per attempt (process-wide: the last client given a logger wins). */
  logger?: Logger
  /** Default `debug` when a logger is given. */
  logLevel?: LogLevel
}

export declare class Client {
  constructor(options?: ClientOptions)
  readonly exchanges: Exchanges
  readonly datastreams: Datastreams
  readonly subscriptions: Subscriptions
  readonly exports: Exports
  readonly exportSchemas: ExportSchemas
  readonly availability: AvailabilityResource
  readonly billing: Billing
  readonly baseUrl: string
  /** Milliseconds. */
  readonly timeout: number
  readonly maxRetries: number
  /** Takes effect on the next request; requests in flight finish with the old key. */
  setApiKey(key: string): void
  /** A client with some options changed, sharing this one's connection pool. */
  withOptions(options: { apiKey?: string; timeout?: number; maxRetries?: number }): Client
  toJSON(): { baseUrl: string; apiKey: string; timeout: number; maxRetries: number }
}

export interface ErrorFields {
  code?: string | null
  httpStatus?: number | null
  requestId?: string | null
  details?: unknown
  retryAfter?: number | null
  rateLimit?: RateLimit | null
  attempts?: number | null
  cause?: unknown
}

export declare class TicksupplyError extends Error {
  constructor(message: string, fields?: ErrorFields)
  /** The API's `error.code` (`not_found`, …), or `unknown` when the body was not the JSON envelope. */
  code: string | null
  httpStatus: number | null
  requestId: string | null
  details: unknown
  /** Seconds the server asked to wait (429). */
  retryAfter: number | null
  readonly rateLimit: RateLimit | null
  /** Attempts made, retries included. */
  readonly attempts: number | null
}
export declare class APIError extends TicksupplyError {}
export declare class AuthenticationError extends APIError {}
export declare class PermissionDeniedError extends APIError {}
export declare class NotFoundError extends APIError {}
export declare class ConflictError extends APIError {}
export declare class RateLimitError extends APIError {}
export declare class PaymentRequiredError extends APIError {}
export declare class InvalidArgumentError extends APIError {}
export declare class ServerError extends APIError {}
export declare class DecodeError extends APIError {}
export declare class NetworkError extends TicksupplyError {}
export declare class APITimeoutError extends NetworkError {
  jobId: string | null
}
export declare class ConfigurationError extends TicksupplyError {}
/** `name` is `AbortError`. */
export declare class CanceledError extends TicksupplyError {}
export declare class ExportFailedError extends TicksupplyError {
  job: ExportJob | null
  reason: string | null
}
export declare class DownloadError extends TicksupplyError {}
export declare class DataError extends TicksupplyError {}

export declare const VERSION: string
