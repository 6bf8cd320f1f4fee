import { startBrowserHost } from '../browser/browser-host';
import { hostContext, startWatches } from '../core/api/host-context';
import { ProfileService } from '../core/profiles/profile-service';
import { loadConfig } from '../core/config';
import type { RunningServer } from '../core/server/outbox-server';
import { UsageError, wholeNumber, type Command } from './command';
import { rendererDir } from './build-dirs';
import { packageVersion } from './help';
import { untilSignal, withEngine } from './run-job';

/** `outbox serve`: the link server and the browser host in the foreground. */

/** What `outbox serve` says about LAN sharing: on (and where) or off, impossible to miss. */
function printLanStatus(server: RunningServer): void {
  const urls = server.lanUrls();
  const errors = server.lanErrors();
  if (urls.length > 0) {
    console.log('LAN SHARING IS ON: links shared on the network are served to other devices at');
    for (const url of urls) console.log(`  ${url}/d/…`);
    for (const error of errors) console.log(`  could not listen on ${error}`);
  } else if (errors.length > 0) {
    console.log(
      `LAN sharing is on, but Outbox cannot listen on the network (${errors.join('; ')}): ` +
        'links are served on this machine only.',
    );
  } else {
    console.log('LAN sharing is off: links are served on this machine only.');
  }
}

export const serveCommand: Command = {
  usage: 'outbox serve [--port PORT]',
  summary:
    'Run the local server in the foreground (temporary links, and the Outbox UI in a browser) until Ctrl-C.\n' +
    '  --port  port to listen on (default: OUTBOX_PORT or 9797)',
  options: { port: { type: 'string' } },
  async run({ values }) {
    const port = typeof values.port === 'string' ? wholeNumber('--port', values.port) : undefined;
    if (port !== undefined && port > 65535)
      throw new UsageError('--port takes a port number from 1 to 65535');
    const config = loadConfig(
      port === undefined ? process.env : { ...process.env, OUTBOX_PORT: String(port) },
    );
    return withEngine(
      async (engine, cfg) => {
        const profiles = new ProfileService(cfg.home);
        const watches = await startWatches(engine, profiles);
        const host = await startBrowserHost({
          context: hostContext(engine, profiles, watches),
          version: packageVersion(),
          rendererDir: rendererDir(),
        });
        console.log(`Outbox is serving on ${host.server.url}`);
        console.log(
          `Open the Outbox UI (this address is your key; keep it private):\n  ${host.uiUrl}`,
        );
        printLanStatus(host.server);
        console.log(`Data directory: ${cfg.home}. Press Ctrl-C to stop.`);
        await untilSignal();
        await watches.close();
        await host.close();
        console.log('Outbox stopped.');
        return 0;
      },
      config,
      { resumeInterrupted: true },
    );
  },
};
