import { loadConfig } from '../core/config';
import { settingsView } from '../core/api/core-api';
import { lanListenProblem, lanSharingSchema, saveLanSharing } from '../core/server/lan-settings';
import { jsonOption, UsageError, type Command } from './command';

/** `outbox settings`: LAN sharing on or off. */

export const settingsCommand: Command = {
  usage:
    'outbox settings [--json]\n       outbox settings lan on [--interface ADDRESS]...\n       outbox settings lan off',
  summary:
    'Show settings, or turn LAN sharing on or off. With LAN sharing on, a running Outbox also listens on\n' +
    "this machine's network addresses (all non-internal IPv4 ones, or each --interface) and serves there\n" +
    'the links shared with "outbox links lan ID" (only those: never the UI or the API). Off by default.',
  options: { ...jsonOption, interface: { type: 'string', multiple: true } },
  async run({ values, positionals }) {
    const config = loadConfig();
    const [section, state, ...extra] = positionals;
    if (section !== undefined) {
      if (section !== 'lan' || (state !== 'on' && state !== 'off') || extra.length)
        throw new UsageError('say "outbox settings lan on" or "outbox settings lan off"');
      const interfaces = (values.interface as string[] | undefined) ?? [];
      const parsed = lanSharingSchema.safeParse({
        enabled: state === 'on',
        ...(state === 'on' && interfaces.length ? { interfaces } : {}),
      });
      if (!parsed.success)
        throw new UsageError('--interface takes an IPv4 address of this machine');
      for (const address of state === 'on' ? interfaces : []) {
        const problem = lanListenProblem(address);
        if (problem) throw new UsageError(`--interface ${address}: ${problem}`);
      }
      await saveLanSharing(config.home, parsed.data);
      console.log(`LAN sharing is ${state} (a running "outbox serve" applies it within seconds).`);
    }
    const { lan_sharing: lan, lan: served } = await settingsView(config.home);
    if (values.json) {
      console.log(JSON.stringify({ lan_sharing: lan, lan_urls: served.urls }, null, 2));
    } else {
      const where = lan.interfaces?.join(', ') ?? 'all non-internal IPv4 addresses';
      console.log(`LAN sharing: ${lan.enabled ? `ON (${where})` : 'off'}`);
      for (const url of served.urls) console.log(`  served at ${url}`);
    }
    return 0;
  },
};
