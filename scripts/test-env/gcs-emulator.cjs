#!/usr/bin/env node
// scripts/test-env/gcs-emulator.cjs — starts firebase-tools' real Cloud Storage emulator (its Node implementation)
// in-process on 127.0.0.1:9199 (PORT overrides), project demo-outbox, without the Java rules runtime (the CLI
// wants Java 21 plus a jar download, which CI cannot do). With rules disabled only admin requests work: the
// gcloud JSON API (/storage/v1, /upload/storage/v1, /download/storage/v1) that @google-cloud/storage uses with
// STORAGE_EMULATOR_HOST=http://127.0.0.1:9199 is treated as admin; no auth header is needed.
//
// Uses firebase-tools internals (lib/emulator/storage, lib/emulator/registry): pinned to major 14 in package.json.
'use strict';
const path = require('path');

const root = path.resolve(__dirname, '..', '..');
let pkgJson;
try {
  pkgJson = require.resolve('firebase-tools/package.json', { paths: [root, process.cwd()] });
} catch {
  console.error('firebase-tools not found: run npm ci (it is a devDependency)');
  process.exit(1);
}
const version = require(pkgJson).version;
if (!/^14\./.test(version)) {
  console.error(`firebase-tools ${version}: this launcher is written against 14.x internals`);
  process.exit(1);
}
const lib = path.join(path.dirname(pkgJson), 'lib');
const { StorageEmulator } = require(path.join(lib, 'emulator', 'storage'));
const { EmulatorRegistry } = require(path.join(lib, 'emulator', 'registry'));

const host = process.env.HOST || '127.0.0.1';
const port = Number(process.env.PORT || 9199);
const projectId = process.env.PROJECT_ID || 'demo-outbox';

(async () => {
  const t0 = Date.now();
  const emu = new StorageEmulator({
    host,
    port,
    projectId,
    rules: { name: 'none', content: '' },
    auto_download: false,
  });
  // stub the Java rules runtime out (its start() would download and spawn a JVM)
  emu._rulesRuntime.start = async () => {};
  emu._rulesRuntime.stop = async () => {};
  emu._rulesManager.start = async () => {};
  emu._rulesManager.stop = async () => {};
  await EmulatorRegistry.start(emu);
  console.log(
    `firebase-tools ${version} storage emulator (rules disabled) on http://${host}:${port}, project ${projectId}, ${Date.now() - t0} ms`,
  );
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    await EmulatorRegistry.stopAll().catch(() => {});
    process.exit(0);
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
})().catch((e) => {
  console.error('FAILED to start the storage emulator:', e);
  process.exit(1);
});
