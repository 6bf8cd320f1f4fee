import { KEYSTONE } from '../../test/support/servers';
import { ceilingTool, curlTool } from '../lib/ceiling';
import type { BenchContext } from '../lib/context';
import { failedLine, throughputLine } from '../lib/line';
import { rcloneTool } from '../lib/peers';
import { lastLine, peerEnv, runCommand } from '../lib/proc';
import type { Line } from '../lib/table';
import { outboxTool, type Tool } from '../lib/tool';
import { describeSize, sourceBytes } from '../lib/units';

const TITLE = 'OpenStack Swift (Keystone v3)';

/** python3-swiftclient's `swift`, authenticated like Outbox (Keystone v3 password). */
const swiftEnv = () =>
  peerEnv({
    OS_AUTH_URL: KEYSTONE.authUrlV3,
    OS_IDENTITY_API_VERSION: '3',
    OS_USERNAME: KEYSTONE.username,
    OS_PASSWORD: KEYSTONE.password,
    OS_PROJECT_NAME: KEYSTONE.project,
    OS_USER_DOMAIN_NAME: KEYSTONE.userDomain,
    OS_PROJECT_DOMAIN_NAME: KEYSTONE.projectDomain,
    OS_REGION_NAME: KEYSTONE.region,
  });

async function swift(args: string[]): Promise<void> {
  const result = await runCommand(['swift', ...args], { env: swiftEnv(), timeoutMs: 300_000 });
  if (!result.ok) throw new Error(`swift ${args[0]}: ${lastLine(result.stderr)}`);
}

/** The storage URL and a token, as `swift auth` prints them (a token lasts an hour or more). */
async function swiftAuth(): Promise<{ url: string; token: string }> {
  const result = await runCommand(['swift', 'auth'], { env: swiftEnv(), timeoutMs: 60_000 });
  const value = (name: string) => new RegExp(`${name}=(\\S+)`).exec(result.stdout)?.[1];
  const url = value('OS_STORAGE_URL');
  const token = value('OS_AUTH_TOKEN');
  if (!result.ok || !url || !token) throw new Error(`swift auth: ${lastLine(result.stderr)}`);
  return { url, token };
}

export async function swiftLines(ctx: BenchContext): Promise<Line[]> {
  const container = `outbox-bench-${ctx.tag}`;
  const id = 'swift-big';
  const title = `${TITLE}: ${describeSize(ctx.data.sizes.bigBytes)}`;
  ctx.log(`${id}: ${title}`);
  let auth: { url: string; token: string };
  try {
    await swift(['post', container]);
    auth = await swiftAuth();
  } catch (error) {
    return [failedLine(id, title, error)];
  }
  const outbox = outboxTool(ctx, (target) => ({
    operation: 'export/openstack',
    auth_url: KEYSTONE.authUrl,
    region: KEYSTONE.region,
    container,
    username: KEYSTONE.username,
    password: KEYSTONE.password,
    file_prefix: `${target}/`,
  }));
  const swiftUpload: Tool = {
    name: 'swift upload',
    command: (source, target) => ({
      argv: ['swift', 'upload', '-q', container, source, '--object-name', `${target}/big.bin`],
      env: swiftEnv(),
    }),
  };
  // Swift's own ingest bound: one PUT of the file with a token got beforehand (not timed).
  const curl = curlTool(ctx, 'curl -T', async (source, target) => [
    {
      file: source,
      url: `${auth.url}/${container}/${target}/big.bin`,
      headers: [`X-Auth-Token: ${auth.token}`],
    },
  ]);
  // The same PUT with Outbox's check (the MD5 of what was sent against Swift's ETag): equal work.
  const nodeMd5 = ceilingTool(ctx, 'Node http PUT + MD5 check', 'swift-put-md5', (target) => ({
    ...auth,
    container,
    prefix: `${target}/`,
  }));
  const rclone = rcloneTool(
    ctx,
    {
      name: 'benchswift',
      options: {
        type: 'swift',
        env_auth: 'false',
        auth: KEYSTONE.authUrlV3,
        auth_version: '3',
        user: KEYSTONE.username,
        key: KEYSTONE.password,
        domain: KEYSTONE.userDomain,
        tenant: KEYSTONE.project,
        tenant_domain: KEYSTONE.projectDomain,
        region: KEYSTONE.region,
      },
    },
    (target) => `${container}/${target}`,
  );
  try {
    return [
      await throughputLine(ctx, {
        id,
        title,
        source: ctx.data.big,
        bytes: await sourceBytes(ctx.data.big),
        outbox,
        peers: [swiftUpload, rclone],
        ceilings: [nodeMd5, curl],
        // `swift delete` also removes the segments of large-object manifests
        afterRun: (_tool, target) => swift(['delete', '-q', container, '--prefix', `${target}/`]),
      }),
    ];
  } finally {
    for (const c of [container, `${container}_segments`, `${container}+segments`]) {
      await swift(['delete', '-q', c]).catch(() => undefined);
    }
  }
}
