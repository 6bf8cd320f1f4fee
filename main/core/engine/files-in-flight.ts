import { DEFAULT_TRANSFERS_PER_WORKER, type OutboxConfig } from '../config';
import type { UploadOperation } from '../exporters/registry';
import { destinationOf } from '../tasks/destinations';

/**
 * Files of `operation` one exporter thread sends at once: OUTBOX_TRANSFERS when it is set
 * (for every destination), else the destination's own number, else the default. Enough in
 * flight hides the round trips of small files; an SFTP server does better with fewer.
 */
export function filesInFlight(
  config: Pick<OutboxConfig, 'transfersPerWorker'>,
  operation: UploadOperation,
): number {
  return (
    config.transfersPerWorker ??
    destinationOf(operation).filesInFlight ??
    DEFAULT_TRANSFERS_PER_WORKER
  );
}
