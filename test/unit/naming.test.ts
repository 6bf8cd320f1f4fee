import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../main/core/errors';
import { namesFor } from '../../main/core/engine/plan';
import type { SourceFile } from '../../main/core/transfer/sources';
import { formatPlaceholder, hasPlaceholder, planNames } from '../../main/core/naming';
import { validateTask } from '../../main/core/tasks/validate';
import { turnsDuring } from '../support/event-loop-turns';
import type { ExportTask } from '../../main/core/tasks/operations';

const files = (...names: string[]): SourceFile[] =>
  names.map((name) => ({ path: `/src/${name}`, name, size: 1, mtimeMs: 0 }));

async function errorOf(fn: () => Promise<unknown>): Promise<ValidationError> {
  try {
    await fn();
  } catch (error) {
    if (error instanceof ValidationError) return error;
    throw error;
  }
  throw new Error('expected a ValidationError');
}

const s3 = (params: Record<string, unknown>) =>
  validateTask({
    operation: 'export/s3',
    input: 'i',
    bucket: 'b',
    region: 'r',
    access_key_id: 'a',
    secret_access_key: 's',
    ...params,
  }) as ExportTask;

describe('placeholders', () => {
  it('numbers from 1, pads with %03d, keeps %%', () => {
    expect(formatPlaceholder('myfile-%d.pdf', 1)).toBe('myfile-1.pdf');
    expect(formatPlaceholder('scan-%03d.png', 7)).toBe('scan-007.png');
    expect(formatPlaceholder('%5d', 42)).toBe('   42');
    expect(formatPlaceholder('100%%-%d', 2)).toBe('100%-2');
    expect(hasPlaceholder('100%%.txt')).toBe(false);
    expect(hasPlaceholder('a-%02d')).toBe(true);
  });
});

describe('output names, shared by every destination', () => {
  it('no name: the file’s own name', async () => {
    expect(await namesFor(s3({}), files('a.pdf', 'b.pdf'))).toEqual(['a.pdf', 'b.pdf']);
  });

  it('a prefix: prefix + own name (also for folder drops)', async () => {
    expect(await namesFor(s3({ key_prefix: 'out/' }), files('a.pdf', 'dir/b.pdf'))).toEqual([
      'out/a.pdf',
      'out/dir/b.pdf',
    ]);
  });

  it('a fixed name for one file', async () => {
    expect(await namesFor(s3({ key: 'report.pdf' }), files('a.pdf'))).toEqual(['report.pdf']);
  });

  it('a fixed name with a placeholder numbers several files', async () => {
    expect(await namesFor(s3({ key: 'myfile-%d.pdf' }), files('x', 'y', 'z'))).toEqual([
      'myfile-1.pdf',
      'myfile-2.pdf',
      'myfile-3.pdf',
    ]);
    expect(await namesFor(s3({ key: 'p/%03d.pdf' }), files('x', 'y'))).toEqual([
      'p/001.pdf',
      'p/002.pdf',
    ]);
  });

  it('a fixed name without a placeholder and several files is a validation error naming the field', async () => {
    const error = await errorOf(() => namesFor(s3({ key: 'report.pdf' }), files('a', 'b')));
    expect(error.fields.key?.[0]).toMatch(/add a placeholder such as %d \(e\.g\. report-%d\.pdf\)/);
  });

  it('each destination uses its own fields', async () => {
    const azure = validateTask({
      operation: 'export/azure/blob',
      input: 'i',
      storage_account: 'acct',
      storage_access_key: 'k',
      container: 'c',
      blob_prefix: 'in/',
    }) as ExportTask;
    expect(await namesFor(azure, files('a'))).toEqual(['in/a']);
    const sftp = validateTask({
      operation: 'export/sftp',
      input: 'i',
      host: 'h',
      username: 'u',
      password: 'p',
      path: '/upload/',
    }) as ExportTask;
    expect(await namesFor(sftp, files('a', 'd/b'))).toEqual(['/upload/a', '/upload/d/b']);
    const sftpFile = validateTask({
      operation: 'export/sftp',
      input: 'i',
      host: 'h',
      username: 'u',
      password: 'p',
      file: '/upload/x-%d.txt',
    }) as ExportTask;
    expect(await namesFor(sftpFile, files('a', 'b'))).toEqual([
      '/upload/x-1.txt',
      '/upload/x-2.txt',
    ]);
  });

  it('export/upload: one URL as given (presigned URLs hold %-escapes), several need a placeholder', async () => {
    const upload = (url: string) =>
      validateTask({ operation: 'export/upload', input: 'i', url }) as ExportTask;
    const presigned = 'https://h/b/k?X-Amz-Credential=a%2Fb%2d';
    expect(await namesFor(upload(presigned), files('a'))).toEqual([presigned]);
    expect(
      (await errorOf(() => namesFor(upload('https://h/x'), files('a', 'b')))).fields.url,
    ).toBeDefined();
    expect(await namesFor(upload('https://h/x-%d'), files('a', 'b'))).toEqual([
      'https://h/x-1',
      'https://h/x-2',
    ]);
  });

  it('refuses names that escape their prefix or folder', async () => {
    expect(
      (
        await errorOf(() =>
          planNames({ kind: 'prefix', field: 'key_prefix', prefix: 'a/' }, ['../x'], 'object'),
        )
      ).fields.key_prefix?.[0],
    ).toMatch(/may not leave/);
    expect(
      (
        await errorOf(() =>
          planNames({ kind: 'fixed', field: 'key', name: 'a/../../x' }, ['f'], 'object'),
        )
      ).fields.key?.[0],
    ).toMatch(/may not leave/);
    expect(
      (
        await errorOf(() =>
          planNames({ kind: 'fixed', field: 'key', name: '/etc/x' }, ['f'], 'object'),
        )
      ).fields.key?.[0],
    ).toMatch(/starts with "\/"/);
    expect(
      (await errorOf(() => planNames({ kind: 'own' }, ['/etc/passwd'], 'object'))).fields
        .input?.[0],
    ).toMatch(/absolute/);
    expect(
      (
        await errorOf(() =>
          planNames({ kind: 'directory', field: 'path', directory: '/up' }, ['a\nb'], 'path'),
        )
      ).fields.path?.[0],
    ).toMatch(/control characters/);
    expect(
      (
        await errorOf(() =>
          planNames({ kind: 'fixed', field: 'key', name: 'a\u0000b' }, ['f'], 'object'),
        )
      ).fields.key?.[0],
    ).toMatch(/control characters/);
  });

  it('refuses two files landing on one name', async () => {
    expect(
      (
        await errorOf(() =>
          planNames({ kind: 'prefix', field: 'key_prefix', prefix: 'p/' }, ['a', 'a'], 'object'),
        )
      ).message,
    ).toMatch(/both be stored as "p\/a"/);
  });

  it('keeps Unicode names', async () => {
    expect(
      await planNames(
        { kind: 'prefix', field: 'key_prefix', prefix: 'äöü/' },
        ['报告 📄.pdf', 'שלום.txt'],
        'object',
      ),
    ).toEqual(['äöü/报告 📄.pdf', 'äöü/שלום.txt']);
  });

  it('names 100,000 files in slices, the event loop turning between them (a folder drop stays responsive)', async () => {
    const own = Array.from({ length: 100_000 }, (_, i) => `folder-${i % 100}/file-${i}.txt`);
    let names: string[] = [];
    const turns = await turnsDuring(async () => {
      names = await planNames({ kind: 'prefix', field: 'key_prefix', prefix: 'p/' }, own, 'object');
    });
    expect(names).toHaveLength(own.length);
    expect(names[99_999]).toBe('p/folder-99/file-99999.txt');
    expect(turns).toBeGreaterThan(0);
  });
});
