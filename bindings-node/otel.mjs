// ESM entry of `ticksupply/otel`: the CommonJS module's class.
import { createRequire } from 'node:module'

export const { TicksupplyInstrumentation } = createRequire(import.meta.url)('./otel.js')
