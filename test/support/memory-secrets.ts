import type { SecretStore } from '../../main/core/profiles/secret-store';

/**
 * A keychain stand-in for tests of the hosts, whose profiles need no real
 * keychain (the keychain itself is tested against gnome-keyring).
 */
export class MemorySecrets implements SecretStore {
  private readonly values = new Map<string, string>();
  async set(account: string, value: string) {
    this.values.set(account, value);
  }
  async get(account: string) {
    return this.values.get(account);
  }
  async delete(account: string) {
    return this.values.delete(account);
  }
  async accounts(prefix: string) {
    return [...this.values.keys()].filter((a) => a.startsWith(prefix));
  }
  async check() {}
}
