import { DeliveryLog } from '../../main/core/delivery-log/delivery-log';

/**
 * Writes the delivery log as hard as it can (batches of 500 entries, one
 * transaction each) and prints `acked N` once entries 0…N-1 are committed,
 * until it is killed. Used by the crash test: node --import tsx THIS HOME JOB_ID.
 */
const BATCH = 500;

async function main(home: string, jobId: string): Promise<never> {
  const log = await DeliveryLog.open(home, 90);
  for (let n = 0; ; n += BATCH) {
    const at = new Date().toISOString();
    log.append(
      Array.from({ length: BATCH }, (_, i) => ({
        delivered_at: at,
        job_id: jobId,
        task: 'export',
        source_path: `/crash/${n + i}.bin`,
        filename: `${n + i}.bin`,
        size: n + i,
        destination: 'crash',
        operation: 'export/sftp',
        verified_by: 'size',
      })),
    );
    process.stdout.write(`acked ${n + BATCH}\n`);
    await new Promise((resolve) => setImmediate(resolve));
  }
}

const [home, jobId] = process.argv.slice(2);
if (!home || !jobId) throw new Error('usage: delivery-log-writer HOME JOB_ID');
void main(home, jobId);
