import { z } from 'zod';
import { OutboxError } from '../errors';
import type { Watches } from '../watch/watch-service';
import type { OutboxApi } from './outbox-api';

/** "Watch a folder…": what the dialog sends; `settle` is decimal seconds as typed. */
export const watchInputSchema = z.strictObject({
  profile: z.string().max(500),
  dir: z.string().max(4096),
  after: z.string().max(20).optional(),
  include: z.array(z.string().max(1000)).max(100).optional(),
  exclude: z.array(z.string().max(1000)).max(100).optional(),
  settle: z.string().max(20).optional(),
});
export type WatchInput = z.infer<typeof watchInputSchema>;

type WatchCalls = Pick<OutboxApi, 'listWatches' | 'addWatch' | 'removeWatch'>;

/** The API's watch-folder calls, on the host's running watches. */
export function watchCalls(watches: Watches | undefined): WatchCalls {
  const running = (): Watches => {
    if (!watches)
      throw new OutboxError(
        'INVALID_DATA',
        'watch folders run in the app and in "outbox serve", not in this host',
      );
    return watches;
  };
  return {
    listWatches: async () => running().list(),
    async addWatch({ settle, ...input }) {
      return running().add({
        ...input,
        ...(settle === undefined || settle.trim() === '' ? {} : { settle_seconds: settle }),
      });
    },
    removeWatch: (id) => running().remove(id),
  };
}
