/**
 * A small horizontal bar chart written as SVG text, so `flick bench all` draws its own charts with
 * no dependency. Bars come in groups (one group per run: flick's bar beside the peers measured in
 * the same run), flick's bars in one colour and the peers' in another, each with its value
 * printed. Figures spanning orders of magnitude (µs beside ms) take a log scale.
 */

export interface Bar {
  label: string;
  value: number;
  /** flick's own figure (coloured as flick). */
  flick: boolean;
}

export interface BarGroup {
  /** Shown above the group: which run its bars come from. */
  title: string;
  bars: Bar[];
}

export interface Chart {
  /** File name under docs/benchmarks/. */
  file: string;
  title: string;
  unit: string;
  better: 'lower' | 'higher';
  log: boolean;
  groups: BarGroup[];
}

const WIDTH = 760;
const LABEL_W = 250;
const PLOT_W = 380;
const BAR_H = 18;
const ROW_H = 26;
const GROUP_TITLE_H = 22;
const TOP = 58;
const AXIS_H = 30;
const FLICK_COLOUR = '#2563eb';
const PEER_COLOUR = '#9ca3af';

function escapeXml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** 3 significant digits, thousands separated: 0.599, 12.3, 1,437. */
export function formatValue(v: number): string {
  if (v === 0) return '0';
  const digits = Math.max(0, 2 - Math.floor(Math.log10(Math.abs(v))));
  return v.toLocaleString('en-US', { maximumFractionDigits: Math.min(digits, 3) });
}

interface Scale {
  x(v: number): number;
  ticks: number[];
}

function logScale(values: number[]): Scale {
  const lo = 10 ** Math.floor(Math.log10(Math.min(...values)));
  const hi = 10 ** Math.ceil(Math.log10(Math.max(...values)) + 1e-9);
  const span = Math.log10(hi) - Math.log10(lo);
  const ticks: number[] = [];
  for (let t = lo; t <= hi * 1.0001; t *= 10) ticks.push(t);
  return { x: (v) => ((Math.log10(Math.max(v, lo)) - Math.log10(lo)) / span) * PLOT_W, ticks };
}

function linearScale(values: number[]): Scale {
  const max = Math.max(...values);
  const step = 10 ** Math.floor(Math.log10(max / 4 || 1));
  const nice = [1, 2, 2.5, 5, 10].map((m) => m * step).find((s) => max / s <= 5) ?? step * 10;
  const hi = Math.ceil(max / nice) * nice || 1;
  const ticks = Array.from({ length: Math.round(hi / nice) + 1 }, (_, i) => i * nice);
  return { x: (v) => (v / hi) * PLOT_W, ticks };
}

export function barChartSvg(chart: Chart): string {
  const groups = chart.groups.filter((g) => g.bars.length > 0);
  const values = groups.flatMap((g) => g.bars.map((b) => b.value)).filter((v) => v > 0);
  const scale = chart.log ? logScale(values) : linearScale(values);
  const rows = groups.reduce((n, g) => n + g.bars.length, 0);
  const plotH = groups.length * GROUP_TITLE_H + rows * ROW_H;
  const height = TOP + plotH + AXIS_H + 8;
  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" font-family="system-ui, -apple-system, 'Segoe UI', sans-serif" font-size="12">`);
  out.push(`<rect width="${WIDTH}" height="${height}" fill="#ffffff"/>`);
  out.push(`<text x="12" y="22" font-size="15" font-weight="600">${escapeXml(chart.title)}</text>`);
  const legend = `${chart.unit}, ${chart.better} is better${chart.log ? ', log scale' : ''}`;
  out.push(`<text x="12" y="40" fill="#4b5563">${escapeXml(legend)}</text>`);
  out.push(`<rect x="${WIDTH - 170}" y="30" width="10" height="10" fill="${FLICK_COLOUR}"/><text x="${WIDTH - 155}" y="39">flick</text>`);
  out.push(`<rect x="${WIDTH - 110}" y="30" width="10" height="10" fill="${PEER_COLOUR}"/><text x="${WIDTH - 95}" y="39">peer</text>`);
  // Grid and axis labels first, so bars are drawn over them.
  for (const t of scale.ticks) {
    const x = LABEL_W + scale.x(t);
    out.push(`<line x1="${x.toFixed(1)}" y1="${TOP}" x2="${x.toFixed(1)}" y2="${TOP + plotH}" stroke="#e5e7eb"/>`);
    out.push(`<text x="${x.toFixed(1)}" y="${TOP + plotH + 16}" text-anchor="middle" fill="#6b7280">${formatValue(t)}</text>`);
  }
  let y = TOP;
  for (const g of groups) {
    out.push(`<text x="12" y="${y + 15}" font-weight="600" fill="#374151">${escapeXml(g.title)}</text>`);
    y += GROUP_TITLE_H;
    for (const b of g.bars) {
      const w = Math.max(1, scale.x(b.value));
      const mid = y + ROW_H / 2;
      out.push(`<text x="${LABEL_W - 8}" y="${mid + 4}" text-anchor="end">${escapeXml(b.label)}</text>`);
      out.push(`<rect x="${LABEL_W}" y="${mid - BAR_H / 2}" width="${w.toFixed(1)}" height="${BAR_H}" fill="${b.flick ? FLICK_COLOUR : PEER_COLOUR}"/>`);
      out.push(`<text x="${(LABEL_W + w + 6).toFixed(1)}" y="${mid + 4}">${escapeXml(`${formatValue(b.value)} ${chart.unit}`)}</text>`);
      y += ROW_H;
    }
  }
  out.push(`<line x1="${LABEL_W}" y1="${TOP}" x2="${LABEL_W}" y2="${TOP + plotH}" stroke="#374151"/>`);
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}
