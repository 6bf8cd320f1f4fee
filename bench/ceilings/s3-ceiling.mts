/**
 * What the two S3 ceilings share: their settings, the SDK client as both
 * build it, and the walk over a file or a folder's files (FILES_IN_FLIGHT at a time).
 * Only how one file is uploaded differs (s3-sdk.mts, s3-sdk-md5.mts).
 */
import { S3Client } from '@aws-sdk/client-s3';
import { eachLimited, filesOf, FILES_IN_FLIGHT, nameOf, run, type SourceFile } from './lib.mts';

export type S3Settings = {
  endpoint: string;
  region: string;
  accessKeyId: string;
  secretAccessKey: string;
  bucket: string;
  prefix: string;
};

export type UploadOne = (
  client: S3Client,
  s: S3Settings,
  file: SourceFile,
  key: string,
) => Promise<void>;

/** Runs the ceiling: `upload` of every file of SOURCE, with the settings of CEILING. */
export function runS3Ceiling(upload: UploadOne): void {
  run<S3Settings>(async (s, source) => {
    const client = new S3Client({
      endpoint: s.endpoint,
      region: s.region,
      forcePathStyle: true,
      credentials: { accessKeyId: s.accessKeyId, secretAccessKey: s.secretAccessKey },
      // Streamed bodies with trailing checksums are refused by RGW (411) and Swift (501).
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    });
    const { folder, files } = await filesOf(source);
    await eachLimited(files, folder ? FILES_IN_FLIGHT : 1, (file) =>
      upload(client, s, file, nameOf(s.prefix, folder, file)),
    );
    client.destroy();
  });
}
