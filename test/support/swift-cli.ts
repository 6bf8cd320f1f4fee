import { run } from './net';
import { KEYSTONE } from './servers';

const MiB = 1024 * 1024;

export type SwiftCli = {
  /** `http://127.0.0.1:8080/v1/AUTH_<project id>`, from Keystone's catalog. */
  storageUrl: string;
  token: string;
  /** Runs `swift ARGS` with the token. */
  swift: (...args: string[]) => Promise<{ stdout: string; stderr: string }>;
};

/**
 * Debian's python-swiftclient, signed in to Keystone v3 once, the way a user
 * would (`swift auth`); later calls reuse its token (Keystone is slow on a
 * loaded CI box). The independent client the tests read Swift back with.
 */
export async function swiftCli(): Promise<SwiftCli> {
  const { stdout } = await run('swift', [
    '--os-auth-url',
    KEYSTONE.authUrlV3,
    '--auth-version',
    '3',
    '--os-username',
    KEYSTONE.username,
    '--os-password',
    KEYSTONE.password,
    '--os-project-name',
    KEYSTONE.project,
    '--os-user-domain-name',
    KEYSTONE.userDomain,
    '--os-project-domain-name',
    KEYSTONE.projectDomain,
    'auth',
  ]);
  const value = (name: string) => new RegExp(`${name}=(\\S+)`).exec(stdout)?.[1] ?? '';
  const storageUrl = value('OS_STORAGE_URL');
  const token = value('OS_AUTH_TOKEN');
  if (!storageUrl || !token)
    throw new Error(`swift auth printed no storage URL or token:\n${stdout}`);
  return {
    storageUrl,
    token,
    swift: (...args) =>
      run('swift', ['--os-storage-url', storageUrl, '--os-auth-token', token, ...args], {
        maxBuffer: 16 * MiB,
      }),
  };
}
