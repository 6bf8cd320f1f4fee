import { promises as fs } from 'node:fs';
import type { Sizes } from './data';
import { describeSize } from './units';

const BEGIN = '<!-- bench:begin: written by `npm run bench`; edit outside these markers -->';
const END = '<!-- bench:end -->';

export type Board = {
  table: string;
  command: string;
  started: Date;
  minutes: number;
  runs: number;
  quick: boolean;
  machine: string;
  sizes: Sizes;
  /** Set while the run is still going: how far it got. */
  partial?: string;
};

function section(board: Board): string {
  const { sizes } = board;
  const mode = board.quick
    ? `**QUICK run (small sizes: ${describeSize(sizes.bigBytes)}, ${describeSize(sizes.smallBytes, sizes.smallCount)}; ${board.runs} run): development figures, not the board.**`
    : `Full run: ${board.runs} runs per tool and line, medians.`;
  return [
    BEGIN,
    '',
    `- Command: \`${board.command}\``,
    `- Date: ${board.started.toISOString().replace('T', ' ').slice(0, 16)} UTC, ${board.minutes.toFixed(1)} min in all`,
    `- Machine: ${board.machine}`,
    `- ${mode}`,
    ...(board.partial ? [`- **Incomplete: ${board.partial}.**`] : []),
    '',
    board.table,
    '',
    END,
  ].join('\n');
}

/** Replaces the generated section of BENCHMARKS.md (creating the file if needed), keeping the rest. */
export async function writeBoard(path: string, board: Board): Promise<void> {
  const current = await fs.readFile(path, 'utf8').catch(() => '');
  const start = current.indexOf(BEGIN);
  const end = current.indexOf(END);
  const next =
    start >= 0 && end > start
      ? current.slice(0, start) + section(board) + current.slice(end + END.length)
      : `# Benchmarks\n\n${section(board)}\n`;
  await fs.writeFile(path, next);
}
