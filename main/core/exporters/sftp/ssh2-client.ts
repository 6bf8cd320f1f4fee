import { createRequire } from 'node:module';
import type ssh2 from 'ssh2';

/**
 * ssh2's SSH client and key parser, loaded from their own files. ssh2's index
 * also loads its SSH server, its agents and its HTTP(S) agents, and with them
 * node:http, node:https and node:tls, which an exporter thread never uses:
 * 2.4 MiB of a 1 MiB SFTP export's peak RSS (BENCHMARKS.md, ninth session).
 * ssh2 has no `exports` map, so these are its public files as much as its
 * index is; the SFTP tests run through them.
 */
const load = createRequire(import.meta.url);

export const Client = load('ssh2/lib/client.js') as typeof ssh2.Client;

export const { parseKey } = load('ssh2/lib/protocol/keyParser.js') as typeof ssh2.utils;
