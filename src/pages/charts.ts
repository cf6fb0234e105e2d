/**
 * Charts for the reports page (issue 10), drawn on the server as SVG: no script, no CDN, and
 * readable with JavaScript off. This file computes the geometry and the text alternatives
 * (pure); the eta partials `_partials/chart-bars.eta` and `_partials/chart-columns.eta` draw
 * it, escaping every text. Each chart carries a title and a one-sentence summary for screen
 * readers (`role="img"` with `aria-labelledby`), and its numbers as a table beside it.
 */

/** A rate as the report gives it (DESIGN §9): exact fraction and percentage (null for 0/0). */
export interface RateLike {
  numerator: number;
  denominator: number;
  percent: number | null;
}

export interface Bar {
  label: string;
  /** 0–100 (percent), or null: nothing to rate (no bar, "无数据") */
  value: number | null;
  /** the value as written beside the bar: "97.50%（39/40）" */
  text: string;
  /** geometry */
  y: number;
  width: number;
  labelY: number;
  textX: number;
}
export interface BarChart {
  kind: 'bars';
  id: string;
  title: string;
  summary: string;
  width: number;
  height: number;
  /** where the bars start (after the labels) and how wide 100 % is */
  plotX: number;
  plotWidth: number;
  barHeight: number;
  ticks: { x: number; label: string }[];
  bars: Bar[];
  /** the fill of the bars (GOV.UK blue: 3:1 against white and the grid) */
  fill: string;
}

const ROW = 30;
const BAR = 18;
const TOP = 28;
const WIDTH = 680;
const LABEL_WIDTH = 180;
const TEXT_WIDTH = 130;

/** "97.5%（39/40）", or "无数据（0/0）". */
export function rateText(r: RateLike): string {
  return r.percent === null ? `无数据（${r.numerator}/${r.denominator}）` : `${r.percent}%（${r.numerator}/${r.denominator}）`;
}

/**
 * A horizontal bar chart of one rate per department (0–100 %), in the given order.
 * The summary names the highest and the lowest department, and those with nothing to rate.
 */
export function rateBars(id: string, title: string, rows: { label: string; rate: RateLike }[], fill = '#1d70b8'): BarChart {
  const plotWidth = WIDTH - LABEL_WIDTH - TEXT_WIDTH;
  const bars = rows.map((r, i): Bar => {
    const y = TOP + i * ROW;
    const value = r.rate.percent;
    const width = value === null ? 0 : (Math.max(0, Math.min(100, value)) / 100) * plotWidth;
    return { label: r.label, value, text: rateText(r.rate), y, width: round(width), labelY: y + BAR / 2 + 5, textX: round(LABEL_WIDTH + width + 6) };
  });
  const ticks = [0, 25, 50, 75, 100].map((p) => ({ x: round(LABEL_WIDTH + (p / 100) * plotWidth), label: `${p}%` }));
  return {
    kind: 'bars',
    id,
    title,
    summary: summarize(title, rows),
    width: WIDTH,
    height: TOP + rows.length * ROW + 8,
    plotX: LABEL_WIDTH,
    plotWidth,
    barHeight: BAR,
    ticks,
    bars,
    fill,
  };
}

function summarize(title: string, rows: { label: string; rate: RateLike }[]): string {
  const rated = rows.filter((r) => r.rate.percent !== null);
  if (!rated.length) return `${title}：这段时间没有可计算的数据。`;
  const best = rated.reduce((a, b) => ((b.rate.percent ?? 0) > (a.rate.percent ?? 0) ? b : a));
  const worst = rated.reduce((a, b) => ((b.rate.percent ?? 0) < (a.rate.percent ?? 0) ? b : a));
  const none = rows.length - rated.length;
  const parts = [
    rated.length === 1 ? `${title}：${best.label} ${best.rate.percent}%。` : `${title}：最高的是${best.label}（${best.rate.percent}%），最低的是${worst.label}（${worst.rate.percent}%）。`,
  ];
  if (none) parts.push(`另有${none}个部门没有可计算的数据。`);
  return parts.join('');
}

export interface ColumnSeries {
  name: string;
  fill: string;
  values: number[];
}
export interface ColumnChart {
  kind: 'columns';
  id: string;
  title: string;
  summary: string;
  width: number;
  height: number;
  plotX: number;
  plotY: number;
  plotWidth: number;
  plotHeight: number;
  /** horizontal grid lines with their values */
  ticks: { y: number; label: string }[];
  groups: { label: string; labelX: number; columns: { x: number; y: number; width: number; height: number; value: number; fill: string; name: string }[] }[];
  legend: { name: string; fill: string; x: number }[];
}

/** A "nice" upper bound for a count axis: 1, 2, 5 × 10ⁿ ≥ max (at least 5). */
export function niceMax(max: number): number {
  if (max <= 5) return 5;
  const p = 10 ** Math.floor(Math.log10(max));
  for (const m of [1, 2, 5, 10]) if (m * p >= max) return m * p;
  return 10 * p;
}

/**
 * A column chart of counts per period (the monthly trend): one group per label, one column
 * per series. The summary gives each series' total and the month it peaked.
 */
export function countColumns(id: string, title: string, labels: string[], series: ColumnSeries[]): ColumnChart {
  const plotX = 48;
  const plotY = 34;
  const plotWidth = WIDTH - plotX - 12;
  const plotHeight = 200;
  const max = niceMax(Math.max(0, ...series.flatMap((s) => s.values)));
  const groupWidth = labels.length ? plotWidth / labels.length : plotWidth;
  const colWidth = Math.min(28, (groupWidth * 0.7) / Math.max(1, series.length));
  const groups = labels.map((label, i) => {
    const start = plotX + i * groupWidth + (groupWidth - colWidth * series.length) / 2;
    return {
      label,
      labelX: round(plotX + i * groupWidth + groupWidth / 2),
      columns: series.map((s, j) => {
        const h = (s.values[i] / max) * plotHeight;
        return { x: round(start + j * colWidth), y: round(plotY + plotHeight - h), width: round(colWidth - 2), height: round(h), value: s.values[i], fill: s.fill, name: s.name };
      }),
    };
  });
  // whole-number grid lines: quarters when they are whole, else fifths (niceMax makes one of them whole)
  const steps = Number.isInteger(max / 4) ? 4 : 5;
  const ticks = Array.from({ length: steps + 1 }, (_, k) => ({ y: round(plotY + plotHeight - (k / steps) * plotHeight), label: String((k * max) / steps) }));
  const legend = series.map((s, i) => ({ name: s.name, fill: s.fill, x: plotX + i * 140 }));
  const summary = `${title}：${series
    .map((s) => {
      const total = s.values.reduce((a, b) => a + b, 0);
      const peak = s.values.indexOf(Math.max(...s.values));
      return total ? `${s.name}共${total}件，最多的是${labels[peak]}（${s.values[peak]}件）` : `${s.name}共0件`;
    })
    .join('；')}。`;
  return { kind: 'columns', id, title, summary, width: WIDTH, height: plotY + plotHeight + 30, plotX, plotY, plotWidth, plotHeight, ticks, groups, legend };
}

const round = (n: number) => Math.round(n * 10) / 10;
