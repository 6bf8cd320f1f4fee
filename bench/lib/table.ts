/** A contender's result on one line: median throughput and peak RSS over its runs. */
export type Figure = {
  tool: string;
  mbps?: number;
  rssMiB?: number;
  /** Median CPU seconds (user + system) of the client per run. */
  cpuSeconds?: number;
  /** Seconds of each successful run. */
  samples: number[];
  error?: string;
};

/** One row of the board. */
export type Line = {
  id: string;
  title: string;
  outbox: Figure;
  peers: Figure[];
  /** The protocol's raw library (or curl) on the same data: Outbox ÷ ceiling is Outbox's overhead. */
  ceilings?: Figure[];
  /** Rows without a throughput comparison (memory, event-loop delay) say their figure here. */
  absolute?: string;
  /** What the figures count, when not MB/s (e.g. "req/s": the link server's request rate). */
  unit?: string;
};

export function median(values: number[]): number | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
}

/** The median of one figure over runs, leaving out runs without it (undefined for none). */
export function medianOf<R>(runs: R[], figure: (run: R) => number | undefined): number | undefined {
  return median(runs.map(figure).filter((v): v is number => v !== undefined));
}

/** Text as one table cell: a `|` would end the cell. */
export function cellText(text: string): string {
  return text.replace(/\|/g, '/');
}

export function bestPeer(line: Line): Figure | undefined {
  return line.peers
    .filter((p) => p.mbps !== undefined && !p.error)
    .sort((a, b) => (b.mbps ?? 0) - (a.mbps ?? 0))[0];
}

/** Outbox throughput ÷ another figure's (above 1: Outbox is faster). */
function ratioTo(line: Line, other: Figure | undefined): number | undefined {
  if (!other?.mbps || other.error || line.outbox.mbps === undefined || line.outbox.error)
    return undefined;
  return line.outbox.mbps / other.mbps;
}

/** Outbox throughput ÷ the best peer's (above 1: Outbox is faster). */
export function ratioOf(line: Line): number | undefined {
  return ratioTo(line, bestPeer(line));
}

const fmt = (n: number) => (n >= 100 ? n.toFixed(0) : n >= 10 ? n.toFixed(1) : n.toFixed(2));

function cell(f: Figure, withName: boolean, unit = 'MB/s'): string {
  const name = withName ? `${f.tool} ` : '';
  if (f.error) return `${name}ERROR: ${cellText(f.error)}`;
  const parts = [f.mbps === undefined ? '—' : `${fmt(f.mbps)} ${unit}`];
  if (f.rssMiB !== undefined) parts.push(`${Math.round(f.rssMiB)} MiB`);
  if (f.cpuSeconds !== undefined) parts.push(`${f.cpuSeconds.toFixed(1)} CPU-s`);
  return `${name}${parts.join(' · ')}`;
}

/** Each ceiling with Outbox's share of it: "ssh2 fastPut 270 MB/s · 3.1 CPU-s → **0.93×**". */
function ceilingCells(line: Line): string {
  const cells = (line.ceilings ?? []).map((c) => {
    const ratio = ratioTo(line, c);
    return `${cell(c, true, line.unit)}${ratio === undefined ? '' : ` → **${ratio.toFixed(2)}×**`}`;
  });
  return cells.join('; ') || '—';
}

export function renderTable(lines: Line[]): string {
  const rows = [
    '| line | Outbox | best peer | Outbox ÷ best peer | ceilings → Outbox ÷ ceiling | other peers |',
    '| --- | --- | --- | --- | --- | --- |',
  ];
  for (const line of lines) {
    if (line.absolute !== undefined) {
      rows.push(`| ${line.title} | ${line.absolute} | — | — | — | — |`);
      continue;
    }
    const best = bestPeer(line);
    const ratio = ratioOf(line);
    const cellOf = (f: Figure, withName: boolean) => cell(f, withName, line.unit);
    const others = line.peers.filter((p) => p !== best).map((p) => cellOf(p, true));
    rows.push(
      `| ${line.title} | ${cellOf(line.outbox, false)} | ${best ? cellOf(best, true) : line.peers.length ? line.peers.map((p) => cellOf(p, true)).join('; ') : '— (no peer)'} | ${ratio === undefined ? '—' : `**${ratio.toFixed(2)}×**`} | ${ceilingCells(line)} | ${others.join('; ') || '—'} |`,
    );
  }
  return rows.join('\n');
}
