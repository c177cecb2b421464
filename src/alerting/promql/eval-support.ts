// Label-set edits and checks shared by the evaluator's parts, with Prometheus 2.42's semantics and
// error messages.
import { labelsKey, METRIC_NAME, type Labels } from '../labels.js';
import type { VectorSample } from './values.js';

/** A runtime failure while evaluating an expression (the expression itself was valid). */
export class PromQLEvalError extends Error {
  override name = 'PromQLEvalError';
}

/** Prometheus's (model.LabelName).IsValid. */
export const LABEL_NAME_RE = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

export function hasLabel(labels: Labels, name: string): boolean {
  for (let i = 0; i < labels.length; i++) if (labels[i]![0] === name) return true;
  return false;
}

/** The set without `__name__`; the same array when there is none, which is the common case after the first drop. */
export function dropMetricName(labels: Labels): Labels {
  return hasLabel(labels, METRIC_NAME) ? labels.filter((l) => l[0] !== METRIC_NAME) : labels;
}

export function withoutLabels(labels: Labels, names: readonly string[]): Labels {
  if (names.length === 0) return labels;
  return labels.filter((l) => !names.includes(l[0]));
}

export function onlyLabels(labels: Labels, names: readonly string[]): Labels {
  return labels.filter((l) => names.includes(l[0]));
}

/** Sets a label, keeping the order; an empty value removes it, as in Prometheus's labels.Builder. */
export function withLabel(labels: Labels, name: string, value: string): Labels {
  const out: (readonly [string, string])[] = [];
  let placed = value === '';
  for (const l of labels) {
    if (l[0] === name) continue;
    if (!placed && l[0] > name) {
      out.push([name, value]);
      placed = true;
    }
    out.push(l);
  }
  if (!placed) out.push([name, value]);
  return out;
}

export function assertUniqueLabelsets(samples: readonly VectorSample[]): void {
  if (samples.length < 2) return;
  const seen = new Set<string>();
  for (const s of samples) {
    const key = labelsKey(s.labels);
    if (seen.has(key)) throw new PromQLEvalError('vector cannot contain metrics with the same labelset');
    seen.add(key);
  }
}
