import { promises as fs } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { OutboxError } from '../../main/core/errors';
import { readSettingsFile, settingsPath, writeSetting } from '../../main/core/store/settings-file';
import { tempDir } from '../support/engine';

describe('settings.json', () => {
  it('writes one key and keeps the others', async () => {
    const home = await tempDir();
    await fs.writeFile(settingsPath(home), JSON.stringify({ lan_sharing: { enabled: false } }));
    await writeSetting(home, 'bandwidth_limit', { global: '1M' });
    expect(await readSettingsFile(home)).toEqual({
      lan_sharing: { enabled: false },
      bandwidth_limit: { global: '1M' },
    });
    await writeSetting(home, 'bandwidth_limit', undefined);
    expect(await readSettingsFile(home)).toEqual({ lan_sharing: { enabled: false } });
  });

  it('reads a file that is not a JSON object as no settings, and refuses to write over it', async () => {
    const home = await tempDir();
    const broken = '{"lan_sharing": {"enabled": true}, oops';
    await fs.writeFile(settingsPath(home), broken);
    expect(await readSettingsFile(home)).toEqual({});
    const error = await writeSetting(home, 'bandwidth_limit', { global: '1M' }).catch((e) => e);
    expect(error).toBeInstanceOf(OutboxError);
    expect(error.code).toBe('INVALID_DATA');
    expect(error.message).toContain('settings.json is not a JSON object');
    expect(await fs.readFile(settingsPath(home), 'utf8')).toBe(broken);
  });
});
