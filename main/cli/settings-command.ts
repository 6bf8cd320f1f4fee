import { loadConfig } from '../core/config';
import { settingsSummary, settingsView } from '../core/api/settings-views';
import { OutboxError } from '../core/errors';
import { formatBytes } from '../core/format';
import { lanListenProblem, lanSharingSchema, saveLanSharing } from '../core/server/lan-settings';
import { saveBandwidthLimit } from '../core/transfer/bwlimit-settings';
import {
  DEFAULT_MAX_RUNNING_JOBS,
  MAX_RUNNING_JOBS_LIMIT,
  saveMaxRunningJobs,
} from '../core/engine/queue-settings';
import { jsonOption, UsageError, wholeNumber, type Command } from './command';

/** `outbox settings`: LAN sharing on or off, bandwidth limits, how many jobs run at once. */

export const settingsCommand: Command = {
  usage:
    'outbox settings [--json]\n       outbox settings lan on [--interface ADDRESS]...\n       outbox settings lan off\n' +
    '       outbox settings bwlimit RATE|TIMETABLE|off [--profile NAME]\n' +
    '       outbox settings jobs N',
  summary:
    'Show settings, turn LAN sharing on or off, set a bandwidth limit or how many jobs run at once.\n' +
    "LAN sharing: a running Outbox also listens on this machine's network addresses (all non-internal IPv4\n" +
    'ones, or each --interface) and serves there the links shared with "outbox links lan ID" (only those:\n' +
    'never the UI or the API). Off by default.\n' +
    'bwlimit: the most bytes per second all transfers together send (with --profile: those to that saved\n' +
    "destination), written as rclone's --bwlimit: 10M, 512K (KiB/s, MiB/s, GiB/s with K, M, G; a bare number\n" +
    'is KiB/s), off, or a timetable "08:00,1M 19:00,off" ([Mon-]HH:MM,RATE entries, local time). Running\n' +
    'transfers follow a change within a second.\n' +
    `jobs N: at most N jobs (1–${MAX_RUNNING_JOBS_LIMIT}, default ${DEFAULT_MAX_RUNNING_JOBS}) run at once in the app or "outbox serve"; the\n` +
    'others wait in the queue, in order (a running app or server applies it when the next job starts).',
  options: {
    ...jsonOption,
    interface: { type: 'string', multiple: true },
    profile: { type: 'string' },
  },
  async run({ values, positionals }) {
    const config = loadConfig();
    const [section, state, ...extra] = positionals;
    if (section === 'bwlimit') {
      if (state === undefined || extra.length)
        throw new UsageError(
          'say "outbox settings bwlimit RATE" (e.g. 10M), a timetable in quotes, or "off"',
        );
      const profile = typeof values.profile === 'string' ? values.profile : undefined;
      try {
        await saveBandwidthLimit(config.home, state, profile);
      } catch (error) {
        if (error instanceof OutboxError && error.code === 'INVALID_DATA')
          throw new UsageError(error.message);
        throw error;
      }
      console.log(
        `Bandwidth limit${profile === undefined ? '' : ` of ${profile}`} set to ${state} (running transfers follow within a second).`,
      );
    } else if (section === 'jobs') {
      if (state === undefined || extra.length) throw new UsageError('say "outbox settings jobs N"');
      const wanted = wholeNumber('jobs N', state);
      if (wanted > MAX_RUNNING_JOBS_LIMIT)
        throw new UsageError(`jobs N takes a whole number from 1 to ${MAX_RUNNING_JOBS_LIMIT}`);
      const limit = await saveMaxRunningJobs(config.home, wanted);
      console.log(`At most ${limit} jobs run at once (the others wait in the queue).`);
    } else if (section !== undefined) {
      if (section !== 'lan' || (state !== 'on' && state !== 'off') || extra.length)
        throw new UsageError(
          'say "outbox settings lan on", "outbox settings lan off", "outbox settings bwlimit RATE" or "outbox settings jobs N"',
        );
      if (values.profile !== undefined) throw new UsageError('--profile goes with bwlimit');
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
    const view = await settingsView(config.home);
    const { lan_sharing: lan, lan: served } = view;
    if (values.json) {
      console.log(JSON.stringify(settingsSummary(view), null, 2));
    } else {
      const where = lan.interfaces?.join(', ') ?? 'all non-internal IPv4 addresses';
      console.log(`LAN sharing: ${lan.enabled ? `ON (${where})` : 'off'}`);
      for (const url of served.urls) console.log(`  served at ${url}`);
      const { global, profiles = {} } = view.bandwidth_limit;
      console.log(`Bandwidth limit: ${describe(global, view.bandwidth_now.global)}`);
      for (const [name, text] of Object.entries(profiles))
        console.log(`  to ${name}: ${describe(text, view.bandwidth_now.profiles[name] ?? 0)}`);
      console.log(`Jobs at once: ${view.max_running_jobs} (the others wait in the queue)`);
    }
    return 0;
  },
};

/** "10M (10.5 MB/s now)", "08:00,1M 19:00,off (off now)", "off". */
function describe(text: string | undefined, now: number): string {
  if (text === undefined) return 'off';
  return `${text} (${now === 0 ? 'off' : `${formatBytes(now)}/s`} now)`;
}
