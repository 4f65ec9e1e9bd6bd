/** One labelled series of a LatencyHistogram: what a hot path keeps and calls. */
export class LatencySeries {
  /** Per bucket (the last is +Inf), not cumulative; summed up when scraped. */
  readonly counts: Float64Array;
  sum = 0;
  count = 0;

  constructor(
    private readonly bounds: readonly number[],
    readonly labelValue: string,
  ) {
    this.counts = new Float64Array(bounds.length + 1);
  }

  observe(seconds: number): void {
    const { bounds } = this;
    let bucket = 0;
    while (bucket < bounds.length && seconds > (bounds[bucket] as number)) bucket += 1;
    this.counts[bucket] = (this.counts[bucket] as number) + 1;
    this.sum += seconds;
    this.count += 1;
  }
}

interface HistogramSample {
  metricName: string;
  labels: Record<string, string | number>;
  value: number;
}

/**
 * A histogram with one label whose series are plain numbers: observing costs a bucket search and three
 * additions (prom-client's own Histogram hashes the label set on every observation, ~1 µs). It gives the
 * prom-client Registry what the Registry reads of any metric (`name`, `help`, `type`, `get()`), so it is
 * scraped with the rest.
 */
export class LatencyHistogram {
  readonly type = "histogram";
  readonly aggregator = "sum";
  private readonly series = new Map<string, LatencySeries>();

  constructor(
    readonly name: string,
    readonly help: string,
    private readonly labelName: string,
    private readonly bounds: readonly number[],
  ) {}

  /** The series of one label value; keep it, and observe on it directly. */
  seriesOf(labelValue: string): LatencySeries {
    let series = this.series.get(labelValue);
    if (!series) this.series.set(labelValue, (series = new LatencySeries(this.bounds, labelValue)));
    return series;
  }

  get(): { name: string; help: string; type: string; aggregator: string; values: HistogramSample[] } {
    const values: HistogramSample[] = [];
    for (const series of this.series.values()) {
      const labels = { [this.labelName]: series.labelValue };
      let cumulative = 0;
      this.bounds.forEach((bound, index) => {
        cumulative += series.counts[index] as number;
        values.push({
          metricName: `${this.name}_bucket`,
          labels: { ...labels, le: bound },
          value: cumulative,
        });
      });
      values.push({
        metricName: `${this.name}_bucket`,
        labels: { ...labels, le: "+Inf" },
        value: series.count,
      });
      values.push({ metricName: `${this.name}_sum`, labels, value: series.sum });
      values.push({ metricName: `${this.name}_count`, labels, value: series.count });
    }
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values };
  }
}
