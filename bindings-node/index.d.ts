// Types for the `ticksupply` package. Results keep the API's JSON field names; nanosecond
// fields are `bigint`. Every result object also carries non-enumerable `requestId` and
// `rateLimit`.

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

export interface Page<T> {
  items: T[]
  total?: number
  limit?: number
  next_page_token?: string | null
  [field: string]: unknown
}

export interface Exchange {
  code: string
  display_name: string
  [field: string]: unknown
}
export interface Instrument {
  symbol: string
  base?: string | null
  quote?: string | null
  instrument_type?: string | null
  [field: string]: unknown
}
export interface DatastreamInfo {
  datastream_id: number
  exchange: string
  instrument: string
  stream_type: string
  wire_format: string
  [field: string]: unknown
}
/** `active`, `paused`, `deleted`, or a value this version does not know yet. */
export type SubscriptionStatus = 'active' | 'paused' | 'deleted' | (string & {})
export interface Subscription {
  id: string
  datastream_id?: number
  status: SubscriptionStatus
  created_at: string
  datastream?: DatastreamInfo
  [field: string]: unknown
}
export interface SubscriptionSpan {
  id: string
  started_at: string
  ended_at: string | null
  [field: string]: unknown
}
export type ExportStatus =
  | 'queued'
  | 'running'
  | 'succeeded'
  | 'failed'
  | 'canceled'
  | 'deleted'
  | (string & {})
export interface ExportJob {
  id: string
  datastream_id: number
  start_time: bigint
  end_time: bigint
  format: string
  format_options?: unknown
  status: ExportStatus
  reason?: string | null
  created_at: string
  started_at?: string | null
  finished_at?: string | null
  [field: string]: unknown
}
export interface ArtifactDownload {
  id: string
  url: string
  bytes: number
  filename: string
  [field: string]: unknown
}
export interface ExportDownload {
  artifacts: ArtifactDownload[]
  count: number
  total_bytes: number
  [field: string]: unknown
}
export interface SchemaColumn {
  output_column: string
  source: unknown
  [field: string]: unknown
}
export interface ExportSchema {
  id: string
  name: string
  stream_category: string
  is_built_in: boolean
  created_at: string
  version: number
  has_draft: boolean
  columns?: SchemaColumn[]
  unfold?: unknown
  derive?: unknown
  [field: string]: unknown
}
export interface AvailabilityRange {
  from: bigint
  to: bigint
  rows_estimate: number
  [field: string]: unknown
}
export interface Availability {
  datastream: DatastreamInfo
  ranges: AvailabilityRange[]
  updated_at: string
  [field: string]: unknown
}
export interface BillingSummary {
  access_status: string
  grace_until?: string | null
  plan_code?: string | null
  current_period_end?: string | null
  usage: {
    extra_stream_minutes_total: number
    export_gb_total: string | number
    export_gb_extra: number
    [field: string]: unknown
  }
  [field: string]: unknown
}

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
  unfold?: unknown
  derive?: unknown
}

export declare class Exchanges {
  list(opts?: CallOptions): Promise<Result<Exchange[]>>
  listInstruments(exchange: string, opts?: InstrumentFilters & PageOptions): Promise<Result<Page<Instrument>>>
  listAllInstruments(exchange: string, opts?: InstrumentFilters & Omit<PageOptions, 'pageToken'>): AsyncIterable<Instrument>
  listDatastreams(
    exchange: string,
    instrument: string,
    opts?: DatastreamFilters & PageOptions,
  ): Promise<Result<Page<DatastreamInfo>>>
  listAllDatastreams(
    exchange: string,
    instrument: string,
    opts?: DatastreamFilters & Omit<PageOptions, 'pageToken'>,
  ): AsyncIterable<DatastreamInfo>
}
export declare class Datastreams {
  list(opts?: { exchange?: string; instrument?: string } & DatastreamFilters & PageOptions): Promise<Result<Page<DatastreamInfo>>>
  listAll(opts?: { exchange?: string; instrument?: string } & DatastreamFilters & Omit<PageOptions, 'pageToken'>): AsyncIterable<DatastreamInfo>
}
export declare class Subscriptions {
  list(opts?: PageOptions): Promise<Result<Page<Subscription>>>
  listAll(opts?: Omit<PageOptions, 'pageToken'>): AsyncIterable<Subscription>
  get(id: string, opts?: CallOptions): Promise<Result<Subscription>>
  create(datastreamId: number, opts?: WriteOptions): Promise<Result<Subscription>>
  /** Resolves to `undefined` (204). */
  pause(id: string, opts?: WriteOptions): Promise<void>
  resume(id: string, opts?: WriteOptions): Promise<void>
  delete(id: string, opts?: WriteOptions): Promise<Result<Subscription> | undefined>
  listSpans(id: string, opts?: CallOptions): Promise<Result<SubscriptionSpan[]>>
}
export interface CreateExportOptions extends WriteOptions {
  /** A schema name or id, or an inline schema object. */
  schema?: string | Record<string, unknown>
  format?: string
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
  /** Artifacts fetched at once. */
  concurrency?: number
  /** Byte counts over all artifacts, at most every 100 ms and once at the end. */
  onProgress?: (doneBytes: number, totalBytes: number) => void
}
export declare class Exports {
  list(opts?: PageOptions): Promise<Result<Page<ExportJob>>>
  listAll(opts?: Omit<PageOptions, 'pageToken'>): AsyncIterable<ExportJob>
  get(id: string, opts?: CallOptions): Promise<Result<ExportJob>>
  create(datastreamId: number, startTime: TimeInput, endTime: TimeInput, opts?: CreateExportOptions): Promise<Result<ExportJob>>
  create(params: { datastreamId: number; startTime: TimeInput; endTime: TimeInput } & CreateExportOptions): Promise<Result<ExportJob>>
  getDownload(id: string, opts?: CallOptions): Promise<Result<ExportDownload>>
  cancel(id: string, opts?: WriteOptions): Promise<Result<ExportJob>>
  delete(id: string, opts?: WriteOptions): Promise<Result<ExportJob> | undefined>
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
  schema?: string | { columns: SchemaColumn[]; unfold?: unknown; derive?: unknown } | null
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
  list(opts?: CallOptions): Promise<Result<ExportSchema[]>>
  create(
    name: string,
    streamCategory: string,
    columns: SchemaColumn[],
    opts?: SchemaContentOptions & WriteOptions,
  ): Promise<Result<ExportSchema>>
  get(id: string, opts?: CallOptions): Promise<Result<ExportSchema>>
  update(id: string, columns: SchemaColumn[], opts?: SchemaContentOptions & CallOptions): Promise<Result<ExportSchema>>
  delete(id: string, opts?: WriteOptions): Promise<void>
  createDraft(id: string, opts?: { columns?: SchemaColumn[] } & SchemaContentOptions & WriteOptions): Promise<Result<ExportSchema>>
  getDraft(id: string, opts?: CallOptions): Promise<Result<ExportSchema>>
  updateDraft(id: string, columns: SchemaColumn[], opts?: SchemaContentOptions & CallOptions): Promise<Result<ExportSchema>>
  discardDraft(id: string, opts?: WriteOptions): Promise<void>
  publishDraft(id: string, opts?: WriteOptions): Promise<Result<ExportSchema>>
}
export declare class AvailabilityResource {
  get(datastreamId: number, opts?: CallOptions): Promise<Result<Availability>>
}
export declare class Billing {
  getSummary(opts?: CallOptions): Promise<Result<BillingSummary>>
}

export type LogLevel = 'off' | 'error' | 'warn' | 'info' | 'debug' | 'trace'
export type Logger =
  | ((level: string, line: string) => void)
  | { debug?(msg: string): void; info?(msg: string): void; warn?(msg: string): void; error?(msg: string): void; log?(msg: string): void }

export interface ClientOptions {
  /** Default: `TICKSUPPLY_API_KEY`. Surrounding whitespace is trimmed; an empty key is an error. */
  apiKey?: string
  /** Default: `TICKSUPPLY_BASE_URL`, else `https://api.ticksupply.com/v1`. Plain http only for loopback. */
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
