import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';

/** What a running Outbox server announces in its data directory (`server.json`). */
export const serverInfoSchema = z.object({
  pid: z.number(),
  url: z.string(),
  started_at: z.string(),
  /** Base URLs of the LAN listeners (LAN sharing on), e.g. `http://192.168.1.20:9797`. */
  lan_urls: z.array(z.string()).optional(),
  /** LAN addresses from the settings that could not be listened on, with why. */
  lan_errors: z.array(z.string()).optional(),
});
export type ServerInfo = z.output<typeof serverInfoSchema>;

export function serverInfoPath(home: string): string {
  return join(home, 'server.json');
}

/** The server another process announced on this data directory, if it still runs. */
export async function findRunningServer(home: string): Promise<ServerInfo | undefined> {
  try {
    const info = serverInfoSchema.parse(
      JSON.parse(await fs.readFile(serverInfoPath(home), 'utf8')),
    );
    process.kill(info.pid, 0);
    return info;
  } catch {
    return undefined;
  }
}
