import { promises as fs } from 'node:fs';
import { availableParallelism, release, totalmem } from 'node:os';
import { runCommand } from './proc';

/** One line: cores, CPU, memory, kernel, Node and the peers' versions. */
export async function machineDescription(): Promise<string> {
  const cpuinfo = await fs.readFile('/proc/cpuinfo', 'utf8').catch(() => '');
  const model = /^model name\s*:\s*(.+)$/m.exec(cpuinfo)?.[1]?.trim() ?? 'unknown CPU';
  const version = async (argv: string[], pick: RegExp) => {
    const r = await runCommand(argv, { timeoutMs: 20_000 });
    return pick.exec(`${r.stdout}\n${r.stderr}`)?.[1] ?? '?';
  };
  const [rclone, aws, ssh, nginx, swift, curl] = await Promise.all([
    version(['rclone', 'version'], /rclone v(\S+)/),
    version(['/usr/bin/aws', '--version'], /aws-cli\/(\S+)/),
    version(['ssh', '-V'], /OpenSSH_([^\s,]+)/),
    version(['nginx', '-v'], /nginx\/(\S+)/),
    version(['swift', '--version'], /(\d+\.\d+\.\d+)/),
    version(['curl', '--version'], /curl (\S+)/),
  ]);
  return (
    `${availableParallelism()} cores (${model}), ${Math.round(totalmem() / 2 ** 30)} GiB RAM, ` +
    `Linux ${release()}, Node ${process.versions.node}; peers: rclone ${rclone}, aws-cli ${aws}, ` +
    `OpenSSH ${ssh}, python-swiftclient ${swift}, nginx ${nginx}, curl ${curl}`
  );
}
