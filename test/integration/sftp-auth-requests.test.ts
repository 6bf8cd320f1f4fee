import { promises as fs } from 'node:fs';
import ssh2, { type ConnectConfig } from 'ssh2';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { WorkerSessions } from '../../main/core/engine/session-cache';
import { exportSftpSchema } from '../../main/core/exporters/sftp/destination';
import { sftpSession } from '../../main/core/exporters/sftp/sftp-session';
import { SFTP, assertServerUp } from '../support/servers';

/**
 * The authentication requests Outbox's SFTP connection sends to the real
 * sshd, read from ssh2's own debug log (switched on by wrapping
 * Client.connect in this process, where the session is opened directly):
 * the task's methods, in ssh2's order, and never ssh2's first probe
 * (`none`, which only asks the server for its methods and costs a round trip).
 */
async function authRequests(
  task: Record<string, unknown>,
): Promise<{ requests: string[]; error?: unknown }> {
  const lines: string[] = [];
  const connect = ssh2.Client.prototype.connect;
  vi.spyOn(ssh2.Client.prototype, 'connect').mockImplementation(function (
    this: ssh2.Client,
    config: ConnectConfig,
  ) {
    return connect.call(this, { ...config, debug: (line: string) => lines.push(line) });
  });
  const params = exportSftpSchema().parse(task);
  const sessions = new WorkerSessions();
  const error = await sftpSession(params, sessions, new AbortController().signal).then(
    () => undefined,
    (failure: unknown) => failure,
  );
  await sessions.clear();
  const requests = lines
    .map((line) => /Outbound: Sending USERAUTH_REQUEST \((.+)\)/.exec(line)?.[1])
    .filter((method) => method !== undefined);
  return { requests, ...(error ? { error } : {}) };
}

const server = {
  operation: 'export/sftp',
  input: 'import-files',
  host: SFTP.host,
  port: SFTP.port,
  username: SFTP.username,
};

describe('SFTP authentication requests (OpenSSH sshd)', () => {
  beforeAll(() => assertServerUp('sftp'));
  afterEach(() => vi.restoreAllMocks());

  it('sends the password first, with no `none` probe before it', async () => {
    expect(await authRequests({ ...server, password: SFTP.password })).toEqual({
      requests: ['password'],
    });
  });

  it('offers the key first (ssh2 asks whether the server takes it, then signs)', async () => {
    const privateKey = await fs.readFile(SFTP.keys.ed25519, 'utf8');
    expect(await authRequests({ ...server, private_key: privateKey })).toEqual({
      requests: ['publickey -- check', 'publickey'],
    });
  });

  it('stops after one refused password with AUTH_FAILED, having sent nothing else', async () => {
    const { requests, error } = await authRequests({ ...server, password: 'not-the-password' });
    expect(requests).toEqual(['password']);
    expect(error).toMatchObject({ code: 'AUTH_FAILED' });
  });
});
