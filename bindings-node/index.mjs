// ESM entry: the same objects as the CommonJS entry, so `instanceof` works across both.
import { createRequire } from 'node:module'

const cjs = createRequire(import.meta.url)('./index.js')

export const {
  Client,
  TicksupplyError,
  APIError,
  AuthenticationError,
  PermissionDeniedError,
  NotFoundError,
  ConflictError,
  RateLimitError,
  PaymentRequiredError,
  InvalidArgumentError,
  ServerError,
  DecodeError,
  NetworkError,
  APITimeoutError,
  ConfigurationError,
  CanceledError,
  ExportFailedError,
  DownloadError,
  DataError,
  ExportData,
  readArtifacts,
  VERSION,
} = cjs
export default cjs
