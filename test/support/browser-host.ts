import type { OutboxConfig } from '../../main/core/config';
import { Engine } from '../../main/core/engine/engine';
import { ProfileService } from '../../main/core/profiles/profile-service';
import { startBrowserHost } from '../../main/browser/browser-host';
import { hostContext } from '../../main/core/api/host-context';
import { MemorySecrets } from './memory-secrets';

/** What `startBrowserHost` returns: its server, the UI's sign-in URL, upload staging. */
export type RunningHost = Awaited<ReturnType<typeof startBrowserHost>>;

/**
 * The browser host as `outbox serve` runs it, on a test data directory: an
 * engine, profiles whose secrets stay in memory (the keychain has its own
 * suite), and the renderer files of `rendererDir`.
 */
export async function startTestHost(
  config: OutboxConfig,
  rendererDir: string,
): Promise<{ engine: Engine; profiles: ProfileService; host: RunningHost }> {
  const profiles = new ProfileService(config.home, new MemorySecrets());
  const engine = await Engine.open(config, { resolveProfile: profiles.resolver });
  const host = await startBrowserHost({
    context: hostContext(engine, profiles),
    version: 'test',
    rendererDir,
  });
  return { engine, profiles, host };
}
