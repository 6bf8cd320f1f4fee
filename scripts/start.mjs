// `npm start`: the desktop app when Electron can run here, else the same UI
// in a browser via `outbox serve` (which prints the address to open).
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

/** The Electron binary, or why it cannot run. */
function electronBinary() {
  const pathFile = join(root, 'node_modules', 'electron', 'path.txt');
  if (!existsSync(pathFile)) {
    return { why: 'its binary was never downloaded (node_modules/electron/path.txt is missing)' };
  }
  const binary = join(
    root,
    'node_modules',
    'electron',
    'dist',
    readFileSync(pathFile, 'utf8').trim(),
  );
  if (!existsSync(binary)) return { why: `its binary ${binary} is missing` };
  if (process.platform === 'linux' && !process.env.DISPLAY && !process.env.WAYLAND_DISPLAY) {
    return { why: 'there is no display (neither DISPLAY nor WAYLAND_DISPLAY is set)' };
  }
  const probe = spawnSync(binary, ['--version'], {
    env: { ...process.env, ELECTRON_RUN_AS_NODE: '1' },
    timeout: 15_000,
    encoding: 'utf8',
  });
  if (probe.status !== 0) {
    const reason =
      probe.error?.message ?? probe.stderr.trim().split('\n')[0] ?? `exit ${probe.status}`;
    return { why: `its binary does not start (${reason})` };
  }
  return { binary };
}

/** Runs a child in its own process group, forwards Ctrl-C/SIGTERM once, exits with its code. */
function runForeground(command, args) {
  const child = spawn(command, args, {
    cwd: root,
    stdio: ['ignore', 'inherit', 'inherit'],
    detached: process.platform !== 'win32',
  });
  for (const signal of ['SIGINT', 'SIGTERM']) {
    process.on(signal, () => {
      if (child.exitCode === null) child.kill(signal);
    });
  }
  process.on('exit', () => {
    if (child.exitCode === null) child.kill('SIGTERM');
  });
  child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
  child.on('error', (error) => {
    console.error(`npm start: could not start ${command}: ${error.message}`);
    process.exit(1);
  });
}

const electron = electronBinary();
if (electron.binary) {
  runForeground(electron.binary, [root]);
} else {
  console.log(
    `Electron cannot run here: ${electron.why}. Serving the Outbox UI for your browser instead.`,
  );
  runForeground(process.execPath, [join(root, 'bin', 'outbox.js'), 'serve']);
}
