import { OutboxError, ValidationError } from '../errors';
import type { ProfileResolver } from './profile-params';
import { isExportOperation, type ExportOperation } from '../tasks/operations';
import { validateTask } from '../tasks/validate';
import {
  applyPatch,
  joinSecrets,
  splitSecrets,
  withSecretStates,
  type Params,
  type ProfilePatch,
  type SecretKey,
} from './profile-params';
import { ProfileStore, type ProfileRecord } from './profile-store';
import { KeychainSecretStore, type SecretStore } from './secret-store';
import { renameBandwidthLimit, saveBandwidthLimit } from '../transfer/bwlimit-settings';
import { newRecordId } from '../store/record-id';

/**
 * A saved destination as the UI and CLI see it: secrets only as `{ set }`.
 * The API narrows `V` to JSON values (main/core/api/outbox-api.ts).
 */
export type ProfileView<V = unknown> = {
  name: string;
  operation: ExportOperation;
  params: Record<string, V>;
  created_at: string;
  updated_at: string;
};

const MAX_NAME = 100;
// Profiles have no input of their own; validation needs one.
const PLACEHOLDER_INPUT = 'profile';
// Stands in for a secret kept in the keychain while a patched profile is validated.
const STORED_SECRET = 'stored-secret';

function checkName(raw: unknown, field = 'name'): string {
  const name = typeof raw === 'string' ? raw.trim() : '';
  if (name === '') throw ValidationError.of(field, 'give the profile a name');
  if (name.length > MAX_NAME)
    throw ValidationError.of(field, `must be at most ${MAX_NAME} characters`);
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(name))
    throw ValidationError.of(field, 'must not contain control characters');
  return name;
}

function notFound(name: string): OutboxError {
  return new OutboxError(
    'PROFILE_NOT_FOUND',
    `no profile named "${name}" (see "outbox profile list")`,
  );
}

/**
 * Saved destination profiles: a name, an export operation and its parameters,
 * the plain ones in the data directory and every secret in the OS keychain.
 * Secrets go in (add, edit, import) but only `resolve` gives them back, for the
 * engine that hands them to the worker, and `export` when explicitly asked.
 */
export class ProfileService {
  private readonly store: ProfileStore;

  constructor(
    private readonly home: string,
    private readonly secrets: SecretStore = new KeychainSecretStore(),
  ) {
    this.store = new ProfileStore(home);
  }

  /** For Engine.open: a task's `"profile": "NAME"` becomes the profile's full parameters. */
  readonly resolver: ProfileResolver = (name) => this.resolve(name);

  async list(): Promise<ProfileView[]> {
    return (await this.store.list()).map(viewOf);
  }

  async get(name: string): Promise<ProfileView> {
    return viewOf(await this.record(name));
  }

  /** Saves a new profile from a CloudConvert export task (its `input`, if any, is ignored). */
  async add(name: string, task: unknown): Promise<ProfileView> {
    const profileName = checkName(name);
    const { operation, params } = validateProfileTask(task);
    if (await this.store.findByName(profileName)) {
      throw ValidationError.of(
        'name',
        `a profile named "${profileName}" exists already: choose another name, or edit that one`,
      );
    }
    const { plain, secrets } = splitSecrets(operation, params);
    const now = new Date().toISOString();
    const record: ProfileRecord = {
      id: newRecordId(),
      name: profileName,
      operation,
      params: plain,
      secrets: [...secrets.keys()].sort(),
      created_at: now,
      updated_at: now,
    };
    await this.writeSecrets(record.id, secrets);
    try {
      await this.store.put(record);
    } catch (error) {
      await this.deleteSecrets(record.id, [...secrets.keys()]).catch(() => undefined);
      throw error;
    }
    return viewOf(record);
  }

  /** Parses a task JSON text (or takes a task object) and saves it as a new profile. */
  async import(json: string | object, name: string): Promise<ProfileView> {
    let task: unknown = json;
    if (typeof json === 'string') {
      try {
        task = JSON.parse(json);
      } catch (error) {
        throw ValidationError.of('', `not valid JSON: ${(error as Error).message}`);
      }
    }
    return this.add(name, task);
  }

  /** Changes parameters (see ProfilePatch); secrets can be replaced or cleared, never read. */
  async edit(name: string, patch: ProfilePatch): Promise<ProfileView> {
    const record = await this.record(name);
    const { operation: newOperation, input: _input, ...changes } = patch;
    if (newOperation !== undefined && newOperation !== record.operation) {
      throw ValidationError.of(
        'operation',
        `this profile is a ${record.operation} destination; save a ${String(newOperation)} destination as a new profile`,
      );
    }
    const patched = applyPatch(
      record.operation,
      { plain: record.params, keys: record.secrets },
      changes,
    );
    // Validate with stand-ins for the secrets that stay in the keychain: no need to read them.
    try {
      validateTask({
        ...joinSecrets(
          record.operation,
          patched.plain,
          patched.keys,
          (key) => patched.write.get(key) ?? STORED_SECRET,
        ),
        operation: record.operation,
        input: PLACEHOLDER_INPUT,
      });
    } catch (error) {
      // Secrets kept in the keychain were valid when stored; their stand-in (e.g. for a URL) may not be.
      if (!(error instanceof ValidationError)) throw error;
      const kept = new Set(patched.keys.filter((key) => !patched.write.has(key)));
      const remaining = Object.entries(error.fields).filter(([field]) => !kept.has(field));
      if (remaining.length > 0) throw new ValidationError(Object.fromEntries(remaining));
    }
    const updated: ProfileRecord = {
      ...record,
      params: patched.plain,
      secrets: patched.keys,
      updated_at: new Date().toISOString(),
    };
    const added = [...patched.write.keys()].filter((key) => !record.secrets.includes(key));
    await this.writeSecrets(record.id, patched.write);
    try {
      await this.store.put(updated);
    } catch (error) {
      await this.deleteSecrets(record.id, added).catch(() => undefined);
      throw error;
    }
    await this.deleteSecrets(record.id, patched.clear);
    return viewOf(updated);
  }

  /** Keychain items are keyed by the profile's id, so they stay as they are. */
  async rename(oldName: string, newName: string): Promise<ProfileView> {
    const record = await this.record(oldName);
    const name = checkName(newName, 'new name');
    if (name === record.name) return viewOf(record);
    if (await this.store.findByName(name)) {
      throw ValidationError.of('new name', `a profile named "${name}" exists already`);
    }
    const renamed = { ...record, name, updated_at: new Date().toISOString() };
    await this.store.put(renamed);
    await renameBandwidthLimit(this.home, record.name, name); // its speed limit goes with it
    return viewOf(renamed);
  }

  /** Deletes the profile and every keychain item of it; the keychain goes first so none is orphaned. */
  async remove(name: string): Promise<void> {
    const record = await this.record(name);
    await this.removeRecord(record);
    await saveBandwidthLimit(this.home, 'off', record.name); // and its speed limit
  }

  private async removeRecord(record: ProfileRecord): Promise<void> {
    if (record.secrets.length === 0) {
      // Nothing of it is in the keychain (e.g. export/url without a password): removing it needs
      // none. Leftovers of an interrupted save are deleted where a keychain answers.
      await this.deleteLeftovers(record.id).catch((error: unknown) => {
        if (!(error instanceof OutboxError && error.code === 'KEYCHAIN_UNAVAILABLE')) throw error;
      });
      await this.store.remove(record.id);
      return;
    }
    const prefix = accountPrefix(record.id);
    const stored = (await this.secrets.accounts(prefix)).map((a) => a.slice(prefix.length));
    const keys = new Set([...record.secrets, ...stored]);
    let deleted = 0;
    for (const key of keys) if (await this.secrets.delete(prefix + key)) deleted++;
    // A locked Secret Service reports "nothing to delete": make sure it did not just refuse.
    if (deleted < record.secrets.length) await this.secrets.check();
    await this.store.remove(record.id);
  }

  /** The profile as a CloudConvert task (without `input`); secrets only when asked for. */
  async export(name: string, options: { includeSecrets?: boolean } = {}): Promise<Params> {
    const record = await this.record(name);
    const params = options.includeSecrets ? await this.withSecrets(record) : record.params;
    return { operation: record.operation, ...params };
  }

  /** Full parameters, secrets included: only for the engine, which passes them to the worker. */
  async resolve(name: string): Promise<Params> {
    const record = await this.record(name);
    return { operation: record.operation, ...(await this.withSecrets(record)) };
  }

  private async record(name: string): Promise<ProfileRecord> {
    const record = await this.store.findByName(typeof name === 'string' ? name.trim() : '');
    if (!record) throw notFound(String(name));
    return record;
  }

  private async withSecrets(record: ProfileRecord): Promise<Params> {
    const values = new Map<SecretKey, string>();
    let missing = await this.readSecrets(record, values);
    if (missing.length > 0) {
      // Locked reads look like missing items; a write unlocks (or prompts), then read again.
      await this.secrets.check();
      missing = await this.readSecrets(record, values);
    }
    if (missing.length > 0) {
      throw new OutboxError(
        'KEYCHAIN_UNAVAILABLE',
        `the keychain no longer holds ${missing.join(', ')} of profile "${record.name}": ` +
          `set ${missing.length > 1 ? 'them' : 'it'} again with "outbox profile edit" (or in the profile's settings)`,
      );
    }
    return joinSecrets(record.operation, record.params, values.keys(), (key) => values.get(key));
  }

  private async readSecrets(
    record: ProfileRecord,
    into: Map<SecretKey, string>,
  ): Promise<string[]> {
    const missing: string[] = [];
    for (const key of record.secrets) {
      if (into.has(key)) continue;
      const value = await this.secrets.get(accountPrefix(record.id) + key);
      if (value === undefined) missing.push(key);
      else into.set(key, value);
    }
    return missing;
  }

  private async writeSecrets(id: string, secrets: Map<SecretKey, string>): Promise<void> {
    const written: SecretKey[] = [];
    try {
      for (const [key, value] of secrets) {
        await this.secrets.set(accountPrefix(id) + key, value);
        written.push(key);
      }
    } catch (error) {
      await this.deleteSecrets(id, written).catch(() => undefined);
      throw error;
    }
  }

  private async deleteLeftovers(id: string): Promise<void> {
    const prefix = accountPrefix(id);
    for (const account of await this.secrets.accounts(prefix)) await this.secrets.delete(account);
  }

  private async deleteSecrets(id: string, keys: SecretKey[]): Promise<void> {
    for (const key of keys) await this.secrets.delete(accountPrefix(id) + key);
  }
}

/** Keychain account of a profile's secret: `profile:<id>:<key>`. */
function accountPrefix(id: string): string {
  return `profile:${id}:`;
}

function viewOf(record: ProfileRecord): ProfileView {
  return {
    name: record.name,
    operation: record.operation,
    params: withSecretStates(record.operation, record.params, record.secrets),
    created_at: record.created_at,
    updated_at: record.updated_at,
  };
}

/** Checks a task with its operation's schema; returns the parameters as given (defaults not filled in). */
function validateProfileTask(task: unknown): { operation: ExportOperation; params: Params } {
  if (typeof task !== 'object' || task === null || Array.isArray(task)) {
    throw ValidationError.of('', 'a profile needs a task object with an "operation"');
  }
  const { input: _input, operation, ...params } = task as Params;
  if ('profile' in params) {
    throw ValidationError.of('profile', 'a profile cannot refer to another profile');
  }
  if (operation === 'import/file') {
    throw ValidationError.of(
      'operation',
      'import/file is not a destination: save an export operation',
    );
  }
  // Names a missing or unknown operation, or every bad field.
  const valid = validateTask({ ...params, operation, input: PLACEHOLDER_INPUT });
  if (!isExportOperation(valid.operation))
    throw new Error('unreachable: import/file refused above');
  return { operation: valid.operation, params };
}
