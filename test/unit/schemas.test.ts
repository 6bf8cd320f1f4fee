import { describe, expect, it } from 'vitest';
import { fieldInfo } from '../../main/core/tasks/fields';
import { exportOperations, exportSchemas } from '../../main/core/tasks/operations';
import { secretFieldsOf, shapeOf, withoutSecrets } from '../../main/core/tasks/secrets';
import { validateJob, validateTask } from '../../main/core/tasks/validate';
import { gcsTestKey } from '../support/gcs-key';
import { fieldsOf, minimalTasks } from '../support/tasks';

/** Every parameter the CloudConvert reference names, per operation (seed/cloudconvert-export-api.txt). */
const seedParameters: Record<string, { required: string[]; optional: string[] }> = {
  'export/url': {
    required: ['operation', 'input'],
    optional: ['inline', 'archive_multiple_files'],
  },
  'export/s3': {
    required: ['operation', 'input', 'bucket', 'region', 'access_key_id', 'secret_access_key'],
    optional: [
      'endpoint',
      'key',
      'key_prefix',
      'session_token',
      'acl',
      'cache_control',
      'content_disposition',
      'content_type',
      'metadata',
      'server_side_encryption',
      'tagging',
    ],
  },
  'export/azure/blob': {
    required: ['operation', 'input', 'storage_account', 'container'],
    optional: ['storage_access_key', 'sas_token', 'blob', 'blob_prefix', 'metadata'],
  },
  'export/google-cloud-storage': {
    required: ['operation', 'input', 'project_id', 'bucket', 'client_email', 'private_key'],
    optional: ['file', 'file_prefix'],
  },
  'export/openstack': {
    required: ['operation', 'input', 'auth_url', 'region', 'container', 'username', 'password'],
    optional: ['file', 'file_prefix'],
  },
  'export/sftp': {
    required: ['operation', 'input', 'host', 'username'],
    optional: ['port', 'password', 'private_key', 'file', 'path'],
  },
  'export/upload': { required: ['operation', 'input', 'url'], optional: ['headers'] },
};

const minimal = minimalTasks;

describe('task schemas mirror the CloudConvert reference', () => {
  it('has a schema for each of the seven export operations', () => {
    expect(exportOperations.sort()).toEqual(Object.keys(seedParameters).sort());
  });

  for (const operation of exportOperations) {
    const seed = seedParameters[operation]!;
    describe(operation, () => {
      it('names every seed parameter, spelled as the seed spells it', () => {
        const names = Object.keys(shapeOf(operation));
        for (const name of [...seed.required, ...seed.optional]) expect(names).toContain(name);
      });

      it('marks additions that are not in the seed as extensions', () => {
        const seedNames = new Set([...seed.required, ...seed.optional]);
        for (const [name, schema] of Object.entries(shapeOf(operation))) {
          if (!seedNames.has(name)) expect(fieldInfo(schema)?.extension, name).toBe(true);
          else expect(fieldInfo(schema)?.extension, name).toBeUndefined();
        }
      });

      it('gives every parameter help text', () => {
        for (const [name, schema] of Object.entries(shapeOf(operation))) {
          if (name !== 'operation') expect(fieldInfo(schema)?.help, name).toBeTruthy();
        }
      });

      it('accepts the minimal task', () => {
        expect(validateTask(minimal[operation]).operation).toBe(operation);
      });

      it('requires each required parameter, naming it', () => {
        for (const name of seed.required.filter((n) => n !== 'operation')) {
          const task = { ...minimal[operation] };
          delete task[name];
          expect(fieldsOf(() => validateTask(task))[name], name).toEqual(['is required']);
        }
      });

      it('rejects unknown parameters by name', () => {
        const fields = fieldsOf(() => validateTask({ ...minimal[operation], bukcet: 'x' }));
        expect(fields.bukcet).toEqual(['unknown parameter']);
      });
    });
  }
});

describe('defaults and types', () => {
  it('export/url: inline and archive_multiple_files default to false, expires_in to 86400', () => {
    const task = validateTask(minimal['export/url']);
    expect(task).toMatchObject({ inline: false, archive_multiple_files: false, expires_in: 86400 });
  });

  it('export/sftp: port defaults to 22 and accepts a string, as some SDKs send it', () => {
    expect(validateTask(minimal['export/sftp'])).toMatchObject({ port: 22 });
    expect(validateTask({ ...minimal['export/sftp'], port: '2222' })).toMatchObject({ port: 2222 });
    expect(
      fieldsOf(() => validateTask({ ...minimal['export/sftp'], port: 70000 })).port,
    ).toBeDefined();
    expect(
      fieldsOf(() => validateTask({ ...minimal['export/sftp'], port: 'ssh' })).port,
    ).toBeDefined();
  });

  it('export/s3: acl is not sent unless set, and documents its default (private)', () => {
    const task = validateTask(minimal['export/s3']);
    expect('acl' in task && task.acl !== undefined).toBe(false);
    expect(fieldInfo(shapeOf('export/s3').acl!)?.impliedDefault).toBe('private');
  });

  it('export/s3: acl and server_side_encryption accept only the documented values', () => {
    for (const acl of [
      'private',
      'public-read',
      'public-read-write',
      'authenticated-read',
      'bucket-owner-read',
      'bucket-owner-full-control',
    ]) {
      expect(validateTask({ ...minimal['export/s3'], acl })).toMatchObject({ acl });
    }
    expect(
      fieldsOf(() => validateTask({ ...minimal['export/s3'], acl: 'public' })).acl?.[0],
    ).toMatch(/must be one of/);
    expect(
      fieldsOf(() => validateTask({ ...minimal['export/s3'], server_side_encryption: 'DES' }))
        .server_side_encryption,
    ).toBeDefined();
    expect(
      fieldsOf(() => validateTask({ ...minimal['export/s3'], kms_key_id: 'k' })).kms_key_id?.[0],
    ).toMatch(/aws:kms/);
  });

  it('dictionaries (metadata, tagging, headers) are objects; headers take string values only', () => {
    expect(
      fieldsOf(() => validateTask({ ...minimal['export/upload'], headers: { a: 1 } }))['headers.a'],
    ).toBeDefined();
    expect(
      fieldsOf(() => validateTask({ ...minimal['export/upload'], headers: 'x' })).headers,
    ).toBeDefined();
  });

  it('input is a task name or a non-empty array of names', () => {
    expect(validateTask({ ...minimal['export/url'], input: ['a', 'b'] })).toMatchObject({
      input: ['a', 'b'],
    });
    expect(
      fieldsOf(() => validateTask({ ...minimal['export/url'], input: [] })).input,
    ).toBeDefined();
    expect(
      fieldsOf(() => validateTask({ ...minimal['export/url'], input: 3 })).input,
    ).toBeDefined();
  });

  it('GCS private_key pasted from a JSON key file keeps its line breaks', () => {
    const pasted = gcsTestKey.replace(/\n/g, '\\n');
    const task = validateTask({ ...minimal['export/google-cloud-storage'], private_key: pasted });
    expect(task).toMatchObject({ private_key: gcsTestKey });
  });

  it('URLs are checked', () => {
    expect(
      fieldsOf(() => validateTask({ ...minimal['export/upload'], url: 'ftp://x' })).url,
    ).toBeDefined();
    expect(
      fieldsOf(() => validateTask({ ...minimal['export/s3'], endpoint: 'not a url' })).endpoint,
    ).toBeDefined();
  });
});

describe('alternatives are exclusive', () => {
  const pairs: [string, string, string][] = [
    ['export/s3', 'key', 'key_prefix'],
    ['export/azure/blob', 'blob', 'blob_prefix'],
    ['export/google-cloud-storage', 'file', 'file_prefix'],
    ['export/openstack', 'file', 'file_prefix'],
    ['export/sftp', 'file', 'path'],
    ['export/sftp', 'password', 'private_key'],
    ['export/azure/blob', 'storage_access_key', 'sas_token'],
  ];
  for (const [operation, a, b] of pairs) {
    it(`${operation}: ${a} and ${b} together is an error naming the pair`, () => {
      const fields = fieldsOf(() => validateTask({ ...minimal[operation], [a]: 'x', [b]: 'y' }));
      expect(Object.values(fields).flat().join()).toContain(`"${a}" or "${b}", not both`);
    });
  }

  it('azure needs a key or a SAS token, sftp a password or a private key', () => {
    const { storage_access_key: _key, ...azure } = minimal['export/azure/blob']!;
    expect(fieldsOf(() => validateTask(azure)).storage_access_key?.[0]).toMatch(/either/);
    const { password: _password, ...sftp } = minimal['export/sftp']!;
    expect(fieldsOf(() => validateTask(sftp)).password?.[0]).toMatch(/either/);
  });
});

describe('secrets are declared once, in the schemas', () => {
  it('lists the secret parameters of each operation', () => {
    const secrets = (op: (typeof exportOperations)[number]) =>
      secretFieldsOf(op)
        .map((f) => f.name)
        .sort();
    expect(secrets('export/s3')).toEqual(['secret_access_key', 'session_token']);
    expect(secrets('export/azure/blob')).toEqual(['sas_token', 'storage_access_key']);
    expect(secrets('export/google-cloud-storage')).toEqual(['private_key']);
    expect(secrets('export/openstack')).toEqual(['password']);
    expect(secrets('export/sftp')).toEqual(['passphrase', 'password', 'private_key']);
    expect(secretFieldsOf('export/upload')).toEqual([
      { name: 'url', mode: true },
      { name: 'headers', mode: 'values' },
    ]);
    expect(secrets('export/url')).toEqual(['password']); // the links' password: kept as a scrypt hash only
  });

  it('withoutSecrets removes them', () => {
    const task = validateTask({ ...minimal['export/s3'], session_token: 'TOKEN' });
    expect(JSON.stringify(withoutSecrets(task as never))).not.toMatch(/SK|TOKEN/);
  });

  it('covers every operation', () => {
    expect(Object.keys(exportSchemas)).toHaveLength(7);
  });
});

describe('jobs', () => {
  const importTask = { operation: 'import/file', path: '/tmp/x' };

  it('accepts a CloudConvert-shaped job', () => {
    const job = validateJob({
      tasks: { files: importTask, out: { ...minimal['export/url'], input: 'files' } },
    });
    expect(Object.keys(job.tasks)).toEqual(['files', 'out']);
  });

  it('names unknown inputs', () => {
    const fields = fieldsOf(() =>
      validateJob({
        tasks: { files: importTask, out: { ...minimal['export/url'], input: 'nope' } },
      }),
    );
    expect(fields['tasks.out.input']).toEqual(['unknown task "nope"']);
  });

  it('finds cycles', () => {
    const fields = fieldsOf(() =>
      validateJob({
        tasks: {
          a: { ...minimal['export/url'], input: 'b' },
          b: { ...minimal['export/url'], input: 'a' },
        },
      }),
    );
    expect(Object.values(fields).flat().join()).toMatch(/cycle: a → b → a|cycle: b → a → b/);
  });

  it('refuses an export without input, naming the task', () => {
    const { input: _input, ...task } = minimal['export/url']!;
    expect(
      fieldsOf(() => validateJob({ tasks: { files: importTask, out: task } }))['tasks.out.input'],
    ).toEqual(['is required']);
  });

  it('refuses exports fed by exports, unknown operations and wrong types', () => {
    const fields = fieldsOf(() =>
      validateJob({
        tasks: {
          files: importTask,
          a: { ...minimal['export/url'], input: 'files' },
          b: { ...minimal['export/url'], input: 'a' },
          c: { operation: 'export/ftp', input: 'files' },
          d: { ...minimal['export/url'], input: 'files', inline: 'yes' },
        },
      }),
    );
    expect(fields['tasks.b.input']?.[0]).toMatch(/takes its files from an import\/file task/);
    expect(fields['tasks.c.operation']?.[0]).toMatch(/unknown operation "export\/ftp"/);
    expect(fields['tasks.d.inline']).toBeDefined();
  });

  it('needs tasks and at least one export', () => {
    expect(fieldsOf(() => validateJob({})).tasks).toBeDefined();
    expect(fieldsOf(() => validateJob({ tasks: {} })).tasks).toBeDefined();
    expect(fieldsOf(() => validateJob({ tasks: { files: importTask } })).tasks?.[0]).toMatch(
      /no export task/,
    );
  });

  it('reports every problem at once', () => {
    const fields = fieldsOf(() =>
      validateJob({ tasks: { files: importTask, a: { operation: 'export/s3', input: 'files' } } }),
    );
    for (const name of ['bucket', 'region', 'access_key_id', 'secret_access_key']) {
      expect(fields[`tasks.a.${name}`]).toEqual(['is required']);
    }
  });
});
