import { describe, expect, it, vi } from 'vitest';
import type * as FieldTypes from '../../main/core/tasks/field-types';

// Counts the destination schemas built: S3, Azure, GCS, OpenStack and SFTP each build theirs
// through `exclusive` (their either-or pairs), once per schema.
const built = vi.hoisted(() => ({ count: 0 }));
vi.mock('../../main/core/tasks/field-types', async (importOriginal) => {
  const original = await importOriginal<typeof FieldTypes>();
  return {
    ...original,
    exclusive: ((...args: Parameters<typeof original.exclusive>) => {
      built.count++;
      return original.exclusive(...args);
    }) as typeof original.exclusive,
  };
});

const { exportSchemas, taskSchemas } = await import('../../main/core/tasks/operations');
const { destinations } = await import('../../main/core/tasks/destinations');
const { isShareable, shareableOperations } = await import('../../main/core/tasks/shareable');

describe("destinations' schemas", () => {
  it('are built on first use, each once: a job builds only its own destinations', () => {
    expect(built.count).toBe(0); // loading the list of operations built none
    const sftp = taskSchemas['export/sftp'];
    expect(built.count).toBe(1);
    expect(exportSchemas['export/sftp']).toBe(sftp);
    expect(destinations['export/sftp'].schema()).toBe(sftp);
    expect(built.count).toBe(1);

    expect(isShareable('export/s3')).toBe(true);
    expect(built.count).toBe(2);
    expect(isShareable('export/sftp')).toBe(false);
    expect(built.count).toBe(2);

    expect(shareableOperations()).toEqual([
      'export/s3',
      'export/azure/blob',
      'export/google-cloud-storage',
      'export/openstack',
    ]);
    expect(built.count).toBe(5); // every one, once
  });
});
