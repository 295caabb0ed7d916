/** Dependency-free SVG charts for the results (grouped bars, optional log scale). */

export interface BarSeries {
  name: string;
  values: number[];
  /** Optional [min, max] per value, drawn as a whisker. */
  ranges?: Array<[number, number] | null>;
}

const COLORS = ['#1b6ac9', '#d9730d', '#2e9d4f', '#b23a48', '#7a4fc9', '#777777'];

const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

export function groupedBarChart(opts: {
  title: string;
  yLabel: string;
  groups: string[];
  series: BarSeries[];
  log?: boolean;
}): string {
  const width = 860;
  const height = 420;
  const m = { top: 48, right: 20, bottom: 90, left: 80 };
  const plotW = width - m.left - m.right;
  const plotH = height - m.top - m.bottom;
  const all = opts.series
    .flatMap((s) => [...s.values, ...(s.ranges ?? []).flatMap((r) => (r ? r : []))])
    .filter((v) => Number.isFinite(v) && v > 0);
  const maxV = all.length ? Math.max(...all) : 1;
  const minV = all.length ? Math.min(...all) : 1;
  const logScale = opts.log ?? false;
  const lo = logScale ? 10 ** Math.floor(Math.log10(minV)) : 0;
  const hi = logScale ? 10 ** Math.ceil(Math.log10(maxV)) : niceCeil(maxV);
  const y = (v: number): number => {
    if (!Number.isFinite(v) || v <= 0) return m.top + plotH;
    const f = logScale ? (Math.log10(Math.max(v, lo)) - Math.log10(lo)) / (Math.log10(hi) - Math.log10(lo)) : v / hi;
    return m.top + plotH - f * plotH;
  };
  const out: string[] = [];
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`,
  );
  out.push(`<rect width="${width}" height="${height}" fill="white"/>`);
  out.push(`<text x="${width / 2}" y="24" text-anchor="middle" font-size="15" font-weight="bold">${esc(opts.title)}</text>`);
  const ticks = logScale
    ? Array.from({ length: Math.round(Math.log10(hi / lo)) + 1 }, (_, i) => lo * 10 ** i)
    : Array.from({ length: 6 }, (_, i) => (hi * i) / 5);
  for (const t of ticks) {
    const ty = y(t);
    out.push(`<line x1="${m.left}" x2="${width - m.right}" y1="${ty}" y2="${ty}" stroke="#e4e4e4"/>`);
    out.push(`<text x="${m.left - 6}" y="${ty + 4}" text-anchor="end">${esc(short(t))}</text>`);
  }
  out.push(`<text transform="translate(18 ${m.top + plotH / 2}) rotate(-90)" text-anchor="middle">${esc(opts.yLabel)}</text>`);
  const groupW = plotW / Math.max(1, opts.groups.length);
  const barW = Math.min(48, (groupW * 0.8) / Math.max(1, opts.series.length));
  opts.groups.forEach((g, gi) => {
    const gx = m.left + gi * groupW + (groupW - barW * opts.series.length) / 2;
    opts.series.forEach((s, si) => {
      const v = s.values[gi] ?? NaN;
      const x = gx + si * barW;
      if (Number.isFinite(v) && v > 0) {
        out.push(
          `<rect x="${x.toFixed(1)}" y="${y(v).toFixed(1)}" width="${(barW - 2).toFixed(1)}" height="${(m.top + plotH - y(v)).toFixed(1)}" fill="${COLORS[si % COLORS.length]}"><title>${esc(`${s.name} / ${g}: ${short(v)}`)}</title></rect>`,
        );
        const r = s.ranges?.[gi];
        if (r && r[0] !== r[1]) {
          const cx = x + (barW - 2) / 2;
          out.push(`<line x1="${cx}" x2="${cx}" y1="${y(r[0])}" y2="${y(r[1])}" stroke="black"/>`);
        }
      } else {
        out.push(`<text x="${x + barW / 2}" y="${m.top + plotH - 4}" text-anchor="middle" font-size="9" fill="#999">n/a</text>`);
      }
    });
    out.push(`<text x="${m.left + gi * groupW + groupW / 2}" y="${m.top + plotH + 18}" text-anchor="middle">${esc(g)}</text>`);
  });
  out.push(`<line x1="${m.left}" x2="${m.left}" y1="${m.top}" y2="${m.top + plotH}" stroke="black"/>`);
  out.push(`<line x1="${m.left}" x2="${width - m.right}" y1="${m.top + plotH}" y2="${m.top + plotH}" stroke="black"/>`);
  opts.series.forEach((s, si) => {
    const lx = m.left + (si % 3) * 260;
    const ly = height - 44 + Math.floor(si / 3) * 18;
    out.push(`<rect x="${lx}" y="${ly - 10}" width="12" height="12" fill="${COLORS[si % COLORS.length]}"/>`);
    out.push(`<text x="${lx + 18}" y="${ly}">${esc(s.name)}</text>`);
  });
  out.push('</svg>');
  return out.join('\n');
}

function niceCeil(v: number): number {
  const p = 10 ** Math.floor(Math.log10(v));
  for (const f of [1, 2, 2.5, 5, 10]) if (f * p >= v) return f * p;
  return 10 * p;
}

function short(v: number): string {
  if (v >= 1e6) return `${+(v / 1e6).toFixed(1)}M`;
  if (v >= 1e3) return `${+(v / 1e3).toFixed(1)}k`;
  if (v >= 10) return `${Math.round(v)}`;
  return `${+v.toFixed(2)}`;
}
