import { describe, expect, it } from 'vitest';
import { exportJobOf } from '../../main/core/api/export-job';
import { ValidationError } from '../../main/core/errors';

/** The job a drop (UI) or `outbox export` builds: one import task, one export task per destination. */
describe('exportJobOf', () => {
  it('names the one export task "export", as before', () => {
    expect(exportJobOf([{ profile: 'backups' }], ['a.pdf'])).toEqual({
      tasks: {
        'import-files': { operation: 'import/file', path: ['a.pdf'] },
        export: { profile: 'backups', input: 'import-files' },
      },
    });
  });

  it('names several after their profiles, all taking the one import task', () => {
    const job = exportJobOf(
      [{ profile: 'backups' }, { operation: 'export/url' }, { profile: 'sftp' }],
      ['a.pdf', 'b.pdf'],
    );
    expect(Object.keys(job.tasks)).toEqual(['import-files', 'backups', 'export-2', 'sftp']);
    for (const name of ['backups', 'export-2', 'sftp']) {
      expect(job.tasks[name]?.input).toBe('import-files');
    }
  });

  it('gives a profile whose name is taken (or reserved) a numbered name', () => {
    const job = exportJobOf(
      [{ profile: 'import-files' }, { profile: '__proto__' }, { profile: 'export-3' }, {}],
      ['a'],
    );
    expect(Object.keys(job.tasks)).toEqual([
      'import-files',
      'export-1',
      'export-2',
      'export-3',
      'export-4',
    ]);
    expect(job.tasks['export-1']).toEqual({ profile: 'import-files', input: 'import-files' });
  });

  it('refuses the same profile twice, and no destination at all, naming the field', () => {
    for (const tasks of [[{ profile: 'backups' }, { profile: 'backups' }], []]) {
      let error: unknown;
      try {
        exportJobOf(tasks, ['a']);
      } catch (caught) {
        error = caught;
      }
      expect(error).toBeInstanceOf(ValidationError);
      expect(Object.keys((error as ValidationError).fields)).toEqual(['destinations']);
    }
  });
});
