// `ticksupply/otel` as a TypeScript user writes it: the instrumentation registers with
// OpenTelemetry's own `registerInstrumentations`.
import { registerInstrumentations } from '@opentelemetry/instrumentation'
import { TicksupplyInstrumentation } from 'ticksupply/otel'

const instrumentation = new TicksupplyInstrumentation({ enabled: true })
const unregister: () => void = registerInstrumentations({ instrumentations: [instrumentation] })
instrumentation.disable()
unregister()
