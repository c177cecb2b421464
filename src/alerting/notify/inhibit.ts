// Inhibition as Alertmanager does it: a firing alert matching a rule's source matchers mutes the
// alerts matching its target matchers that share its values of the `equal` labels. Sources are
// remembered across send() calls, since rule groups are evaluated (and announced) separately.
import type { Alert } from '../alert.js';
import type { InhibitRuleConfig } from './config.js';
import { matchesAll } from './matchers.js';

interface Source {
  labels: Readonly<Record<string, string>>;
  /** A firing alert not refreshed by this time has stopped, as Alertmanager reads endsAt. */
  endsAt: number;
}

export class Inhibitor {
  /** Per rule: firing source alerts by fingerprint. */
  private readonly sources: Map<string, Source>[];

  constructor(
    private readonly rules: readonly InhibitRuleConfig[],
    private readonly now: () => number,
  ) {
    this.sources = rules.map(() => new Map());
  }

  /** Records which of `alerts` are (still) firing sources; call before asking about the same batch. */
  observe(alerts: readonly Alert[]): void {
    const now = this.now();
    this.rules.forEach((rule, i) => {
      const sources = this.sources[i]!;
      // Sources that stopped without a resolve (their rule went away in a reload) leave here, not
      // only when a target happens to be checked against them.
      for (const [fp, source] of sources) if (source.endsAt <= now) sources.delete(fp);
      for (const a of alerts) {
        if (!a.resolved && matchesAll(rule.source_matchers, a.labels)) sources.set(a.fingerprint, { labels: a.labels, endsAt: a.endsAt });
        else sources.delete(a.fingerprint);
      }
    });
  }

  isInhibited(labels: Readonly<Record<string, string>>, fingerprint?: string): boolean {
    const now = this.now();
    return this.rules.some((rule, i) => {
      if (!matchesAll(rule.target_matchers, labels)) return false;
      // As Alertmanager: when the target also matches the source side, sources that match the
      // target side too are ignored, so such alerts (and an alert itself) never mute each other.
      const twoSided = matchesAll(rule.source_matchers, labels);
      const sources = this.sources[i]!;
      for (const [fp, source] of sources) {
        if (source.endsAt <= now) {
          sources.delete(fp);
          continue;
        }
        if (fp === fingerprint || (twoSided && matchesAll(rule.target_matchers, source.labels))) continue;
        if (rule.equal.every((name) => (source.labels[name] ?? '') === (labels[name] ?? ''))) return true;
      }
      return false;
    });
  }
}
