/**
 * What the two GCS ceilings share: their settings, the SDK's bucket as both
 * build it, and the walk over a file or a folder's files (FILES_IN_FLIGHT at
 * a time). Only how one file is uploaded differs (gcs-sdk.mts, gcs-sdk-md5.mts).
 */
import { Storage, type Bucket } from '@google-cloud/storage';
import { eachLimited, filesOf, FILES_IN_FLIGHT, nameOf, run, type SourceFile } from './lib.mts';

export type GcsSettings = { endpoint: string; projectId: string; bucket: string; prefix: string };

export type UploadOne = (bucket: Bucket, file: SourceFile, name: string) => Promise<void>;

/** Runs the ceiling: `upload` of every file of SOURCE, with the settings of CEILING. */
export function runGcsCeiling(upload: UploadOne): void {
  run<GcsSettings>(async (s, source) => {
    // The emulator checks no credentials; the SDK sends none to a custom endpoint.
    const bucket = new Storage({
      projectId: s.projectId,
      apiEndpoint: s.endpoint,
      retryOptions: { autoRetry: false },
    }).bucket(s.bucket);
    const { folder, files } = await filesOf(source);
    await eachLimited(files, folder ? FILES_IN_FLIGHT : 1, (file) =>
      upload(bucket, file, nameOf(s.prefix, folder, file)),
    );
  });
}
