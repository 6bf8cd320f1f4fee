#!/usr/bin/env node
// The `outbox` command: the CLI is built by electron-vite into out/main/cli.js.
const { setFlagsFromString } = require('node:v8');

// The young generation keeps its first size (set before anything is loaded): left to grow, V8
// doubles it while objects survive, to 128 MiB in a 20,000-file export, most of the difference
// between its peak RSS and 256 MiB; scavenging a small one cost no measurable CPU there.
setFlagsFromString('--semi-space-growth-factor=1');

const { existsSync } = require('node:fs');
const { join } = require('node:path');

const cli = join(__dirname, '..', 'out', 'main', 'cli.js');
if (!existsSync(cli)) {
  console.error('outbox: not built yet. Run "npm run build" (npm install does it too).');
  process.exit(1);
}
require(cli);
