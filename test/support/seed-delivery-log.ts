import { DeliveryLog } from '../../main/core/delivery-log/delivery-log';

/**
 * Adds COUNT entries to the delivery log of HOME, for DESTINATION, one
 * every 10 minutes going back from START (ISO): `seed-0000.bin` is the newest.
 * node --import tsx THIS HOME COUNT DESTINATION START
 */
async function main([home, count, destination, start]: string[]): Promise<void> {
  if (!home || !count || !destination || !start)
    throw new Error('usage: seed-delivery-log HOME COUNT DESTINATION START');
  const log = await DeliveryLog.open(home, 90);
  const from = Date.parse(start);
  log.append(
    Array.from({ length: Number(count) }, (_, i) => ({
      delivered_at: new Date(from - i * 600_000).toISOString(),
      job_id: 'seeded',
      task: 'export',
      source_path: `/seed/seed-${String(i).padStart(4, '0')}.bin`,
      filename: `seed-${String(i).padStart(4, '0')}.bin`,
      size: 1000 + i,
      checksum: `md5:${i.toString(16).padStart(32, '0')}`,
      destination,
      operation: 'export/s3',
      location: `http://127.0.0.1:7480/seed/seed-${i}.bin`,
      verified_by: 'md5',
    })),
  );
  log.close();
}

void main(process.argv.slice(2));
