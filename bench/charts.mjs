// Hand-written SVG charts for bench/RESULTS.md: one horizontal row per
// system, a bar to the median and markers at p90 and p99, on a log-scale
// x axis of microseconds. No dependencies, no external service.

const esc = (s) => String(s).replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
const COLORS = { median: "#2b6cb0", p90: "#dd6b20", p99: "#c53030" };
const label = (us) => (us >= 1e6 ? `${us / 1e6}s` : us >= 1000 ? `${us / 1000}ms` : `${us}µs`);

/**
 * @param {{ title: string, rows: { label: string, median: number, p90: number, p99: number, highlight?: boolean }[] }} chart
 * @returns {string} the SVG document
 */
export function latencyChart({ title, rows }) {
  const labelW = 300, plotW = 440, right = 20, top = 52, rowH = 22, bottom = 42;
  const width = labelW + plotW + right, height = top + rows.length * rowH + bottom;
  const values = rows.flatMap((r) => [r.median, r.p90, r.p99]).filter((v) => v > 0);
  const lo = 10 ** Math.floor(Math.log10(Math.min(...values, 10)));
  const hi = 10 ** Math.ceil(Math.log10(Math.max(...values, 10)));
  const x = (v) => labelW + (Math.log10(Math.max(v, lo)) - Math.log10(lo)) / (Math.log10(hi) - Math.log10(lo)) * plotW;
  const out = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="Helvetica, Arial, sans-serif" font-size="12">`,
    `<rect width="${width}" height="${height}" fill="#ffffff"/>`,
    `<text x="${width / 2}" y="18" text-anchor="middle" font-size="14" font-weight="bold">${esc(title)}</text>`,
  ];
  // Legend.
  let lx = labelW;
  for (const [name, color] of Object.entries(COLORS)) {
    out.push(
      name === "median"
        ? `<rect x="${lx}" y="30" width="18" height="10" fill="${color}" opacity="0.35"/><line x1="${lx + 18}" y1="28" x2="${
          lx + 18
        }" y2="42" stroke="${color}" stroke-width="2"/>`
        : `<circle cx="${lx + 9}" cy="35" r="4" fill="${color}"/>`,
    );
    out.push(`<text x="${lx + 24}" y="39">${name}</text>`);
    lx += 90;
  }
  // Grid: decades, with 2x and 5x minor lines.
  const plotBottom = top + rows.length * rowH;
  for (let d = lo; d <= hi; d *= 10) {
    out.push(`<line x1="${x(d)}" y1="${top - 4}" x2="${x(d)}" y2="${plotBottom}" stroke="#bbbbbb"/>`);
    out.push(`<text x="${x(d)}" y="${plotBottom + 16}" text-anchor="middle">${label(d)}</text>`);
    for (const m of [2, 5]) if (d * m < hi) out.push(`<line x1="${x(d * m)}" y1="${top - 4}" x2="${x(d * m)}" y2="${plotBottom}" stroke="#eeeeee"/>`);
  }
  out.push(`<text x="${labelW + plotW / 2}" y="${plotBottom + 34}" text-anchor="middle">latency per operation (log scale)</text>`);
  rows.forEach((r, i) => {
    const y = top + i * rowH + rowH / 2;
    if (i % 2 === 0) out.push(`<rect x="0" y="${y - rowH / 2}" width="${width}" height="${rowH}" fill="#000000" opacity="0.03"/>`);
    out.push(`<text x="${labelW - 8}" y="${y + 4}" text-anchor="end"${r.highlight ? ' font-weight="bold"' : ""}>${esc(r.label)}</text>`);
    out.push(`<rect x="${labelW}" y="${y - 6}" width="${Math.max(0, x(r.median) - labelW)}" height="12" fill="${COLORS.median}" opacity="0.35"/>`);
    out.push(`<line x1="${x(r.median)}" y1="${y}" x2="${x(r.p99)}" y2="${y}" stroke="#888888"/>`);
    out.push(`<line x1="${x(r.median)}" y1="${y - 8}" x2="${x(r.median)}" y2="${y + 8}" stroke="${COLORS.median}" stroke-width="2"/>`);
    out.push(`<circle cx="${x(r.p90)}" cy="${y}" r="4" fill="${COLORS.p90}"/>`);
    out.push(`<circle cx="${x(r.p99)}" cy="${y}" r="4" fill="${COLORS.p99}"/>`);
    out.push(`<title>${esc(`${r.label}: median ${label(r.median)}, p90 ${label(r.p90)}, p99 ${label(r.p99)}`)}</title>`);
  });
  out.push("</svg>");
  return out.join("\n") + "\n";
}
