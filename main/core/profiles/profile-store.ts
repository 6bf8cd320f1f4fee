import { join } from 'node:path';
import { z } from 'zod';
import { exportOperations, type ExportOperation } from '../tasks/operations';
import { RecordDir } from '../store/record-dir';

/**
 * The plain half of saved profiles: `<home>/profiles/<id>.json`, one file per
 * profile, written atomically. The id is random and never changes, so the
 * user's name can be any text and a rename touches neither the file name nor
 * the keychain items (which are keyed by id).
 */
export const profileRecordSchema = z.strictObject({
  id: z.string(),
  name: z.string(),
  operation: z.enum(exportOperations as [ExportOperation, ...ExportOperation[]]),
  /** Parameters without secrets. */
  params: z.record(z.string(), z.unknown()),
  /** Keys of the secrets held in the keychain (`password`, `headers.Authorization`). */
  secrets: z.array(z.string()),
  created_at: z.string(),
  updated_at: z.string(),
});

export type ProfileRecord = z.infer<typeof profileRecordSchema>;

export class ProfileStore {
  private readonly records: RecordDir<ProfileRecord>;

  constructor(home: string) {
    this.records = new RecordDir(join(home, 'profiles'), profileRecordSchema);
  }

  async list(): Promise<ProfileRecord[]> {
    const records = await this.records.list();
    return records.sort((a, b) => a.name.localeCompare(b.name));
  }

  async findByName(name: string): Promise<ProfileRecord | undefined> {
    return (await this.records.list()).find((record) => record.name === name);
  }

  async put(record: ProfileRecord): Promise<void> {
    await this.records.put(record.id, record);
  }

  async remove(id: string): Promise<void> {
    await this.records.remove(id);
  }
}
