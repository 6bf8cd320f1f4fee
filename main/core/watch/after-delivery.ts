import { promises as fs } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { FileFacts } from './settle';
import type { AfterAction } from './watch-store';
import { SENT_FOLDER } from './watch-globs';

/**
 * What happens to a file once its delivery was verified: left where it is,
 * moved to `sent/` beside it (replacing an earlier one of the same name), or
 * deleted. Only a file that is still the one delivered (same size and mtime)
 * is touched: a file changed since is a new version to deliver, not to move.
 */
export async function afterDelivery(
  path: string,
  delivered: FileFacts,
  action: AfterAction,
): Promise<void> {
  if (action === 'leave') return;
  const stat = await fs.stat(path).catch(() => undefined);
  if (!stat || stat.size !== delivered.size || stat.mtimeMs !== delivered.mtimeMs) return;
  if (action === 'delete') {
    await fs.rm(path, { force: true });
    return;
  }
  const sent = join(dirname(path), SENT_FOLDER);
  await fs.mkdir(sent, { recursive: true });
  await fs.rename(path, join(sent, basename(path)));
}
