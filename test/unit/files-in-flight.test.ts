import { describe, expect, it } from 'vitest';
import {
  DEFAULT_TRANSFERS_PER_WORKER,
  environmentVariables,
  loadConfig,
} from '../../main/core/config';
import { filesInFlight } from '../../main/core/engine/files-in-flight';
import { hasExporter } from '../../main/core/exporters/registry';
import { destinationList } from '../../main/core/tasks/destinations';

const uploads = destinationList.map((d) => d.operation).filter(hasExporter);

describe('files in flight per exporter thread', () => {
  it('is each destination’s own number without OUTBOX_TRANSFERS: 32 to SFTP, 64 to the others', () => {
    const config = loadConfig({ OUTBOX_HOME: '/tmp/outbox-unused' });
    expect(config.transfersPerWorker).toBeUndefined();
    expect(DEFAULT_TRANSFERS_PER_WORKER).toBe(64);
    expect(Object.fromEntries(uploads.map((op) => [op, filesInFlight(config, op)]))).toEqual({
      'export/s3': 64,
      'export/azure/blob': 64,
      'export/google-cloud-storage': 64,
      'export/openstack': 64,
      'export/sftp': 32,
      'export/upload': 64,
    });
  });

  it('is OUTBOX_TRANSFERS for every destination when it is set', () => {
    const config = loadConfig({ OUTBOX_HOME: '/tmp/outbox-unused', OUTBOX_TRANSFERS: '100' });
    expect(uploads.map((op) => filesInFlight(config, op))).toEqual(uploads.map(() => 100));
  });

  it('--help states the default and every destination’s own number', () => {
    const meaning = environmentVariables.find((v) => v.name === 'OUTBOX_TRANSFERS')?.meaning;
    expect(meaning).toContain(`unset: ${DEFAULT_TRANSFERS_PER_WORKER}`);
    for (const d of destinationList)
      if ('filesInFlight' in d) expect(meaning).toContain(`${d.short}: ${d.filesInFlight}`);
  });
});
