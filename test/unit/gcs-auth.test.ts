import { generateKeyPairSync, verify as verifySignature } from 'node:crypto';
import { describe, expect, test } from 'vitest';
import { ValidationError } from '../../main/core/errors';
import { isEmulator, newStorage } from '../../main/core/exporters/google-cloud-storage/client';
import { validateTask } from '../../main/core/tasks/validate';
import type { TaskOf } from '../../main/core/tasks/operations';

/*
 * The GCS emulator checks no credentials, and the SDK sends none to an
 * emulator endpoint, so the service-account sign-in cannot be tested there.
 * There is no Google token endpoint here either. What can be proven offline:
 * the exporter's client signs an OAuth JWT assertion with `private_key` for
 * `client_email`, for the token URI, asking for a Cloud Storage scope, and
 * the signature verifies with the matching public key. The token request is
 * captured instead of sent.
 */

const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
const clientEmail = 'outbox-test@demo-outbox.iam.gserviceaccount.com';

function task(overrides: Record<string, unknown> = {}): TaskOf<'export/google-cloud-storage'> {
  return validateTask({
    operation: 'export/google-cloud-storage',
    input: 'files',
    project_id: 'demo-outbox',
    bucket: 'b',
    client_email: clientEmail,
    // As pasted from a JSON key file: line breaks escaped as \n.
    private_key: pem.replace(/\n/g, '\\n'),
    ...overrides,
  }) as TaskOf<'export/google-cloud-storage'>;
}

type TokenRequest = { url: string; data: { grant_type: string; assertion: string } };

function decode(part: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(part, 'base64url').toString('utf8')) as Record<string, unknown>;
}

describe('GCS service-account sign-in', () => {
  test('the client signs a JWT for client_email with private_key, verifiable with the public key', async () => {
    const storage = newStorage(task());
    const client = await storage.authClient.getClient();
    const requests: TokenRequest[] = [];
    // The token request is captured here instead of going to Google.
    (client as unknown as { transporter: unknown }).transporter = {
      request: async (options: TokenRequest) => {
        requests.push(options);
        return { data: { access_token: 'test-token', expires_in: 3600, token_type: 'Bearer' } };
      },
    };
    const headers = await client.getRequestHeaders();
    expect(String(headers.Authorization ?? headers.authorization)).toBe('Bearer test-token');
    // what a small upload sends (multipart-upload.ts): the same token, cached, no second request
    expect(await storage.authClient.getAccessToken()).toBe('test-token');

    expect(requests).toHaveLength(1);
    const [request] = requests;
    expect(request?.data.grant_type).toBe('urn:ietf:params:oauth:grant-type:jwt-bearer');
    const [header = '', claims = '', signature = ''] = (request?.data.assertion ?? '').split('.');
    expect(decode(header)).toMatchObject({ alg: 'RS256' });
    const payload = decode(claims);
    expect(payload.iss).toBe(clientEmail);
    expect(payload.aud).toBe(request?.url);
    expect(String(payload.aud)).toMatch(/^https:\/\/[a-z.]*googleapis\.com\/oauth2\/v4\/token$/);
    expect(String(payload.scope)).toContain('https://www.googleapis.com/auth/devstorage');
    expect(Number(payload.exp) - Number(payload.iat)).toBe(3600);

    const signed = Buffer.from(`${header}.${claims}`);
    expect(
      verifySignature('RSA-SHA256', signed, publicKey, Buffer.from(signature, 'base64url')),
    ).toBe(true);
    const { publicKey: otherKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    expect(
      verifySignature('RSA-SHA256', signed, otherKey, Buffer.from(signature, 'base64url')),
    ).toBe(false);
  });

  test('a private_key that is not a key is refused when the task is validated, naming the field', () => {
    const error = (() => {
      try {
        return task({ private_key: 'not a key', endpoint: 'https://storage.example.invalid' });
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).fields.private_key?.[0]).toMatch(/not a private key/);
  });

  test('only plain-http or loopback endpoints count as emulators (no credentials sent there)', () => {
    expect(isEmulator(undefined)).toBe(false);
    expect(isEmulator('http://127.0.0.1:9199')).toBe(true);
    expect(isEmulator('http://gcs-emulator.internal:4443')).toBe(true);
    expect(isEmulator('https://localhost:4443')).toBe(true);
    expect(isEmulator('https://storage.example.com')).toBe(false);
    expect(newStorage(task({ endpoint: 'https://storage.example.com' })).apiEndpoint).toBe(
      'https://storage.example.com',
    );
  });
});
