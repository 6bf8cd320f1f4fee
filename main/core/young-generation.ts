import { setFlagsFromString } from 'node:v8';

/**
 * The young generation keeps its first size. Left to grow, V8 doubles it
 * while objects survive:
 * - to 128 MiB in a 20,000-file export, most of the difference between its
 *   peak RSS and 256 MiB;
 * - each scavenge then copies every survivor: with the records of a
 *   100,000-file ZIP, the main thread paused 40–70 ms a time (26–40 ms kept small).
 * Scavenging a small one cost no measurable CPU on the board's lines.
 * Process-wide, so exporter threads have it too. Imported first, for its
 * effect, by each process's entry (the CLI and `outbox serve`, the Electron
 * main process), in a chunk of its own: set before the rest is loaded.
 */
setFlagsFromString('--semi-space-growth-factor=1');
