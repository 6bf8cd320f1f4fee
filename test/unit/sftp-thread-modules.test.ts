import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { inFreshProcess } from '../support/fresh-process';

const exporter = fileURLToPath(
  new URL('../../main/core/exporters/sftp/sftp-exporter.ts', import.meta.url),
);

describe("the SFTP exporter's imports", () => {
  it("loads ssh2's client without its server and HTTP agents (no node:http, node:https, node:tls)", () => {
    const loaded = inFreshProcess<string[]>(
      [
        `await import(${JSON.stringify(exporter)});`,
        `const loaded = process.moduleLoadList.filter((m) => m.startsWith('NativeModule '));`,
        `console.log(JSON.stringify(loaded.map((m) => m.slice('NativeModule '.length))));`,
      ].join('\n'),
    );
    expect(loaded).toContain('net'); // the import ran: ssh2's client is loaded
    expect(loaded).toContain('zlib'); // ssh2's packet code
    for (const unused of ['http', 'https', 'tls']) expect(loaded).not.toContain(unused);
  });

  it("compiles no WebAssembly: ssh2's native binding does chacha20-poly1305, not its Poly1305 module", () => {
    const seen = inFreshProcess<{ compiled: number; binding: boolean }>(
      [
        `let compiled = 0;`,
        `for (const name of ['compile', 'instantiate']) {`,
        `  const original = WebAssembly[name];`,
        `  WebAssembly[name] = (...args) => (compiled++, original(...args));`,
        `}`,
        `await import(${JSON.stringify(exporter)});`,
        `const { createRequire } = await import('node:module');`,
        `const crypto = createRequire(import.meta.url)('ssh2/lib/protocol/crypto.js');`,
        `await crypto.init;`, // ssh2's client waits for this before it connects
        `console.log(JSON.stringify({ compiled, binding: crypto.bindingAvailable }));`,
      ].join('\n'),
    );
    expect(seen.binding).toBe(true); // built by npm install (package.json allowScripts)
    expect(seen.compiled).toBe(0);
  });
});
