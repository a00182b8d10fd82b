// Live line charts (uPlot) over the overview's last-minute series: rps and p99 per app, node
// memory and instance count. Each chart is created once and fed new data on every poll.
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import type { Overview } from './api.js';
import { fmtBytes } from './dom.js';

const PALETTE = ['#4f8cff', '#f2994a', '#27ae60', '#eb5757', '#9b51e0', '#2d9cdb', '#f2c94c'];

interface ChartSpec {
  title: string;
  /** Series names and values (aligned with the overview's `t`). */
  data(o: Overview): Array<{ name: string; values: Array<number | null> }>;
  format?: (v: number) => string;
}

export const CHARTS: ChartSpec[] = [
  { title: 'requests / s', data: (o) => Object.entries(o.series.apps).map(([name, s]) => ({ name, values: s.rps })) },
  { title: 'p99 latency (ms)', data: (o) => Object.entries(o.series.apps).map(([name, s]) => ({ name, values: s.p99Ms })) },
  { title: 'memory (running instances)', data: (o) => [{ name: 'memory', values: o.series.memoryBytes }], format: fmtBytes },
  { title: 'instances', data: (o) => [{ name: 'instances', values: o.series.instances }] },
];

export class LiveChart {
  private plot: uPlot | null = null;
  private names = '';

  constructor(
    private readonly spec: ChartSpec,
    private readonly host: HTMLElement,
  ) {}

  update(o: Overview): void {
    const series = this.spec.data(o);
    const data = [o.series.t, ...series.map((s) => s.values)] as uPlot.AlignedData;
    const names = series.map((s) => s.name).join('\0');
    // A new app means new series: uPlot's series are fixed, so the chart is rebuilt.
    if (!this.plot || names !== this.names) {
      this.plot?.destroy();
      this.names = names;
      this.plot = new uPlot(this.options(series.map((s) => s.name)), data, this.host);
    } else {
      this.plot.setData(data);
    }
  }

  private options(names: string[]): uPlot.Options {
    const fmt = this.spec.format;
    return {
      title: this.spec.title,
      width: Math.max(260, this.host.clientWidth || 320),
      height: 170,
      legend: { live: false },
      cursor: { show: false },
      scales: { y: { range: (_u, _min, max) => [0, max > 0 ? max * 1.1 : 1] } },
      axes: [{ stroke: '#8a93a6', grid: { stroke: '#2a3040' } }, { stroke: '#8a93a6', grid: { stroke: '#2a3040' }, size: 72, values: fmt ? (_u, vals) => vals.map((v) => fmt(v)) : undefined }],
      series: [{}, ...names.map((label, i) => ({ label, stroke: PALETTE[i % PALETTE.length], width: 2, spanGaps: true, points: { show: false } }))],
    };
  }
}
