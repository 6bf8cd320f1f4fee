#!/usr/bin/env node
// The `outbox` command: the CLI is built by electron-vite into out/main/cli.js.
const { existsSync } = require('node:fs');
const { join } = require('node:path');

const cli = join(__dirname, '..', 'out', 'main', 'cli.js');
if (!existsSync(cli)) {
  console.error('outbox: not built yet. Run "npm run build" (npm install does it too).');
  process.exit(1);
}
require(cli);
