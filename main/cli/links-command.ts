import { loadConfig } from '../core/config';
import { OutboxError } from '../core/errors';
import { formatBytes } from '../core/format';
import { settingsView } from '../core/api/settings-views';
import { linkCalls, type LinkCalls } from '../core/api/links-api';
import type { LinkChange } from '../core/links/link-store';
import { openLinks } from '../core/links/open-links';
import { jsonOption, UsageError, wholeNumber, type Command, type OptionValues } from './command';
import { linkBaseUrl } from './run-job';

/**
 * `outbox links …`: temporary links: list, revoke, serve on the LAN or not.
 * Opens the link store only: no job is recovered or swept to list links.
 */

/** Earlier spellings of the LAN actions ("share" now means a signed cloud URL: `jobs share`). */
const renamed: Record<string, 'lan' | 'unlan'> = { share: 'lan', unshare: 'unlan' };

async function passwordFromStdin(): Promise<string> {
  let text = '';
  for await (const chunk of process.stdin) text += String(chunk);
  const password = text.split(/\r?\n/)[0] ?? '';
  if (!password) throw new UsageError('--password-stdin read no password');
  return password;
}

/** The API's "no link" as the CLI says it: with where to find the IDs. */
function withIdHint<T>(id: string, work: Promise<T>): Promise<T> {
  return work.catch((error: unknown) => {
    if (error instanceof OutboxError && error.code === 'NOT_FOUND')
      throw new OutboxError('NOT_FOUND', `no link with ID ${id} (see "outbox links")`);
    throw error;
  });
}

async function printLinks(calls: LinkCalls, json: boolean): Promise<void> {
  if (json) {
    console.log(JSON.stringify(await calls.listLinkRecords(), null, 2));
    return;
  }
  const list = await calls.listLinks();
  if (list.length === 0) {
    console.log('No links yet. Create some with: outbox export --task url.json FILE...');
  } else {
    for (const link of list) {
      console.log(
        `${link.id}  ${link.state.padEnd(7)}  ${link.filename} (${formatBytes(link.size)})  ` +
          `expires ${link.expires_at}  downloads ${link.downloads}${link.lan ? '  shared on LAN' : ''}\n    ${link.url}`,
      );
    }
  }
}

export const linksCommand: Command = {
  usage:
    'outbox links [--json]\n       outbox links revoke ID\n' +
    '       outbox links lan ID [--max-downloads N] [--expires-in SECONDS] [--password-stdin]\n' +
    '       outbox links unlan ID\n' +
    '       outbox links share ID [--max-downloads N] [--expires-in SECONDS] [--password-stdin]   (now: lan)\n' +
    '       outbox links unshare ID   (now: unlan)',
  summary:
    'List temporary links (state, expiry, downloads), revoke one at once, or serve one on the local network.\n' +
    '  lan ID              serve the link on the LAN too (needs "outbox settings lan on"); prints its LAN URLs\n' +
    '  unlan ID            serve it on this machine only again\n' +
    '  --max-downloads N   (lan) full downloads allowed, then 410\n' +
    '  --expires-in S      (lan) the link works S more seconds from now\n' +
    '  --password-stdin    (lan) read a password for the link from standard input (its first line)\n' +
    '  share, unshare      the earlier names of lan and unlan: they still work, and say so',
  options: {
    ...jsonOption,
    'max-downloads': { type: 'string' },
    'expires-in': { type: 'string' },
    'password-stdin': { type: 'boolean' },
  },
  async run({ values, positionals }) {
    const config = loadConfig();
    const links = await openLinks(config.home, await linkBaseUrl(config));
    try {
      return await runAction(values, positionals, linkCalls(links, config.home), config.home);
    } finally {
      await links.close(); // writes the index rows a change noted for later (a later end)
    }
  },
};

async function runAction(
  values: OptionValues,
  positionals: string[],
  calls: LinkCalls,
  home: string,
): Promise<number> {
  const [given, id, ...extra] = positionals;
  const action = (given !== undefined && renamed[given]) || given;
  if (action === 'lan' || action === 'unlan') {
    if (!id || extra.length) throw new UsageError(`give the ID of the link to ${given}`);
    const change: LinkChange = { lan: action === 'lan' };
    if (action === 'lan') {
      if (typeof values['max-downloads'] === 'string')
        change.max_downloads = wholeNumber('--max-downloads', values['max-downloads']);
      if (typeof values['expires-in'] === 'string')
        change.expires_in = wholeNumber('--expires-in', values['expires-in']);
      if (values['password-stdin'] === true) change.password = await passwordFromStdin();
    }
    const link = await withIdHint(id, calls.updateLink(id, change));
    if (given !== action)
      console.error(`"outbox links ${given}" is now "outbox links ${action}"; both work.`);
    if (action === 'unlan') {
      console.log(`${id} (${link.filename}) is served on this machine only.`);
      return 0;
    }
    console.log(`${id} (${link.filename}) is shared on the local network.`);
    if (link.lan_urls.length > 0) for (const url of link.lan_urls) console.log(`  ${url}`);
    else if (!(await settingsView(home)).lan_sharing.enabled)
      console.log(
        'LAN sharing is off: turn it on with "outbox settings lan on", then run "outbox serve".',
      );
    else console.log('It is served once "outbox serve" runs (it prints the LAN addresses).');
    return 0;
  }
  if (action === 'revoke') {
    if (!id || extra.length) throw new UsageError('give the ID of the link to revoke');
    const link = await withIdHint(id, calls.revokeLink(id));
    console.log(`Revoked ${id} (${link.filename}).`);
    return 0;
  }
  if (action !== undefined) throw new UsageError(`unknown action "${action}"`);
  await printLinks(calls, values.json === true);
  return 0;
}
