/**
 * Prometheus metrics in the text exposition format (version 0.0.4), kept
 * by hand: counters with labels and one histogram. No client library.
 */

type Labels = Readonly<Record<string, string>>;

function escapeLabel(value: string): string {
  return value.replaceAll('\\', '\\\\').replaceAll('\n', '\\n').replaceAll('"', '\\"');
}

function labelText(labels: Labels, extra?: [string, string]): string {
  const pairs = Object.entries(labels).sort(([a], [b]) => a.localeCompare(b));
  if (extra !== undefined) pairs.push(extra);
  return pairs.length === 0 ? '' : `{${pairs.map(([k, v]) => `${k}="${escapeLabel(v)}"`).join(',')}}`;
}

/** A monotonically increasing counter, one series per label set. */
export class Counter {
  readonly #series = new Map<string, number>();
  constructor(
    readonly name: string,
    readonly help: string,
  ) {}

  /** Adds `by` (default 1) to the series of `labels`. */
  inc(labels: Labels = {}, by = 1): void {
    const key = labelText(labels);
    this.#series.set(key, (this.#series.get(key) ?? 0) + by);
  }

  /** The current value of one series (0 when never incremented). */
  value(labels: Labels = {}): number {
    return this.#series.get(labelText(labels)) ?? 0;
  }

  /** The `# HELP`, `# TYPE` and sample lines. */
  render(): string[] {
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} counter`];
    for (const [labels, value] of [...this.#series].sort(([a], [b]) => a.localeCompare(b))) lines.push(`${this.name}${labels} ${value}`);
    return lines;
  }
}

/** A histogram with fixed upper bounds (seconds), one series per label set. */
export class Histogram {
  readonly #series = new Map<string, { labels: Labels; buckets: number[]; sum: number; count: number }>();
  constructor(
    readonly name: string,
    readonly help: string,
    readonly bounds: readonly number[],
  ) {}

  /** Records one observation. */
  observe(labels: Labels, value: number): void {
    const key = labelText(labels);
    let series = this.#series.get(key);
    if (series === undefined) {
      series = { labels, buckets: this.bounds.map(() => 0), sum: 0, count: 0 };
      this.#series.set(key, series);
    }
    this.bounds.forEach((bound, i) => {
      if (value <= bound) series.buckets[i]! += 1;
    });
    series.sum += value;
    series.count += 1;
  }

  /** The `# HELP`, `# TYPE`, cumulative `_bucket`, `_sum` and `_count` lines. */
  render(): string[] {
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} histogram`];
    for (const [labels, s] of [...this.#series].sort(([a], [b]) => a.localeCompare(b))) {
      this.bounds.forEach((bound, i) => lines.push(`${this.name}_bucket${labelText(s.labels, ['le', String(bound)])} ${s.buckets[i]}`));
      lines.push(`${this.name}_bucket${labelText(s.labels, ['le', '+Inf'])} ${s.count}`);
      lines.push(`${this.name}_sum${labels} ${s.sum}`);
      lines.push(`${this.name}_count${labels} ${s.count}`);
    }
    return lines;
  }
}

/** The standalone CA's metrics. */
export interface CaMetrics {
  /** HTTP requests by listener, route and status. */
  readonly requests: Counter;
  /** Certificates issued, by profile. */
  readonly issuances: Counter;
  /** Challenge validations by type and result. */
  readonly validations: Counter;
  /** Time the issuing key takes to sign, by issuer. */
  readonly signerLatency: Histogram;
  /** The whole exposition. */
  render(): string;
}

/** Creates the empty metric set. */
export function createMetrics(): CaMetrics {
  const requests = new Counter('certwright_http_requests_total', 'HTTP requests answered, by listener, route and status code.');
  const issuances = new Counter('certwright_certificates_issued_total', 'Certificates issued, by profile.');
  const validations = new Counter('certwright_validations_total', 'Challenge validations, by challenge type and result.');
  const signerLatency = new Histogram('certwright_signer_seconds', 'Time the issuing key takes to produce one signature, by issuer.', [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5]);
  return {
    requests,
    issuances,
    validations,
    signerLatency,
    render: () => [...requests.render(), ...issuances.render(), ...validations.render(), ...signerLatency.render()].join('\n') + '\n',
  };
}
