/**
 * Ceiling: ssh2's own `fastPut` (32 writes of 255 KiB in flight, as Outbox
 * and `sftp -B 261120` use) over one connection; a folder's files go 32 at
 * a time on that connection, into one `mkdir`ed folder.
 *
 *   CEILING='{"host":…,"port":…,"username":…,"privateKeyPath":…,"dir":…}' \
 *     node bench/ceilings/sftp-fastput.mts SOURCE
 */
import { readFileSync } from 'node:fs';
import ssh2, { type SFTPWrapper } from 'ssh2';
import { eachLimited, filesOf, FILES_IN_FLIGHT, nameOf, run } from './lib.mts';

type Settings = {
  host: string;
  port: number;
  username: string;
  privateKeyPath: string;
  dir: string;
};

const CHUNK = 261_120;
const IN_FLIGHT = 32;

function connect(s: Settings): Promise<{ client: ssh2.Client; sftp: SFTPWrapper }> {
  return new Promise((resolve, reject) => {
    const client = new ssh2.Client();
    client.once('error', reject);
    client.once('ready', () =>
      client.sftp((error, sftp) => (error ? reject(error) : resolve({ client, sftp }))),
    );
    client.connect({
      host: s.host,
      port: s.port,
      username: s.username,
      privateKey: readFileSync(s.privateKeyPath),
    });
  });
}

const callback = (resolve: () => void, reject: (error: Error) => void) => (error?: Error | null) =>
  error ? reject(error) : resolve();

run<Settings>(async (s, source) => {
  const { folder, files } = await filesOf(source);
  const { client, sftp } = await connect(s);
  if (folder)
    await new Promise<void>((ok, fail) => sftp.mkdir(`${s.dir}/small`, callback(ok, fail)));
  await eachLimited(
    files,
    folder ? FILES_IN_FLIGHT : 1,
    (file) =>
      new Promise<void>((ok, fail) =>
        sftp.fastPut(
          file.path,
          nameOf(`${s.dir}/`, folder, file),
          { concurrency: IN_FLIGHT, chunkSize: CHUNK },
          callback(ok, fail),
        ),
      ),
  );
  client.end();
});
