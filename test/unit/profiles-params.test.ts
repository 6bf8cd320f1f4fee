import { describe, expect, it } from 'vitest';
import { OutboxError } from '../../main/core/errors';
import {
  applyPatch,
  fieldKind,
  joinSecrets,
  splitSecrets,
  withSecretStates,
} from '../../main/core/profiles/profile-params';
import {
  KeychainSecretStore,
  keychainError,
  type KeychainEntry,
} from '../../main/core/profiles/secret-store';

/** The pure halves of profiles: which parameters go to the keychain, and how patches apply. */

describe('splitting a task into plain parameters and keychain secrets', () => {
  it('takes every schema-declared secret out (the upload URL too: it carries signatures), and every value of upload headers', () => {
    const { plain, secrets } = splitSecrets('export/upload', {
      url: 'https://example.com/put',
      headers: { Authorization: 'Bearer abc', 'x-ms-blob-type': 'BlockBlob' },
    });
    expect(plain).toEqual({});
    expect(Object.fromEntries(secrets)).toEqual({
      url: 'https://example.com/put',
      'headers.Authorization': 'Bearer abc',
      'headers.x-ms-blob-type': 'BlockBlob',
    });

    const sftp = splitSecrets('export/sftp', {
      host: 'h',
      username: 'u',
      password: 'pw',
      passphrase: 'pp',
      private_key: 'KEY',
    });
    expect(sftp.plain).toEqual({ host: 'h', username: 'u' });
    expect([...sftp.secrets.keys()].sort()).toEqual(['passphrase', 'password', 'private_key']);

    const s3 = splitSecrets('export/s3', {
      bucket: 'b',
      secret_access_key: 's',
      session_token: 't',
      metadata: { a: '1' },
    });
    expect(s3.plain).toEqual({ bucket: 'b', metadata: { a: '1' } });
    expect([...s3.secrets.keys()].sort()).toEqual(['secret_access_key', 'session_token']);

    const azure = splitSecrets('export/azure/blob', { sas_token: 'sv=1', storage_access_key: 'k' });
    expect([...azure.secrets.keys()].sort()).toEqual(['sas_token', 'storage_access_key']);
    const os = splitSecrets('export/openstack', { password: 'p', username: 'u' });
    expect([...os.secrets.keys()]).toEqual(['password']);
  });

  it('joins them back, and shows secrets only as { set }', () => {
    const plain = { url: 'https://e/x' };
    const keys = ['headers.Authorization'];
    expect(joinSecrets('export/upload', plain, keys, () => 'v')).toEqual({
      url: 'https://e/x',
      headers: { Authorization: 'v' },
    });
    expect(withSecretStates('export/upload', plain, keys)).toEqual({
      url: 'https://e/x',
      headers: { Authorization: { set: true } },
    });
    expect(withSecretStates('export/s3', { bucket: 'b' }, ['secret_access_key'])).toEqual({
      bucket: 'b',
      secret_access_key: { set: true },
      session_token: { set: false },
    });
  });
});

describe('patching a profile', () => {
  const current = {
    plain: { bucket: 'b', metadata: { a: '1', b: '2' } },
    keys: ['secret_access_key', 'session_token'],
  };

  it('replaces values, clears with null, merges dictionaries per entry', () => {
    const patched = applyPatch('export/s3', current, {
      bucket: 'c',
      metadata: { a: null, c: '3' },
      secret_access_key: 'new',
      session_token: null,
    });
    expect(patched.plain).toEqual({ bucket: 'c', metadata: { b: '2', c: '3' } });
    expect(patched.keys).toEqual(['secret_access_key']);
    expect(Object.fromEntries(patched.write)).toEqual({ secret_access_key: 'new' });
    expect(patched.clear).toEqual(['session_token']);
    expect(current.plain.metadata).toEqual({ a: '1', b: '2' }); // not mutated
  });

  it('keeps a secret given back as { set: true } and refuses one that is not set', () => {
    const patched = applyPatch('export/s3', current, { secret_access_key: { set: true } });
    expect(patched.write.size).toBe(0);
    expect(patched.keys).toEqual(current.keys);
    expect(() =>
      applyPatch('export/s3', { plain: {}, keys: [] }, { session_token: { set: true } }),
    ).toThrow(/session_token: is not set/);
  });

  it('sets and clears single header values, or all of them', () => {
    const headers = { plain: { url: 'https://e/x' }, keys: ['headers.A', 'headers.B'] };
    const one = applyPatch('export/upload', headers, { headers: { A: null, C: 'c' } });
    expect(one.keys).toEqual(['headers.B', 'headers.C']);
    expect(one.clear).toEqual(['headers.A']);
    const all = applyPatch('export/upload', headers, { headers: null });
    expect(all.keys).toEqual([]);
    expect(all.clear.sort()).toEqual(['headers.A', 'headers.B']);
  });

  it('knows which fields are booleans and dictionaries (for --set)', () => {
    expect(fieldKind('export/s3', 'force_path_style')).toBe('boolean');
    expect(fieldKind('export/s3', 'metadata')).toBe('dictionary');
    expect(fieldKind('export/upload', 'headers')).toBe('dictionary');
    expect(fieldKind('export/sftp', 'port')).toBe('value');
    expect(fieldKind('export/url', 'inline')).toBe('boolean');
    expect(fieldKind('export/s3', 'nope')).toBeUndefined();
  });
});

describe('the keychain secret store', () => {
  it('detects a write the keychain did not keep (read-back)', async () => {
    const forgetful: KeychainEntry = {
      setPassword: async () => undefined,
      getPassword: async () => null,
      deleteCredential: async () => false,
    };
    const store = new KeychainSecretStore(
      'OutboxUnit',
      () => forgetful,
      async () => [],
    );
    const error = await store.set('profile:x:password', 'pw').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OutboxError);
    expect((error as OutboxError).code).toBe('KEYCHAIN_UNAVAILABLE');
    expect((error as OutboxError).message).toMatch(/did not keep.*unlock/);
    expect((error as OutboxError).message).not.toContain('pw');
  });

  it('turns keyring failures into errors that say what to do', () => {
    const cases: [string, RegExp][] = [
      [
        'Platform failure: DBus error: Failed to connect to socket /nonexistent: No such file or directory',
        /no D-Bus session/,
      ],
      [
        'DBus error: Using X11 for dbus-daemon autolaunch was disabled at compile time, set your DBUS_SESSION_BUS_ADDRESS instead',
        /no D-Bus session/,
      ],
      [
        "Couldn't access platform storage: Secret Service: unlock prompt was dismissed",
        /locked: unlock your login keyring/,
      ],
      ["Couldn't access platform storage: Secret Service: no result found", /no default keyring/],
      [
        'org.freedesktop.DBus.Error.ServiceUnknown: The name org.freedesktop.secrets was not provided by any .service files',
        /no Secret Service is running: start gnome-keyring/,
      ],
      ['something else entirely', /refused \(something else entirely\)/],
    ];
    for (const [message, advice] of cases) {
      const error = keychainError(new Error(message), 'save a secret in');
      expect(error.code).toBe('KEYCHAIN_UNAVAILABLE');
      expect(error.message).toMatch(advice);
      expect(error.message).toMatch(/^Outbox could not save a secret in the keychain: /);
    }
  });
});
