import { randomBytes } from 'node:crypto';
import type { EntryOptions } from '@napi-rs/keyring';
import { OutboxError } from '../errors';

/**
 * Where profile secrets live: the OS keychain (macOS Keychain, Windows
 * Credential Manager, the Secret Service on Linux). There is deliberately no
 * other implementation: a secret that cannot go to the keychain is refused,
 * never written anywhere else.
 */
export interface SecretStore {
  /** Stores `value` and reads it back; KEYCHAIN_UNAVAILABLE when the keychain did not keep it. */
  set(account: string, value: string): Promise<void>;
  /** The value, or undefined when there is none (a locked keychain also answers none). */
  get(account: string): Promise<string | undefined>;
  /** True when something was deleted. */
  delete(account: string): Promise<boolean>;
  /** Accounts that start with `prefix` (to leave no orphans behind). */
  accounts(prefix: string): Promise<string[]>;
  /** Throws KEYCHAIN_UNAVAILABLE unless the keychain accepts and keeps a write right now. */
  check(): Promise<void>;
}

/** The part of a keychain entry Outbox uses (napi-rs' AsyncEntry has this shape). */
export type KeychainEntry = {
  setPassword(password: string): Promise<void>;
  getPassword(): Promise<string | null>;
  deleteCredential(): Promise<boolean>;
};

export const KEYCHAIN_SERVICE = 'Outbox';

/**
 * On Linux, pinned to the Secret Service: unpinned, keyring-rs falls back to
 * the kernel keyring when there is no D-Bus session, which forgets everything
 * at logout. Other platforms ignore the option.
 */
const ENTRY_OPTIONS: EntryOptions = { linux: { store: 'secret-service' } };

// Loaded on first use: a native module most commands (an export with --task) never need.
const keyring = () => import('@napi-rs/keyring');

export class KeychainSecretStore implements SecretStore {
  constructor(
    readonly service = KEYCHAIN_SERVICE,
    private readonly entryFor: (
      service: string,
      account: string,
    ) => KeychainEntry | Promise<KeychainEntry> = async (s, a) =>
      new (await keyring()).AsyncEntry(s, a, ENTRY_OPTIONS),
    private readonly listAccounts: (service: string) => Promise<string[]> = async (s) =>
      (await (await keyring()).findCredentialsAsync(s)).map((credential) => credential.account),
  ) {}

  private entry(account: string): Promise<KeychainEntry> {
    // The constructor already talks to D-Bus on Linux and throws without a session.
    return Promise.resolve(this.entryFor(this.service, account));
  }

  async set(account: string, value: string, action = 'save a secret in'): Promise<void> {
    let stored: string | null;
    try {
      const entry = await this.entry(account);
      await entry.setPassword(value);
      stored = await entry.getPassword();
    } catch (error) {
      throw keychainError(error, action);
    }
    if (stored !== value) {
      throw new OutboxError(
        'KEYCHAIN_UNAVAILABLE',
        'The keychain did not keep a secret Outbox saved in it (is it locked or read-only?): unlock your login keyring (Passwords and Keys) and try again.',
      );
    }
  }

  async get(account: string): Promise<string | undefined> {
    try {
      return (await (await this.entry(account)).getPassword()) ?? undefined;
    } catch (error) {
      throw keychainError(error, 'read a secret from');
    }
  }

  async delete(account: string): Promise<boolean> {
    try {
      return await (await this.entry(account)).deleteCredential();
    } catch (error) {
      throw keychainError(error, 'delete a secret from');
    }
  }

  async accounts(prefix: string): Promise<string[]> {
    try {
      return (await this.listAccounts(this.service)).filter((account) =>
        account.startsWith(prefix),
      );
    } catch (error) {
      throw keychainError(error, 'list the secrets in');
    }
  }

  /**
   * A locked Secret Service answers reads with "nothing there" and deletes
   * with "nothing deleted"; only a write tells locked from empty (and on a
   * desktop it brings up the unlock prompt).
   */
  async check(): Promise<void> {
    const account = `keychain-check:${randomBytes(6).toString('hex')}`;
    await this.set(account, randomBytes(12).toString('hex'), 'use');
    await this.delete(account);
  }
}

/** Keychain failures → one KEYCHAIN_UNAVAILABLE error that says what to do. */
export function keychainError(error: unknown, action: string): OutboxError {
  if (error instanceof OutboxError) return error;
  const text = error instanceof Error ? error.message : String(error);
  const what = `Outbox could not ${action} the keychain`;
  let advice: string;
  if (/failed to connect to (socket|address)|autolaunch|DBUS_SESSION_BUS_ADDRESS/i.test(text)) {
    advice =
      'there is no D-Bus session, so no Secret Service: run Outbox in your desktop session (or start one with dbus-run-session and gnome-keyring-daemon)';
  } else if (/ServiceUnknown|not provided by any \.service|org\.freedesktop\.secrets/i.test(text)) {
    advice =
      "no Secret Service is running: start gnome-keyring (or enable KeePassXC's Secret Service integration) and try again";
  } else if (/prompt was dismissed|locked|unlock/i.test(text)) {
    advice = 'the keyring is locked: unlock your login keyring (Passwords and Keys) and try again';
  } else if (/no result found|no default collection|collection/i.test(text)) {
    advice =
      'the Secret Service has no default keyring: create one in Passwords and Keys (or your keyring app) and try again';
  } else {
    advice = `the keychain refused (${text}): check that it is unlocked and try again`;
  }
  return new OutboxError('KEYCHAIN_UNAVAILABLE', `${what}: ${advice}.`, { cause: error });
}
