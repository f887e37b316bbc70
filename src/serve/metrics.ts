/** The server's Prometheus metrics (prom-client), in a registry of its own. */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export class Metrics {
  readonly registry = new Registry();
  readonly requests = new Counter({ name: 'batch_score_http_requests_total', help: 'HTTP requests answered, by route and status', labelNames: ['route', 'method', 'status'], registers: [this.registry] });
  readonly latency = new Histogram({
    name: 'batch_score_http_request_duration_seconds',
    help: 'Time from request to response, by route',
    labelNames: ['route'],
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });
  readonly scored = new Counter({ name: 'batch_score_records_scored_total', help: 'Records scored', registers: [this.registry] });
  readonly failed = new Counter({ name: 'batch_score_records_failed_total', help: 'Records that could not be scored, by error code', labelNames: ['code'], registers: [this.registry] });
  readonly calls = new Counter({ name: 'batch_score_model_calls_total', help: 'Model calls (session runs, retries and isolation included)', registers: [this.registry] });
  readonly batches = new Histogram({
    name: 'batch_score_batch_records',
    help: 'Records per scored batch (micro-batches gathered across requests)',
    buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096],
    registers: [this.registry],
  });
  /** Read when scraped. */
  queueDepth: () => number = () => 0;
  readonly queue: Gauge = new Gauge({
    name: 'batch_score_queue_records',
    help: 'Records waiting to be scored',
    registers: [this.registry],
    collect: (): void => this.queue.set(this.queueDepth()),
  });
  readonly inFlight = new Gauge({ name: 'batch_score_in_flight_requests', help: 'Requests being handled', registers: [this.registry] });
  readonly shed = new Counter({ name: 'batch_score_shed_requests_total', help: 'Requests refused with 503 because --max-queue records were waiting', registers: [this.registry] });

  constructor() {
    // Process metrics (resident memory, CPU, event loop lag) show whether overload stays bounded.
    collectDefaultMetrics({ register: this.registry, prefix: 'batch_score_' });
  }
}

/** The shadow model's agreement with the main model, over the records both scored. */
export class ShadowMetrics {
  readonly compared: Counter;
  readonly absDiff: Counter;
  readonly meanAbsDiff: Gauge;
  readonly labelsCompared: Counter;
  readonly labelAgreement: Gauge;
  readonly labelsAgreed: Counter;
  readonly failed: Counter;
  readonly dropped: Counter;
  private sums = { compared: 0, diff: 0, labels: 0, agreed: 0 };

  constructor(registry: Registry) {
    const registers = [registry];
    this.compared = new Counter({ name: 'batch_score_shadow_compared_total', help: 'Records scored by both models whose numeric predictions were compared', registers });
    this.absDiff = new Counter({ name: 'batch_score_shadow_abs_diff_sum', help: 'Sum over compared records of the mean absolute difference between the two models', registers });
    this.meanAbsDiff = new Gauge({ name: 'batch_score_shadow_mean_abs_diff', help: 'Mean absolute difference between the main and the shadow model', registers });
    this.labelsCompared = new Counter({ name: 'batch_score_shadow_labels_compared_total', help: 'Records whose labels (argmax or label output) were compared', registers });
    this.labelsAgreed = new Counter({ name: 'batch_score_shadow_labels_agreed_total', help: 'Records on whose label both models agree', registers });
    this.labelAgreement = new Gauge({ name: 'batch_score_shadow_label_agreement', help: 'Fraction of compared records on whose label both models agree', registers });
    this.failed = new Counter({ name: 'batch_score_shadow_failed_total', help: 'Records the shadow model could not score', registers });
    this.dropped = new Counter({ name: 'batch_score_shadow_dropped_total', help: 'Records not shadowed because the shadow model fell behind', registers });
  }

  record(diffs: number[], labels: boolean[]): void {
    for (const d of diffs) {
      this.sums.compared++;
      this.sums.diff += d;
    }
    for (const agree of labels) {
      this.sums.labels++;
      if (agree) this.sums.agreed++;
    }
    this.compared.inc(diffs.length);
    this.absDiff.inc(diffs.reduce((a, b) => a + b, 0));
    this.labelsCompared.inc(labels.length);
    this.labelsAgreed.inc(labels.filter(Boolean).length);
    if (this.sums.compared) this.meanAbsDiff.set(this.sums.diff / this.sums.compared);
    if (this.sums.labels) this.labelAgreement.set(this.sums.agreed / this.sums.labels);
  }
}
