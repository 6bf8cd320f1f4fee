import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

// The floors of main/core are enforced by `npm run lint`: these lint made-up files placed in
// the tree (nothing is written) and check that an upward import fails and a downward one passes.
const eslint = new ESLint({ cwd: join(import.meta.dirname, '../..') });

async function floorErrors(filePath: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath });
  return (result?.messages ?? [])
    .filter((message) => message.ruleId === 'no-restricted-imports')
    .map((message) => message.message);
}

describe('floors of main/core (eslint no-restricted-imports)', () => {
  it('refuses an exporter importing the engine, links or the API', async () => {
    const errors = await floorErrors(
      'main/core/exporters/s3/upward.ts',
      [
        "export { Engine } from '../../engine/engine';",
        "export { LinkStore } from '../../links/link-store';",
        "export type { OutboxApi } from '../../api/outbox-api';",
      ].join('\n'),
    );
    expect(errors).toHaveLength(3);
    expect(errors[0]).toMatch(/main\/core\/exporters may not import .*engine/);
  });

  it('refuses the bottom floor importing tasks, and core importing a host', async () => {
    expect(
      await floorErrors('main/core/transfer/upward.ts', "export * from '../tasks/operations';"),
    ).toHaveLength(1);
    expect(
      await floorErrors(
        'main/core/engine/upward.ts',
        "export * from '../../browser/browser-host';",
      ),
    ).toEqual([expect.stringMatching(/hosts import core/)]);
  });

  it('refuses rooms of one floor importing each other', async () => {
    expect(
      await floorErrors(
        'main/core/links/sideways.ts',
        "export * from '../profiles/profile-store';",
      ),
    ).toHaveLength(1);
  });

  it('lets every floor import downward', async () => {
    expect(
      await floorErrors(
        'main/core/api/downward.ts',
        [
          "export * from '../engine/engine';",
          "export * from '../exporters/registry';",
          "export * from '../transfer/records';",
          "export * from '../errors';",
        ].join('\n'),
      ),
    ).toEqual([]);
  });

  it("lets tasks/ and the renderer import a backend folder's descriptor, and nothing else of it", async () => {
    expect(
      await floorErrors(
        'main/core/tasks/registry-like.ts',
        "export * from '../exporters/s3/destination';",
      ),
    ).toEqual([]);
    expect(
      await floorErrors(
        'main/core/tasks/upward.ts',
        [
          "export * from '../exporters/s3/s3-exporter';",
          "export * from '../exporters/registry';",
        ].join('\n'),
      ),
    ).toHaveLength(2);
    expect(
      await floorErrors(
        'main/core/transfer/upward.ts',
        "export * from '../exporters/s3/destination';",
      ),
    ).toHaveLength(1);
    expect(
      await floorErrors(
        'renderer/src/lib/backend.ts',
        [
          "export * from '../../../main/core/exporters/s3/destination';",
          "export * from '../../../main/core/tasks/destinations';",
          "export * from '../../../main/core/exporters/s3/s3-exporter';",
          "export * from '../../../main/core/engine/engine';",
        ].join('\n'),
      ),
    ).toHaveLength(2);
  });

  it('keeps a descriptor free of exporter code, SDKs and node: modules', async () => {
    const errors = await floorErrors(
      'main/core/exporters/s3/destination.ts',
      [
        "import { z } from 'zod';",
        "import { field } from '../../tasks/fields';",
        "import { s3Exporter } from './s3-exporter';",
        "import { probePath } from '../probe-path';",
        "import { S3Client } from '@aws-sdk/client-s3';",
        "import { posix } from 'node:path';",
        'export const all = [z, field, s3Exporter, probePath, S3Client, posix];',
      ].join('\n'),
    );
    expect(errors).toHaveLength(4);
    expect(errors[0]).toMatch(/only tasks\/, the bottom floor and zod/);
  });

  it('puts every room of main/core below the API (a new room must be given its floor)', async () => {
    const rooms = readdirSync(join(import.meta.dirname, '../../main/core'), {
      withFileTypes: true,
    })
      .filter((entry) => entry.isDirectory() && entry.name !== 'api')
      .map((entry) => entry.name);
    expect(rooms.length).toBeGreaterThan(5);
    for (const room of rooms) {
      expect(
        await floorErrors(`main/core/${room}/upward.ts`, "export * from '../api/outbox-api';"),
        room,
      ).toHaveLength(1);
    }
  });
});
