import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import type { BenchContext } from './context';
import { peerEnv } from './proc';
import type { Tool } from './tool';

/** rclone remotes, configured through RCLONE_CONFIG_<NAME>_<OPTION> variables. */
export type RcloneRemote = { name: string; options: Record<string, string> };

export async function rcloneEnv(
  ctx: BenchContext,
  remote: RcloneRemote,
): Promise<NodeJS.ProcessEnv> {
  // An empty config file of our own: rclone reads nothing of the user's setup.
  const config = join(ctx.scratch, 'rclone.conf');
  await fs.writeFile(config, '', { flag: 'a' });
  const vars: NodeJS.ProcessEnv = { RCLONE_CONFIG: config };
  for (const [key, value] of Object.entries(remote.options)) {
    vars[`RCLONE_CONFIG_${remote.name.toUpperCase()}_${key.toUpperCase()}`] = value;
  }
  return peerEnv(vars);
}

/**
 * rclone with its defaults (plus `flags`): `copyto` for one file, `copy` for a folder.
 * `path(target)` is the remote path (bucket/prefix) the run writes under.
 */
export function rcloneTool(
  ctx: BenchContext,
  remote: RcloneRemote,
  path: (target: string) => string,
  flags: string[] = [],
): Tool {
  return {
    name: 'rclone',
    async command(source, target) {
      const env = await rcloneEnv(ctx, remote);
      const isDir = (await fs.stat(source)).isDirectory();
      const dest = `${remote.name}:${path(target)}/${isDir ? 'small' : 'big.bin'}`;
      return { argv: ['rclone', isDir ? 'copy' : 'copyto', '-q', ...flags, source, dest], env };
    },
  };
}

/** Debian's awscli (`/usr/bin/aws`, not a pyenv shim), with a private empty config. */
export async function awsEnv(
  ctx: BenchContext,
  keys: { accessKeyId: string; secretAccessKey: string; region: string },
): Promise<NodeJS.ProcessEnv> {
  const empty = join(ctx.scratch, 'aws-empty');
  await fs.writeFile(empty, '', { flag: 'a' });
  return peerEnv({
    AWS_ACCESS_KEY_ID: keys.accessKeyId,
    AWS_SECRET_ACCESS_KEY: keys.secretAccessKey,
    AWS_DEFAULT_REGION: keys.region,
    AWS_CONFIG_FILE: empty,
    AWS_SHARED_CREDENTIALS_FILE: empty,
    AWS_PAGER: '',
  });
}
