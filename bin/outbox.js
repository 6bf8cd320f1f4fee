#!/usr/bin/env node
// The `outbox` command: the CLI is built by electron-vite into out/main/cli.js.
// A shell's own `node` may be older than the one npm install brought (node:sqlite, Node 24).
const major = Number(process.versions.node.split('.')[0]);
if (major < 24) {
  console.error(
    `outbox: needs Node 24 or later, and this is ${process.versions.node}. ` +
      'Run it as "npx outbox …" (or "npm run outbox -- …"): they use the Node that npm install brought.',
  );
  process.exit(1);
}

const { existsSync } = require('node:fs');
const { join } = require('node:path');

const cli = join(__dirname, '..', 'out', 'main', 'cli.js');
if (!existsSync(cli)) {
  console.error('outbox: not built yet. Run "npm run build" (npm install does it too).');
  process.exit(1);
}
require(cli);
