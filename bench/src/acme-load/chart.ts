/**
 * A grouped bar chart as a hand-written SVG: one group per concurrency, one
 * bar per target, issuances per second on the y axis.
 */

/** One series of the chart. */
export interface ChartSeries {
  name: string;
  /** Values by group, in the order of `groups`; NaN draws no bar. */
  values: number[];
}

const COLORS = ['#2b6cb0', '#38a169', '#dd6b20', '#805ad5'];

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function niceStep(max: number): number {
  const raw = max / 5;
  const pow = 10 ** Math.floor(Math.log10(raw));
  return ([1, 2, 2.5, 5, 10].map((m) => m * pow).find((s) => s >= raw) ?? raw);
}

/** Renders the chart; `groups` label the x axis, `title` and `yLabel` the chart. */
export function barChartSvg(input: { title: string; yLabel: string; groups: string[]; series: ChartSeries[] }): string {
  const width = 720;
  const height = 400;
  const m = { left: 70, right: 20, top: 50, bottom: 70 };
  const plotW = width - m.left - m.right;
  const plotH = height - m.top - m.bottom;
  const max = Math.max(1e-9, ...input.series.flatMap((s) => s.values.filter((v) => Number.isFinite(v))));
  const step = niceStep(max);
  const top = Math.ceil(max / step) * step;
  const y = (v: number): number => m.top + plotH - (v / top) * plotH;
  const groupW = plotW / input.groups.length;
  const barW = (groupW * 0.75) / input.series.length;
  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`);
  out.push(`<rect width="${width}" height="${height}" fill="#ffffff"/>`);
  out.push(`<text x="${width / 2}" y="24" text-anchor="middle" font-size="15" font-weight="bold">${esc(input.title)}</text>`);
  for (let v = 0; v <= top + step / 2; v += step) {
    const yy = y(v).toFixed(1);
    out.push(`<line x1="${m.left}" x2="${width - m.right}" y1="${yy}" y2="${yy}" stroke="#e2e8f0"/>`);
    out.push(`<text x="${m.left - 6}" y="${yy}" text-anchor="end" dominant-baseline="middle">${Number(v.toFixed(2))}</text>`);
  }
  out.push(`<text transform="translate(18 ${m.top + plotH / 2}) rotate(-90)" text-anchor="middle">${esc(input.yLabel)}</text>`);
  input.groups.forEach((g, gi) => {
    const gx = m.left + gi * groupW + groupW * 0.125;
    input.series.forEach((s, si) => {
      const v = s.values[gi] ?? Number.NaN;
      if (!Number.isFinite(v)) return;
      const x = gx + si * barW;
      out.push(`<rect x="${x.toFixed(1)}" y="${y(v).toFixed(1)}" width="${(barW - 2).toFixed(1)}" height="${(m.top + plotH - y(v)).toFixed(1)}" fill="${COLORS[si % COLORS.length]}"/>`);
      out.push(`<text x="${(x + barW / 2 - 1).toFixed(1)}" y="${(y(v) - 4).toFixed(1)}" text-anchor="middle" font-size="11">${v >= 100 ? Math.round(v) : v.toFixed(1)}</text>`);
    });
    out.push(`<text x="${(m.left + gi * groupW + groupW / 2).toFixed(1)}" y="${m.top + plotH + 18}" text-anchor="middle">${esc(g)}</text>`);
  });
  out.push(`<line x1="${m.left}" x2="${width - m.right}" y1="${m.top + plotH}" y2="${m.top + plotH}" stroke="#4a5568"/>`);
  input.series.forEach((s, si) => {
    const lx = m.left + si * 200;
    const ly = height - 22;
    out.push(`<rect x="${lx}" y="${ly - 10}" width="12" height="12" fill="${COLORS[si % COLORS.length]}"/>`);
    out.push(`<text x="${lx + 18}" y="${ly}">${esc(s.name)}</text>`);
  });
  out.push('</svg>');
  return out.join('\n') + '\n';
}
