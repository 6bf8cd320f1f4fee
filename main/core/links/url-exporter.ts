import type { TaskExporter } from '../exporters/exporter';
import { findRunningServer } from '../http/server-info';
import type { LinkStore } from './link-store';
import { createUrlExport } from './url-export';

/** export/url as an exporter of the main thread: links in `links`, served from `home`. */
export function urlExporter(
  links: LinkStore,
  home: string,
  linkBaseUrl: string,
): TaskExporter<'export/url'> {
  return {
    operation: 'export/url',
    exportFiles: (params, files, origin) => createUrlExport(params, files, links, origin),
    // Links need a running server on this data directory: say whether one runs.
    async probe() {
      const server = await findRunningServer(home);
      return {
        ok: true,
        message: server
          ? `Links are served at ${server.url} (by the Outbox server of ${home}, process ${server.pid}).`
          : `No Outbox server runs on ${home}: links made now will be served at ${linkBaseUrl} once the Outbox app or "outbox serve" runs (or export with --serve).`,
      };
    },
  };
}
