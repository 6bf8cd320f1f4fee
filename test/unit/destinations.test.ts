import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { probePath } from '../../main/core/exporters/probe-path';
import { exporterFolder, hasExporter, loadExporter } from '../../main/core/exporters/registry';
import { destinations } from '../../main/core/tasks/destinations';
import { exportOperations } from '../../main/core/tasks/operations';
import { shapeOf } from '../../main/core/tasks/secrets';

describe('destination descriptors', () => {
  it('every export operation has a descriptor of its own', () => {
    for (const operation of exportOperations) {
      const descriptor = (destinations as Record<string, (typeof destinations)[typeof operation]>)[
        operation
      ];
      expect(descriptor, operation).toBeDefined();
      expect(descriptor?.operation).toBe(operation);
      expect(descriptor?.label, operation).not.toBe('');
      expect(descriptor?.short, operation).not.toBe('');
    }
    expect(Object.keys(destinations).sort()).toEqual([...exportOperations].sort());
  });

  it('every export operation has an exporter, loaded from its folder (export/url runs in the engine)', async () => {
    const uploads = exportOperations.filter(hasExporter);
    expect(uploads).toEqual(exportOperations.filter((operation) => operation !== 'export/url'));
    for (const operation of uploads) {
      expect((await loadExporter(operation)).operation, operation).toBe(operation);
    }
  });

  it('lists every backend folder in the registry, each named after its operation', () => {
    const exporters = join(import.meta.dirname, '../../main/core/exporters');
    const folders = readdirSync(exporters, { withFileTypes: true })
      .filter((entry) => entry.isDirectory())
      .map((entry) => entry.name);
    expect(exportOperations.map(exporterFolder).sort()).toEqual(folders.sort());
    for (const folder of folders) {
      expect(existsSync(join(exporters, folder, 'destination.ts')), folder).toBe(true);
    }
  });

  it('says where "Test connection" writes', () => {
    const s3 = destinations['export/s3'];
    expect(probePath(s3, { key_prefix: 'in/' }, 'p')).toBe('in/p');
    expect(probePath(s3, { key: 'a/b/f.pdf' }, 'p')).toBe('a/b/p');
    expect(probePath(s3, { key: 'f.pdf' }, 'p')).toBe('p');
    expect(probePath(destinations['export/sftp'], { path: '/upload/' }, 'p')).toBe('/upload/p');
    expect(probePath(destinations['export/sftp'], { file: 'in/f.pdf' }, 'p')).toBe('in/p');
    expect(probePath(destinations['export/azure/blob'], { blob_prefix: 'in/' }, 'p')).toBe('p');
    expect(probePath(destinations['export/google-cloud-storage'], {})).toMatch(
      /^\.outbox-probe-[0-9a-f]{12}$/,
    );
  });

  it('names only fields its schema has', () => {
    for (const operation of exportOperations) {
      const { naming } = destinations[operation];
      if (naming.kind === 'own') continue;
      expect(shapeOf(operation), operation).toHaveProperty(naming.name);
      expect(shapeOf(operation), operation).toHaveProperty(naming.prefix);
    }
  });

  it('says where a profile delivers and where a stored file is, in its own words', () => {
    expect(destinations['export/s3'].where({ bucket: 'photos', key_prefix: '2024/' })).toBe(
      'photos / 2024/',
    );
    expect(
      destinations['export/azure/blob'].where({ storage_account: 'acct', container: 'box' }),
    ).toBe('acct / box');
    expect(destinations['export/upload'].where({ url: { set: true } })).toBe('PUT to a saved URL');
    expect(destinations['export/url'].where({ expires_in: 3600 })).toBe('Expires after 1 hour');
    expect(destinations['export/sftp'].address({ username: 'u', host: 'h', port: 2222 })).toBe(
      'u@h:2222',
    );
    expect(
      destinations['export/s3'].address({ endpoint: 'http://127.0.0.1:7480', bucket: 'photos' }),
    ).toBe('http://127.0.0.1:7480 photos');
    expect(destinations['export/google-cloud-storage'].address({ bucket: 'photos' })).toBe(
      'photos',
    );
    expect(destinations['export/s3'].location({ bucket: 'b', key: 'k' })).toBe('s3://b/k');
    expect(destinations['export/s3'].location({ bucket: 'b' })).toBeUndefined();
    expect(destinations['export/google-cloud-storage'].location({ bucket: 'b', file: 'f' })).toBe(
      'gs://b/f',
    );
    expect(destinations['export/sftp'].location({ location: 'sftp://h/x' })).toBe('sftp://h/x');
    expect(
      destinations['export/azure/blob'].cannotSign?.({ sas_token: 'x' }, 'the destination'),
    ).toMatch(/signs in with a SAS token/);
    expect(
      destinations['export/azure/blob'].cannotSign?.({ storage_access_key: 'k' }, 'x'),
    ).toBeUndefined();
  });
});
