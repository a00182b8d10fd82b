/** Columns padded to their widest cell, two spaces apart: how the CLI shows lists in a terminal. */
export function table(head: string[], rows: string[][]): string[] {
  const widths = head.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c].length)));
  return [head, ...rows].map((r) => r.map((v, c) => v.padEnd(widths[c])).join('  ').trimEnd());
}

export function printTable(head: string[], rows: string[][]): void {
  for (const line of table(head, rows)) process.stdout.write(`${line}\n`);
}
