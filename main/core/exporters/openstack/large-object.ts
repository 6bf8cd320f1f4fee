import { createHash, randomBytes } from 'node:crypto';
import type { ExportOpenStackTask } from '../../tasks/operations';
import type { TransferContext } from '../exporter';
import type { ResumeStateOf } from '../resume-states';
import { verify, type Checksum } from '../integrity';
import { planParts, sendParts, type PartLimits, type PartPlan, type StoredPart } from '../parts';
import { pausedBy } from '../pause';
import { putObject } from './put-object';
import { encodeObjectPath, swiftError, type SwiftAccount } from './swift-client';

const GiB = 1024 * 1024 * 1024;
export const DEFAULT_SEGMENT_SIZE = GiB;
/** Swift's default object size limit and `max_manifest_segments`. */
const SWIFT_LIMITS: PartLimits = { service: 'Swift', maxParts: 1000, maxPartSize: 5 * GiB };
const CLEANUP_CONCURRENCY = 4;
const CLEANUP_TIMEOUT_MS = 30_000;

/** Segment size (grown so the file fits in 1,000 segments) and parallel segments. */
export function planSegments(
  size: number,
  params: Pick<ExportOpenStackTask, 'segment_size' | 'concurrency'>,
): PartPlan {
  return planParts(
    size,
    { partSize: params.segment_size ?? DEFAULT_SEGMENT_SIZE, concurrency: params.concurrency },
    SWIFT_LIMITS,
  );
}

type Segment = { path: string; etag: string; size_bytes: number };

/** Segments of the SLO currently stored under `name`, to delete once it is replaced. */
async function currentSegments(
  account: SwiftAccount,
  path: string,
  signal: AbortSignal,
): Promise<string[]> {
  const { response } = await account.request({ method: 'HEAD', path, signal });
  await response.text();
  if (response.headers['x-static-large-object'] !== 'True') return [];
  const { response: manifest } = await account.request({
    method: 'GET',
    path,
    query: 'multipart-manifest=get&format=raw',
    signal,
  });
  const text = await manifest.text();
  if (manifest.status !== 200) return [];
  return (JSON.parse(text) as { path?: string }[]).flatMap((s) =>
    s.path ? [s.path.replace(/^\//, '')] : [],
  );
}

/**
 * Deletes objects (segments); missing ones are fine; never throws. One
 * bulk-delete request where Swift offers it (most clusters do), otherwise one
 * DELETE per object, a few at a time, each with its own time limit.
 */
async function deleteAll(account: SwiftAccount, paths: string[]): Promise<void> {
  if (paths.length === 0) return;
  const bulk = await account
    .request({
      method: 'POST',
      path: '',
      query: 'bulk-delete',
      headers: { 'Content-Type': 'text/plain', Accept: 'application/json' },
      body: () => paths.map((path) => `/${encodeObjectPath(path)}`).join('\n'),
      signal: AbortSignal.timeout(CLEANUP_TIMEOUT_MS),
    })
    .then(async ({ response }) => {
      const text = await response.text();
      if (response.status !== 200) return false;
      const answer = JSON.parse(text) as { 'Response Status'?: string };
      return answer['Response Status']?.startsWith('200') === true;
    })
    .catch(() => false);
  if (bulk) return;
  const queue = [...paths];
  const worker = async () => {
    for (let path = queue.shift(); path !== undefined; path = queue.shift()) {
      const { response } = await account
        .request({ method: 'DELETE', path, signal: AbortSignal.timeout(CLEANUP_TIMEOUT_MS) })
        .catch(() => ({ response: undefined }));
      await response?.text().catch(() => '');
    }
  };
  await Promise.all(Array.from({ length: CLEANUP_CONCURRENCY }, worker));
}

type Listed = { path: string; hash: string; bytes: number };

/** Objects under `prefix` in `container` (one listing page is plenty for one upload). */
async function listed(account: SwiftAccount, container: string, prefix: string): Promise<Listed[]> {
  const { response } = await account
    .request({
      method: 'GET',
      path: container,
      query: `format=json&prefix=${encodeURIComponent(prefix)}`,
      signal: AbortSignal.timeout(CLEANUP_TIMEOUT_MS),
    })
    .catch(() => ({ response: undefined }));
  const text = (await response?.text().catch(() => '')) ?? '';
  if (response?.status !== 200) return [];
  return (JSON.parse(text) as { name: string; hash: string; bytes: number }[]).map((o) => ({
    path: `${container}/${o.name}`,
    hash: o.hash,
    bytes: o.bytes,
  }));
}

const paths = (objects: Listed[]) => objects.map((o) => o.path);

/** A transfer that saves its segment prefix and segment size to be continued after a crash. */
type SegmentsContext = TransferContext<ResumeStateOf<'export/openstack'>>;

/**
 * The segments an interrupted upload of the same file stored, by path; the
 * segments of a changed file (or another segment size) are deleted instead.
 */
async function storedSegments(
  account: SwiftAccount,
  segmentContainer: string,
  context: SegmentsContext,
  partSize: number,
): Promise<{ prefix: string; segments: Map<string, Listed> } | undefined> {
  const previous = context.resume.previous;
  if (!previous) return undefined;
  const found = await listed(account, segmentContainer, `${previous.state.prefix}/`);
  if (!previous.sameSource || previous.state.partSize !== partSize) {
    await deleteAll(account, paths(found));
    return undefined;
  }
  return { prefix: previous.state.prefix, segments: new Map(found.map((o) => [o.path, o])) };
}

/**
 * A Static Large Object: segments uploaded in parallel (each with its ETag
 * and its own retries) to `<container>_segments`, then the manifest, whose
 * ETag Swift checks against the segments'. A failure or cancel (not a pause) deletes the
 * segments already stored; replacing an SLO deletes the old one's segments.
 */
export async function uploadLargeObject(
  account: SwiftAccount,
  context: SegmentsContext,
  file: { container: string; name: string; size: number; plan: PartPlan; contentType: string },
): Promise<{ location: string; checksum: Checksum; segments: number; reusedBytes: number }> {
  const { container } = file;
  const segmentContainer = `${container}_segments`;
  const { signal } = context;
  const path = `${container}/${file.name}`;

  // The target container must exist: never create it (a typo would go unnoticed).
  const head = await account.expectOk(
    { method: 'HEAD', path: container, signal },
    `Swift container ${container}`,
  );
  await head.text();
  const created = await account.expectOk(
    { method: 'PUT', path: segmentContainer, signal },
    `Swift PUT container ${segmentContainer}`,
  );
  await created.text();
  const previous = await currentSegments(account, path, signal);

  const resumed = await storedSegments(account, segmentContainer, context, file.plan.partSize);
  // Like the swift CLI: <name>/slo/<upload>/<size>/<segment size>/<index>.
  const upload = `${Date.now()}-${randomBytes(4).toString('hex')}`;
  const prefix = resumed?.prefix ?? `${file.name}/slo/${upload}/${file.size}/${file.plan.partSize}`;
  const segmentName = (index: number) => `${prefix}/${String(index).padStart(8, '0')}`;
  const stored: StoredPart<Segment> = (index, part) => {
    const segment = resumed?.segments.get(`${segmentContainer}/${segmentName(index)}`);
    if (segment?.bytes !== part.length || segment.hash !== part.md5.toString('hex')) return;
    return { path: `/${segment.path}`, etag: segment.hash, size_bytes: segment.bytes };
  };
  // Every segment begun: an aborted PUT may still have been stored by the server.
  const started: string[] = resumed ? [...resumed.segments.keys()] : [];

  try {
    if (!resumed) await context.resume.save({ prefix, partSize: file.plan.partSize });
    const { results: manifest, reusedBytes } = await sendParts<Segment>(
      file.plan,
      file.size,
      context,
      async (index, part, progress, partSignal) => {
        const name = segmentName(index);
        started.push(`${segmentContainer}/${name}`);
        const stored = await putObject(account, progress, partSignal, {
          path: `${segmentContainer}/${name}`,
          part,
        });
        return { path: `/${segmentContainer}/${name}`, etag: stored.md5, size_bytes: part.length };
      },
      { stored },
    );
    // Swift's SLO ETag: the MD5 of the segments' MD5 hex strings, checked on PUT.
    const sloEtag = createHash('md5')
      .update(manifest.map((s) => s.etag).join(''))
      .digest('hex');
    const body = JSON.stringify(manifest);
    const { response, url } = await account.request({
      method: 'PUT',
      path,
      query: 'multipart-manifest=put',
      headers: { 'Content-Type': file.contentType, ETag: sloEtag },
      body: () => body,
      signal,
    });
    if (response.status < 200 || response.status >= 300) {
      throw await swiftError(response, `Swift PUT manifest ${path}`, container);
    }
    await response.text();
    const checksum: Checksum = { algorithm: 'md5-multipart', value: sloEtag };
    verify(
      `Swift PUT manifest ${path}`,
      { size: file.size, checksum },
      {
        checksum: String(response.headers.etag ?? ''),
      },
    );
    await deleteAll(account, previous);
    return {
      location: `${url.origin}${url.pathname}`,
      checksum,
      segments: manifest.length,
      reusedBytes,
    };
  } catch (error) {
    if (pausedBy(signal)) throw error; // its segments stay for Resume
    await deleteAll(account, started);
    // Whatever the listing still shows under this upload's prefix (stored just as we deleted).
    await deleteAll(account, paths(await listed(account, segmentContainer, `${prefix}/`)));
    throw error;
  }
}
