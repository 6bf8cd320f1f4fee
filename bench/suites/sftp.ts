import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { SFTP } from '../../test/support/servers';
import { ceilingTool } from '../lib/ceiling';
import type { BenchContext } from '../lib/context';
import { throughputLine } from '../lib/line';
import { rcloneTool } from '../lib/peers';
import { peerEnv, runCommand } from '../lib/proc';
import type { Line } from '../lib/table';
import { outboxTool, type Tool } from '../lib/tool';
import { describeSize, sourceBytes } from '../lib/units';

const TITLE = 'SFTP on OpenSSH sshd';

/** Every tool logs in with the same ed25519 key; each run writes into its own, pre-made folder. */
export async function sftpLines(ctx: BenchContext): Promise<Line[]> {
  const root = `outbox-bench-${ctx.tag}`;
  const privateKey = await fs.readFile(SFTP.keys.ed25519, 'utf8');
  const outbox = outboxTool(ctx, (target) => ({
    operation: 'export/sftp',
    host: SFTP.host,
    port: SFTP.port,
    username: SFTP.username,
    private_key: privateKey,
    path: `${root}/${target}/`,
  }));
  const openssh: Tool = {
    name: 'sftp',
    async command(source, target) {
      const isDir = (await fs.stat(source)).isDirectory();
      const batch = join(ctx.scratch, `sftp-${target}.batch`);
      const dest = `${root}/${target}/${isDir ? 'small' : 'big.bin'}`;
      await fs.writeFile(batch, `put ${isDir ? '-r ' : ''}"${source}" "${dest}"\n`);
      return {
        argv: [
          'sftp',
          '-B',
          '261120',
          '-q',
          '-b',
          batch,
          '-P',
          String(SFTP.port),
          '-i',
          SFTP.keys.ed25519,
          '-o',
          `UserKnownHostsFile=${SFTP.knownHosts}`,
          '-o',
          'StrictHostKeyChecking=yes',
          '-o',
          'BatchMode=yes',
          `${SFTP.username}@${SFTP.host}`,
        ],
        env: peerEnv(),
      };
    },
  };
  const rclone = rcloneTool(
    ctx,
    {
      name: 'benchsftp',
      options: {
        type: 'sftp',
        host: SFTP.host,
        port: String(SFTP.port),
        user: SFTP.username,
        key_file: SFTP.keys.ed25519,
      },
    },
    (target) => `${root}/${target}`,
    ['--sftp-chunk-size', '255k'],
  );
  // Named by what it adds to fastPut, so the board's name and the settings cannot disagree.
  const fastPutTool = (adds: { sha256: boolean; checked: boolean }) =>
    ceilingTool(
      ctx,
      ['ssh2 fastPut', adds.sha256 && 'SHA-256', adds.checked && 'size check and rename']
        .filter(Boolean)
        .join(' + '),
      'sftp-fastput',
      (target) => ({
        host: SFTP.host,
        port: SFTP.port,
        username: SFTP.username,
        privateKeyPath: SFTP.keys.ed25519,
        dir: `${root}/${target}`,
        ...adds,
      }),
    );
  // the library alone; doing what Outbox adds per byte (the checksum output); and per file too
  // (a temporary name, the size check, the rename: two requests a file more than fastPut)
  const fastPut = [
    fastPutTool({ sha256: false, checked: false }),
    fastPutTool({ sha256: true, checked: false }),
    fastPutTool({ sha256: true, checked: true }),
  ];
  const local = (target: string) => join(SFTP.home, root, target);
  const hooks = {
    beforeRun: async (_tool: Tool, target: string) => {
      await fs.mkdir(local(target), { recursive: true });
      await runCommand(['chown', '-R', `${SFTP.username}:`, join(SFTP.home, root)], {
        timeoutMs: 10_000,
      });
    },
    afterRun: async (_tool: Tool, target: string) => {
      await fs.rm(local(target), { recursive: true, force: true });
    },
  };
  const { sizes } = ctx.data;
  const lines: Line[] = [];
  try {
    ctx.log(`sftp-big: ${TITLE}`);
    lines.push(
      await throughputLine(ctx, {
        id: 'sftp-big',
        title: `${TITLE}: ${describeSize(sizes.bigBytes)}`,
        source: ctx.data.big,
        bytes: await sourceBytes(ctx.data.big),
        outbox,
        peers: [openssh, rclone],
        ceilings: fastPut,
        ...hooks,
      }),
    );
    ctx.log(`sftp-small: ${TITLE}`);
    lines.push(
      await throughputLine(ctx, {
        id: 'sftp-small',
        title: `${TITLE}: ${describeSize(sizes.smallBytes, sizes.smallCount)}`,
        source: ctx.data.small,
        bytes: await sourceBytes(ctx.data.small),
        outbox,
        peers: [openssh, rclone],
        ceilings: fastPut,
        ...hooks,
      }),
    );
    ctx.log(`sftp-scale: ${TITLE}`);
    lines.push(
      await throughputLine(ctx, {
        id: 'sftp-scale',
        title: `${TITLE}: ${describeSize(sizes.scaleBytes, sizes.scaleCount)}`,
        source: ctx.data.scale,
        bytes: await sourceBytes(ctx.data.scale),
        outbox,
        // the best peer of the 2,000-file line only: rclone would take minutes a round
        peers: [openssh],
        ceilings: fastPut,
        budgetSeconds: 900,
        ...hooks,
      }),
    );
  } finally {
    await fs.rm(join(SFTP.home, root), { recursive: true, force: true });
  }
  return lines;
}
