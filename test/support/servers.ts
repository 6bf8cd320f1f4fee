/**
 * The real servers the integration tests talk to: fixed endpoints and credentials, and a
 * readiness check that makes a test FAIL (never skip) when its server is missing.
 *
 * Install and start them with the project's own scripts (CI does the same):
 *   bash scripts/test-env/install.sh          # Debian packages (quick no-op when present)
 *   bash scripts/test-env/servers.sh start    # all of them, or: start rgw swift sftp azurite gcs
 *   bash scripts/test-env/servers.sh status   # / stop / restart [name...]
 * State and logs: /tmp/outbox-test-env/<name>/. Every value below is hard-coded in
 * scripts/test-env/servers.d/<name>.sh as well: change both together.
 *
 * Quirks the exporters meet on these servers (users meet them too):
 * - Ceph RGW 16: canned ACLs (anonymous GET of public-read works), tagging, SSE-KMS with
 *   `aws:kms` + the testing keys below (echoed back with the key id), SSE-C, multipart and
 *   presigned URLs all work. A plain `AES256` header is accepted, not echoed, and stores
 *   plaintext (no default key configured). The CompleteMultipartUpload answer has an empty ETag
 *   (read it back with HeadObject). Streamed bodies with trailing checksums (aws-chunked, the SDK
 *   v3 default) get 411: use `requestChecksumCalculation: 'WHEN_REQUIRED'`. Debian's `aws` 2.9
 *   crashes on RGW error bodies. Data lives in RAM: gone after a restart.
 * - Swift s3api: object tagging answers 501 NotImplemented, object ACLs are ignored, `aws:kms`
 *   answers 501 "Server-side encryption is not supported"; `AES256` is accepted (everything is
 *   encrypted at rest anyway) but neither PutObject nor HeadObject echoes
 *   x-amz-server-side-encryption. DeleteObjects needs Content-MD5; aws-chunked bodies answer
 *   501; clients must sign with region us-east-1. Native Swift tokens are cached by the proxy
 *   for 5 min (a revoked Keystone token keeps working there that long).
 * - azurite: needs `--skipApiVersionCheck` with current SDKs (servers.sh passes it, and `--loose`);
 *   in-memory data, kept until azurite restarts; SAS PUT needs `x-ms-blob-type: BlockBlob`.
 * - GCS emulator (firebase-tools 14, rules runtime disabled): no auth at all (any token works).
 *   BUCKETS: creating one (`storage.createBucket()`, POST /storage/v1/b) answers 501, but the
 *   emulator creates a bucket on the fly for ANY request whose path holds `/b/<name>/`: the first
 *   upload into `bucket('x')`, or `bucket('x').getFiles()`, makes bucket `x` (it then shows in
 *   `storage.getBuckets()`). So tests simply pick a unique name and upload. The bucket
 *   `GCS_EMULATOR.defaultBucket` exists too (listing buckets creates it; servers.sh's readiness check does). Bucket metadata (`bucket.exists()`,
 *   `bucket.getMetadata()`, GET /storage/v1/b/<name>) is NOT implemented: it answers 404 (or 501)
 *   even for a bucket that exists, so an exporter's "does the bucket exist" probe must not rely on
 *   it against the emulator (list objects with maxResults 1 instead). Simple and small resumable
 *   uploads work; chunked resumable uploads do not; single requests over ~130 MB get 413.
 * - SFTP (OpenSSH 9.2 internal-sftp): `readonly/` in the home is owned by root (mode 755), so
 *   writes there fail with "Permission denied".
 */
import { createHash, createHmac } from 'node:crypto';
import { connect } from 'node:net';

/** Where scripts/test-env keeps server state (keys, logs). */
export const TEST_ENV_DIR = '/tmp/outbox-test-env';

export type ServerName = 'rgw' | 'swift' | 'sftp' | 'azurite' | 'gcs';

export interface S3Endpoint {
  readonly name: 'rgw' | 'swift';
  readonly host: string;
  readonly port: number;
  /** Path-style endpoint (no virtual-host buckets). */
  readonly endpoint: string;
  readonly region: string;
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
}

/** An export/s3 task's connection fields for a test S3 server (spread, then add bucket and names). */
export function s3TaskOf(server: S3Endpoint) {
  return {
    operation: 'export/s3',
    region: server.region,
    endpoint: server.endpoint,
    access_key_id: server.accessKeyId,
    secret_access_key: server.secretAccessKey,
  } as const;
}

/** The environment for the AWS CLI (`/usr/bin/aws`), the independent S3 client, on a test server. */
export function awsEnv(server: S3Endpoint): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    AWS_ACCESS_KEY_ID: server.accessKeyId,
    AWS_SECRET_ACCESS_KEY: server.secretAccessKey,
    AWS_DEFAULT_REGION: server.region,
    AWS_PAGER: '',
  };
  delete env.AWS_CA_BUNDLE;
  return env;
}

/** Ceph RADOS Gateway (S3), single node, in-memory OSD: all data is lost on restart. */
export const RGW = {
  name: 'rgw',
  host: '127.0.0.1',
  port: 7480,
  endpoint: 'http://127.0.0.1:7480',
  region: 'us-east-1',
  accessKeyId: 'TESTACCESSKEY000001',
  secretAccessKey: 'testsecretkey0000000000000000000000000001',
  /** Key ids for `x-amz-server-side-encryption: aws:kms` (RGW's "testing" KMS backend). */
  kmsKeyIds: ['testkey-1', 'testkey-2'],
} as const satisfies S3Endpoint & { readonly kmsKeyIds: readonly string[] };

/** OpenStack Swift's s3api (SigV4), same account as the Keystone user `tester`. */
export const SWIFT_S3 = {
  name: 'swift',
  host: '127.0.0.1',
  port: 8080,
  endpoint: 'http://127.0.0.1:8080',
  region: 'us-east-1',
  accessKeyId: 'tester-access',
  secretAccessKey: 'tester-secret',
} as const satisfies S3Endpoint;

/** Keystone v3 in front of the same Swift (v2.0 does not exist on this Keystone). */
export const KEYSTONE = {
  host: '127.0.0.1',
  port: 5000,
  /** Base URL as users type it; the v3 API is at `${authUrl}/v3`. */
  authUrl: 'http://127.0.0.1:5000',
  authUrlV3: 'http://127.0.0.1:5000/v3',
  username: 'tester',
  password: 'testing',
  project: 'test',
  userDomain: 'Default',
  projectDomain: 'Default',
  /** Catalog region of the object-store endpoint. */
  region: 'RegionOne',
  /** Swift proxy (the catalog's URL is `${swiftUrl}/v1/AUTH_<project id>`). */
  swiftUrl: 'http://127.0.0.1:8080',
  /** Swift's own tempauth v1 (GET /auth/v1.0 with X-Auth-User / X-Auth-Key), another account. */
  tempauth: {
    url: 'http://127.0.0.1:8080/auth/v1.0',
    user: 'test:tester',
    key: 'testing',
  },
} as const;

const sftpKeys = `${TEST_ENV_DIR}/sftp/keys`;

/** Private OpenSSH sshd with internal-sftp. Paths are readable by root (the tests' user in CI). */
export const SFTP = {
  host: '127.0.0.1',
  port: 2222,
  username: 'sftptest',
  password: 'sftp-pass-123',
  /** The user's home (the SFTP session starts here); relative paths resolve against it. */
  home: `${TEST_ENV_DIR}/sftp/home`,
  /** Directory in the home that the user can list and read but not write (owned by root, 755). */
  readonlyDir: 'readonly',
  keys: {
    /** OpenSSH-format ed25519, no passphrase. */
    ed25519: `${sftpKeys}/id_ed25519`,
    /** PEM ("BEGIN RSA PRIVATE KEY") RSA 3072, no passphrase. */
    rsaPem: `${sftpKeys}/id_rsa_pem`,
    /** OpenSSH-format ed25519 encrypted with `passphrase`. */
    ed25519Encrypted: `${sftpKeys}/id_ed25519_enc`,
    passphrase: 'key-pass-123',
  },
  /** The server's ed25519 host key (`ssh-ed25519 AAAA… comment`). */
  hostKeyPub: `${sftpKeys}/ssh_host_ed25519_key.pub`,
  /** A known_hosts file with the line `[127.0.0.1]:2222 ssh-ed25519 AAAA…`. */
  knownHosts: `${sftpKeys}/known_hosts`,
} as const;

/** An export/sftp task to the test sshd with the password (add `file` or `path`). */
export const sftpPasswordTask = {
  operation: 'export/sftp',
  host: SFTP.host,
  port: SFTP.port,
  username: SFTP.username,
  password: SFTP.password,
} as const;

const azuriteKey =
  'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';

/** Azurite Blob service (in memory), the well-known development account. */
export const AZURITE = {
  host: '127.0.0.1',
  port: 10000,
  /** Blob service URL (path-style account). */
  endpoint: 'http://127.0.0.1:10000/devstoreaccount1',
  account: 'devstoreaccount1',
  key: azuriteKey,
  connectionString:
    'DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;' +
    `AccountKey=${azuriteKey};BlobEndpoint=http://127.0.0.1:10000/devstoreaccount1;`,
} as const;

/** firebase-tools' Cloud Storage emulator (in memory). No auth. See the BUCKETS note above. */
export const GCS_EMULATOR = {
  host: '127.0.0.1',
  port: 9199,
  /** API root: `apiEndpoint` for @google-cloud/storage, and the STORAGE_EMULATOR_HOST value. */
  endpoint: 'http://127.0.0.1:9199',
  projectId: 'demo-outbox',
  /** The emulator's default bucket for the project (present once buckets were listed). */
  defaultBucket: 'demo-outbox.appspot.com',
} as const;

/** Everything above, by server name (plus Keystone), for tests that loop over servers. */
export const servers = {
  rgw: RGW,
  swift: SWIFT_S3,
  keystone: KEYSTONE,
  sftp: SFTP,
  azurite: AZURITE,
  gcs: GCS_EMULATOR,
} as const;

const hostPort: Record<ServerName, string> = {
  rgw: `${RGW.host}:${RGW.port}`,
  swift: `${SWIFT_S3.host}:${SWIFT_S3.port} (Keystone ${KEYSTONE.host}:${KEYSTONE.port})`,
  sftp: `${SFTP.host}:${SFTP.port}`,
  azurite: `${AZURITE.host}:${AZURITE.port}`,
  gcs: `${GCS_EMULATOR.host}:${GCS_EMULATOR.port}`,
};

const TIMEOUT_MS = 5000;

/**
 * Throws a clear Error unless server `name` answers like itself (a signed S3 ListBuckets for
 * rgw/swift, Keystone's /v3 too for swift, the SSH banner for sftp, Azurite's Server header,
 * the GCS emulator's bucket list). Call it in `beforeAll`: a missing server fails the suite.
 */
export async function assertServerUp(name: ServerName): Promise<void> {
  try {
    await probe(name);
  } catch (error) {
    const why = error instanceof Error ? error.message : String(error);
    throw new Error(
      `${name} is not running on ${hostPort[name]}: run \`bash scripts/test-env/servers.sh start ${name}\`` +
        ` (check failed: ${why}; logs in ${TEST_ENV_DIR}/${name}/)`,
    );
  }
}

async function probe(name: ServerName): Promise<void> {
  switch (name) {
    case 'rgw':
      return probeS3(RGW);
    case 'swift': {
      const res = await get(`${KEYSTONE.authUrlV3}`);
      if (res.status !== 200) throw new Error(`Keystone GET /v3 answered ${res.status}`);
      return probeS3(SWIFT_S3);
    }
    case 'sftp': {
      const banner = await tcpBanner(SFTP.host, SFTP.port);
      if (!banner.startsWith('SSH-2.0-'))
        throw new Error(`no SSH banner (got ${JSON.stringify(banner)})`);
      return;
    }
    case 'azurite': {
      const res = await get(`${AZURITE.endpoint}?comp=list`);
      const server = res.headers.get('server') ?? '';
      if (!server.startsWith('Azurite-Blob'))
        throw new Error(`not Azurite (Server: ${server || 'none'})`);
      return;
    }
    case 'gcs': {
      const res = await get(`${GCS_EMULATOR.endpoint}/b`);
      const body = await res.text();
      if (res.status !== 200 || !body.includes('storage#buckets')) {
        throw new Error(`GET /b answered ${res.status} ${body.slice(0, 100)}`);
      }
      return;
    }
  }
}

function get(url: string, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(url, { headers, signal: AbortSignal.timeout(TIMEOUT_MS) });
}

/** A SigV4-signed ListBuckets must answer 200: the server is up AND knows the test user. */
async function probeS3(s3: S3Endpoint): Promise<void> {
  const url = new URL('/', s3.endpoint);
  const amzDate = new Date()
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}/, '');
  const day = amzDate.slice(0, 8);
  const payloadHash = createHash('sha256').update('').digest('hex');
  const headers: Record<string, string> = {
    host: url.host,
    'x-amz-content-sha256': payloadHash,
    'x-amz-date': amzDate,
  };
  const names = Object.keys(headers).sort();
  const signedHeaders = names.join(';');
  const canonicalHeaders = names.map((k) => `${k}:${headers[k]}\n`).join('');
  const canonicalRequest = ['GET', '/', '', canonicalHeaders, signedHeaders, payloadHash].join(
    '\n',
  );
  const scope = `${day}/${s3.region}/s3/aws4_request`;
  const stringToSign = [
    'AWS4-HMAC-SHA256',
    amzDate,
    scope,
    createHash('sha256').update(canonicalRequest).digest('hex'),
  ].join('\n');
  const hmac = (key: string | Buffer, data: string): Buffer =>
    createHmac('sha256', key).update(data).digest();
  const signingKey = hmac(
    hmac(hmac(hmac(`AWS4${s3.secretAccessKey}`, day), s3.region), 's3'),
    'aws4_request',
  );
  const signature = createHmac('sha256', signingKey).update(stringToSign).digest('hex');
  const { host: _host, ...sent } = headers;
  const res = await get(url.toString(), {
    ...sent,
    authorization: `AWS4-HMAC-SHA256 Credential=${s3.accessKeyId}/${scope}, SignedHeaders=${signedHeaders}, Signature=${signature}`,
  });
  if (res.status !== 200) {
    const body = await res.text();
    throw new Error(
      `signed ListBuckets as ${s3.accessKeyId} answered ${res.status} ${body.slice(0, 200)}`,
    );
  }
  await res.arrayBuffer().catch(() => undefined);
}

/** Connects and reads the first line the server sends (an SSH server greets first). */
function tcpBanner(host: string, port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port });
    let data = '';
    const done = (error: Error | null) => {
      clearTimeout(timer);
      socket.destroy();
      if (error) reject(error);
      else resolve(data.split('\r\n')[0] ?? '');
    };
    const timer = setTimeout(
      () => done(new Error(`no banner within ${TIMEOUT_MS} ms`)),
      TIMEOUT_MS,
    );
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => {
      data += chunk;
      if (data.includes('\n')) done(null);
    });
    socket.on('error', (error) => done(error));
    socket.on('end', () => done(null));
  });
}
