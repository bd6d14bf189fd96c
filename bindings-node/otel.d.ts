/**
 * `ticksupply/otel`: OpenTelemetry spans and metrics of every ticksupply client.
 *
 * @packageDocumentation
 * @module ticksupply/otel
 */
import { InstrumentationBase, InstrumentationConfig } from '@opentelemetry/instrumentation'

/**
 * Spans (a CLIENT span per HTTP attempt, INTERNAL spans around export helpers) and key-usage
 * metrics of every ticksupply client of the process, through OpenTelemetry. Register it with
 * `registerInstrumentations({ instrumentations: [new TicksupplyInstrumentation()] })`.
 */
export declare class TicksupplyInstrumentation extends InstrumentationBase {
  constructor(config?: InstrumentationConfig)
  protected init(): []
}
