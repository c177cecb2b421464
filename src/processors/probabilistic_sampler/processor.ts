// `probabilistic_sampler` on the stream: keeps or drops each span (by its trace) or log record,
// acks an envelope left empty (a drop by design is not a failure), and passes the rest on with
// the thresholds written into the spans' tracestate.
import type { OperatorFunction } from 'rxjs';
import type { CreateSettings, Processor } from '../../pipeline/component.js';
import type { Envelope } from '../../pipeline/envelope.js';
import { processorOperator } from '../../pipeline/processor-helper.js';
import type { AnyValue, KeyValue, LogsData, Signal, TracesData } from '../../pdata/types.js';
import { anyValueToString, findAttribute } from '../../pdata/attributes.js';
import { int64ToBigInt } from '../../pdata/time.js';
import { traceIdRandomness, withThreshold } from '../../pdata/tracestate.js';
import { decide, hashedRandomness, type Decision, type SamplerSettings } from './sampler.js';
import type { ProbabilisticSamplerConfig } from './config.js';

function numberOf(value: AnyValue | undefined): number | undefined {
  if (value?.intValue != null) return Number(int64ToBigInt(value.intValue));
  if (value?.doubleValue != null) return value.doubleValue;
  if (value?.stringValue != null && value.stringValue.trim() !== '' && !Number.isNaN(Number(value.stringValue))) return Number(value.stringValue);
  return undefined;
}

const utf8 = new TextEncoder();

export class ProbabilisticSamplerProcessor implements Processor {
  readonly operator: OperatorFunction<Envelope, Envelope>;
  private readonly settings: SamplerSettings;
  private readonly count: (policy: string, sampled: boolean, n: number) => void;

  constructor(
    create: CreateSettings,
    private readonly config: ProbabilisticSamplerConfig,
    signal: Signal,
  ) {
    const mode = config.mode ?? (config.hash_seed !== undefined || config.attribute_source === 'record' ? 'hash_seed' : 'proportional');
    this.settings = { mode, percentage: config.sampling_percentage, seed: config.hash_seed ?? 0, precision: config.sampling_precision, failClosed: config.fail_closed };
    const item = signal === 'traces' ? 'traces' : 'logs';
    const counter = create.telemetry.counter(
      `otelcol_processor_probabilistic_sampler_count_${item}_sampled`,
      `Count of ${item === 'traces' ? 'spans' : 'log records'} that were sampled or not`,
      ['processor', 'policy', 'sampled'],
    );
    this.count = (policy, sampled, n) => counter.inc({ processor: create.id, policy, sampled: String(sampled) }, n);
    // What is left after sampling goes on; a request sampled away entirely is acknowledged, as a drop by design is not a failure.
    this.operator =
      signal === 'traces'
        ? processorOperator(create, 'traces', { process: ({ data }) => (this.sampleTraces(data), data) })
        : processorOperator(create, 'logs', { process: ({ data }) => (this.sampleLogs(data), data) });
  }

  private record(policy: string, decision: Decision): boolean {
    this.count(policy, decision.keep, 1);
    return decision.keep;
  }

  private sampleTraces(data: TracesData): void {
    data.resourceSpans = (data.resourceSpans ?? []).filter((rs) => {
      rs.scopeSpans = (rs.scopeSpans ?? []).filter((ss) => {
        ss.spans = (ss.spans ?? []).filter((span) => {
          // The OpenTracing `sampling.priority` attribute overrides the percentage, as in the Collector.
          const priority = numberOf(findAttribute(span.attributes, 'sampling.priority'));
          if (priority !== undefined) return this.record('sampling_priority', { keep: priority > 0 });
          const decision = decide(this.settings, { hashInput: span.traceId, value: traceIdRandomness(span.traceId), traceState: span.traceState });
          if (decision.keep && decision.threshold !== undefined) span.traceState = withThreshold(span.traceState, decision.threshold);
          return this.record(this.settings.mode, decision);
        });
        return ss.spans.length > 0;
      });
      return rs.scopeSpans.length > 0;
    });
  }

  private sampleLogs(data: LogsData): void {
    const fromRecord = this.config.attribute_source === 'record';
    data.resourceLogs = (data.resourceLogs ?? []).filter((rl) => {
      rl.scopeLogs = (rl.scopeLogs ?? []).filter((sl) => {
        sl.logRecords = (sl.logRecords ?? []).filter((record) => {
          const percentage = this.config.sampling_priority ? numberOf(findAttribute(record.attributes, this.config.sampling_priority)) : undefined;
          let hashInput: Uint8Array | undefined = record.traceId;
          let value = traceIdRandomness(record.traceId);
          if (fromRecord) {
            const attr = findAttribute(record.attributes as KeyValue[], this.config.from_attribute!);
            hashInput = attr ? (attr.bytesValue ?? utf8.encode(anyValueToString(attr))) : undefined;
            value = hashInput ? hashedRandomness(this.settings.seed, hashInput) : undefined;
          }
          const decision = decide(this.settings, { hashInput, value }, percentage ?? this.settings.percentage);
          return this.record(percentage !== undefined ? 'sampling_priority' : this.settings.mode, decision);
        });
        return sl.logRecords.length > 0;
      });
      return rl.scopeLogs.length > 0;
    });
  }

  async start(): Promise<void> {}

  async shutdown(): Promise<void> {}
}
