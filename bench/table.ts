/** One line of the bench's table, and how the table is printed. */

export interface Row {
  figure: string;
  ours: string;
  baseline: string;
  ratio: number | null;
  target: string;
  /** null: informative only, or not measured. */
  pass: boolean | null;
}

export function printTable(rows: Row[]): void {
  const cells = rows.map((r) => [r.figure, r.ours, r.baseline, r.ratio === null ? '-' : r.ratio.toFixed(2), r.target, r.pass === null ? '-' : r.pass ? 'pass' : 'FAIL']);
  const header = ['figure', 'ours', 'baseline', 'ratio', 'target', 'result'];
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
  const line = (c: string[]): string => c.map((v, i) => v.padEnd(widths[i]!)).join(' | ');
  console.log(line(header));
  console.log(widths.map((w) => '-'.repeat(w)).join('-|-'));
  for (const c of cells) console.log(line(c));
}
