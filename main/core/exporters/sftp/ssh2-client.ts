import type nodeCrypto from 'node:crypto';
import { createRequire, Module } from 'node:module';
import type ssh2 from 'ssh2';
import { pooledRandomFill } from './pooled-random';

/**
 * ssh2's SSH client and key parser, loaded from their own files. ssh2's index
 * also loads its SSH server, its agents and its HTTP(S) agents, and with them
 * node:http, node:https and node:tls, which an exporter thread never uses:
 * 2.4 MiB of a 1 MiB SFTP export's peak RSS (BENCHMARKS.md, ninth session).
 * ssh2 has no `exports` map, so these are its public files as much as its
 * index is; the SFTP tests run through them.
 */
const load = createRequire(import.meta.url);

/** The native binding ssh2 builds at install (its ciphers in OpenSSL), if it loads. */
type Ssh2Binding = { ChaChaPolyCipher?: unknown; ChaChaPolyDecipher?: unknown };

/**
 * ssh2 compiles a WebAssembly Poly1305 as soon as its crypto module loads,
 * whatever cipher a connection then negotiates. Only its JavaScript
 * chacha20-poly1305 calls it, which ssh2 uses when its native binding has no
 * chacha20-poly1305 of its own. With the binding, that compile costs the
 * thread ~7 ms before it connects and ~1 MiB of a 1 MiB export's peak RSS
 * (BENCHMARKS.md, tenth session), so ssh2 is given a module that says it is
 * not there. Without the binding, ssh2 loads its own.
 */
function skipUnusedPoly1305(): void {
  let binding: Ssh2Binding;
  try {
    binding = load('ssh2/lib/protocol/crypto/build/Release/sshcrypto.node') as Ssh2Binding;
  } catch {
    return;
  }
  if (!binding.ChaChaPolyCipher || !binding.ChaChaPolyDecipher) return;
  const path = load.resolve('ssh2/lib/protocol/crypto/poly1305.js');
  const absent = () => {
    throw new Error(
      "ssh2's WebAssembly Poly1305 is not loaded: its native binding does chacha20-poly1305",
    );
  };
  const standIn = new Module(path);
  standIn.filename = path;
  standIn.loaded = true;
  // what ssh2's crypto.js calls at load: the module factory, then _malloc and cwrap
  standIn.exports = async () => ({ _malloc: () => 0, cwrap: () => absent });
  load.cache[path] = standIn;
}

/**
 * ssh2's packet code takes `randomFillSync` from node:crypto once, as it
 * loads, and calls it for every packet's padding. It is loaded here, first,
 * while node:crypto's `randomFillSync` is the pooled one (see pooled-random.ts);
 * the original is put back at once, so nothing else sees the swap. If the
 * module was already loaded, ssh2 keeps its own (slower, as correct).
 */
function padPacketsFromPool(): void {
  const crypto = load('node:crypto') as typeof nodeCrypto;
  const original = crypto.randomFillSync;
  crypto.randomFillSync = pooledRandomFill(original);
  try {
    load('ssh2/lib/protocol/crypto.js');
  } finally {
    crypto.randomFillSync = original;
  }
}

skipUnusedPoly1305();
padPacketsFromPool();

export const Client = load('ssh2/lib/client.js') as typeof ssh2.Client;

export const { parseKey } = load('ssh2/lib/protocol/keyParser.js') as typeof ssh2.utils;
