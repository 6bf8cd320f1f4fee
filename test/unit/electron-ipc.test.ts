import { describe, expect, it } from 'vitest';
import { apiMethods, ipcEventChannel } from '../../main/core/api/api-transport';
import type { OutboxApi } from '../../main/core/api/outbox-api';
import {
  handleIpcCall,
  ipcChannelTable,
  isTrustedSender,
  registerIpc,
  type AppPage,
} from '../../main/electron/ipc';

const page: AppPage = { fileUrl: 'file:///opt/Outbox/resources/app.asar/out/renderer/index.html' };
const devPage: AppPage = { ...page, devServerUrl: 'http://localhost:5173/' };

/** An API whose calls are recorded: what reaches it passed both checks. */
function recordingApi(): { api: OutboxApi; calls: [string, unknown[]][] } {
  const calls: [string, unknown[]][] = [];
  const api = Object.fromEntries(
    apiMethods.map((method) => [
      method,
      async (...args: unknown[]) => {
        calls.push([method, args]);
        return method === 'listJobs' ? [] : undefined;
      },
    ]),
  ) as unknown as OutboxApi;
  return { api, calls };
}

describe('isTrustedSender', () => {
  it('trusts only the app’s own page', () => {
    expect(isTrustedSender(page.fileUrl, page)).toBe(true);
    expect(isTrustedSender(`${page.fileUrl}#/transfers`, page)).toBe(true);
    expect(isTrustedSender('file:///tmp/evil.html', page)).toBe(false);
    expect(
      isTrustedSender('file:///opt/Outbox/resources/app.asar/out/renderer/other.html', page),
    ).toBe(false);
    expect(isTrustedSender('https://example.com/', page)).toBe(false);
    expect(isTrustedSender('about:blank', page)).toBe(false);
    expect(isTrustedSender('', page)).toBe(false);
    expect(isTrustedSender(undefined, page)).toBe(false);
    expect(isTrustedSender('not a url', page)).toBe(false);
  });

  it('trusts the dev server only when there is one, and only its origin', () => {
    expect(isTrustedSender('http://localhost:5173/', page)).toBe(false);
    expect(isTrustedSender('http://localhost:5173/index.html', devPage)).toBe(true);
    expect(isTrustedSender('http://localhost:5174/', devPage)).toBe(false);
    expect(isTrustedSender('http://127.0.0.1:5173/', devPage)).toBe(false);
    expect(
      isTrustedSender('http://evil.example:5173/', {
        ...page,
        devServerUrl: 'http://evil.example:5173/',
      }),
    ).toBe(false);
  });
});

describe('the IPC channel table', () => {
  it('has one fixed channel per API method and nothing generic', () => {
    expect(ipcChannelTable.map((e) => e.method)).toEqual([...apiMethods]);
    const channels = ipcChannelTable.map((e) => e.channel);
    expect(new Set(channels).size).toBe(channels.length);
    for (const channel of channels) expect(channel).toMatch(/^outbox:[a-zA-Z]+$/);
    expect(channels).not.toContain(ipcEventChannel);
    expect(channels.some((c) => /invoke|any|call/i.test(c))).toBe(false);
  });

  it('registers exactly those channels and removes them again', () => {
    const handled = new Map<string, unknown>();
    const ipcMain = {
      handle: (channel: string, listener: unknown) => void handled.set(channel, listener),
      removeHandler: (channel: string) => void handled.delete(channel),
    };
    const unregister = registerIpc(ipcMain, recordingApi().api, page);
    expect([...handled.keys()].sort()).toEqual(ipcChannelTable.map((e) => e.channel).sort());
    unregister();
    expect(handled.size).toBe(0);
  });
});

describe('handleIpcCall', () => {
  const top = { url: page.fileUrl, parent: null };

  it('calls the API for the app’s top frame with valid arguments', async () => {
    const { api, calls } = recordingApi();
    expect(await handleIpcCall(api, page, 'listJobs', top, [])).toEqual({ ok: true, value: [] });
    expect(await handleIpcCall(api, page, 'cancelJob', top, ['job-1'])).toEqual({
      ok: true,
      value: null,
    });
    expect(calls).toEqual([
      ['listJobs', []],
      ['cancelJob', ['job-1']],
    ]);
  });

  it('refuses other senders before the API sees anything', async () => {
    const { api, calls } = recordingApi();
    const senders = [
      null,
      undefined,
      { url: 'https://example.com/', parent: null },
      { url: page.fileUrl, parent: { url: page.fileUrl } }, // an iframe
    ];
    for (const frame of senders) {
      const result = await handleIpcCall(api, page, 'listJobs', frame, []);
      expect(result).toMatchObject({ ok: false, error: { code: 'ACCESS_DENIED' } });
    }
    expect(calls).toEqual([]);
  });

  it('refuses payloads that do not match the method, naming the bad argument', async () => {
    const { api, calls } = recordingApi();
    const bad: [Parameters<typeof handleIpcCall>[2], unknown][] = [
      ['cancelJob', [42]],
      ['cancelJob', []],
      ['listJobs', ['extra']],
      ['startExport', [{ profile: 'x' }, []]],
      ['startExport', [{ profile: 'x', extra: 1 }, [{ path: '/a' }]]],
      ['startExport', [{ profile: 'x' }, [{ path: '/a', uploadId: 'u' }]]],
      ['saveProfile', [{ name: 'p', operation: 'import/file', params: {} }]],
      ['cancelJob', 'job-1'],
      ['revokeLink', null],
    ];
    for (const [method, args] of bad) {
      const result = await handleIpcCall(api, page, method, top, args);
      expect(result, `${method} ${JSON.stringify(args)}`).toMatchObject({
        ok: false,
        error: { code: 'INVALID_DATA', fields: expect.any(Object) },
      });
    }
    expect(calls).toEqual([]);
  });

  it('returns errors of the API as envelopes with their code', async () => {
    const { api } = recordingApi();
    api.retryJob = async () => {
      const { OutboxError } = await import('../../main/core/errors');
      throw new OutboxError('NOT_FOUND', 'no such job');
    };
    expect(await handleIpcCall(api, page, 'retryJob', top, ['x'])).toEqual({
      ok: false,
      error: { code: 'NOT_FOUND', message: 'no such job' },
    });
  });
});
