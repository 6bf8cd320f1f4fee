import { resolve } from 'node:path';
import { defineConfig } from 'electron-vite';
import react from '@vitejs/plugin-react';

// One build for every host: the Electron main process, the `outbox` CLI, the
// exporter worker and the file-check thread all come out of main/ as separate entries that share
// main/core. Dependencies stay external (resolved from node_modules), except
// those bundled for start-up time (README: "Build note").
export default defineConfig({
  main: {
    build: {
      externalizeDeps: {
        exclude: [
          'zod',
          '@aws-sdk/client-s3',
          '@aws-sdk/s3-request-presigner',
          '@azure/storage-blob',
          // ESM only: bundled, the CommonJS build needs no require() of an ES module
          'nanoid',
        ],
      },
      outDir: 'out/main',
      rollupOptions: {
        input: {
          index: resolve(__dirname, 'main/electron/main.ts'),
          cli: resolve(__dirname, 'main/cli/outbox.ts'),
          worker: resolve(__dirname, 'main/core/engine/worker.ts'),
          'file-check': resolve(__dirname, 'main/core/store/file-check-thread.ts'),
        },
        output: {
          // ASCII only (non-ASCII escaped, JSDoc comments left out; licence comments kept):
          // V8 keeps a script's source for as long as its functions live, two bytes per
          // character if one character is not Latin-1; the Azure SDK's chunk alone held 2.5 MiB.
          charset: 'ascii',
          comments: { legal: true, annotation: false, jsdoc: false },
          // What each thread runs before it loads the rest stays out of the
          // large shared chunk: the young generation's bound (CLI and Electron
          // main), the compile cache (CLI and worker), and the
          // early start of the CLI's exporter thread (main/core/engine/worker-thread.ts)
          // with its guess of the exporters to load (main/cli/operation-hint.ts).
          codeSplitting: {
            groups: [
              { name: 'young-generation', test: /main[\\/]core[\\/]young-generation\.ts$/ },
              { name: 'compile-cache', test: /main[\\/]core[\\/]compile-cache\.ts$/ },
              {
                name: 'worker-thread',
                test: /main[\\/]core[\\/](engine[\\/]worker-thread|thread-entry)\.ts$/,
              },
              { name: 'default-home', test: /main[\\/]core[\\/]default-home\.ts$/ },
              {
                name: 'early-exporter-thread',
                test: /main[\\/]cli[\\/](early-exporter-thread|operation-hint)\.ts$/,
              },
            ],
          },
        },
      },
    },
  },
  preload: {
    build: {
      outDir: 'out/preload',
      rollupOptions: { input: { index: resolve(__dirname, 'preload/index.ts') } },
    },
  },
  renderer: {
    root: 'renderer',
    build: {
      outDir: 'out/renderer',
      rollupOptions: { input: { index: resolve(__dirname, 'renderer/index.html') } },
    },
    plugins: [react()],
  },
});
