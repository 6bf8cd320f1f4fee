import { createHash } from 'node:crypto';
import { contentTypeOf } from '../../http/http-headers';
import type { Exporter } from '../exporter';
import { verify } from '../integrity';
import { uploadLargeObject, planSegments } from './large-object';
import { BUFFERED_PART_LIMIT, sendWholeFile, retractableProgress } from '../parts';
import { putObject, putObjectStreamed } from './put-object';
import { storedName, withShareLink } from '../share-link';
import { storedFile } from '../stored-file';
import { tempUrlOf } from './temp-url';
import { SwiftAccount } from './swift-client';

/**
 * export/openstack: objects in a Swift container, authenticated with Keystone
 * v3. Files up to `segment_size` go in one PUT; larger ones as a Static Large
 * Object whose segments go in parallel to `<container>_segments` (where the
 * `swift` CLI and rclone put them too). A PUT of bytes held in memory carries
 * their MD5 as ETag, so Swift itself refuses corrupted bytes; a single object
 * too large to hold is hashed as it is sent (one pass) and checked by the MD5
 * Swift answers. Every answer is checked.
 */
export const openstackExporter: Exporter<'export/openstack'> = {
  operation: 'export/openstack',

  async upload({ params, source, name }, context) {
    const account = await SwiftAccount.of(params, context);
    const contentType = contentTypeOf(name);
    const plan = planSegments(source.size, params);
    const path = `${params.container}/${name}`;
    const progress = retractableProgress(context.progress);
    const stored =
      plan.partCount === 1
        ? {
            ...(source.size <= BUFFERED_PART_LIMIT
              ? // read into memory for its MD5 (the ETag header), then sent from there
                await sendWholeFile(context, source.size, (part) =>
                  putObject(account, progress, context.signal, { path, part, contentType }),
                )
              : await putObjectStreamed(account, progress, context.signal, {
                  path,
                  length: source.size,
                  read: (into) => context.read(undefined, into),
                  contentType,
                })),
            segments: undefined,
            reusedBytes: 0,
          }
        : await uploadLargeObject(account, context, {
            container: params.container,
            name,
            size: source.size,
            plan,
            contentType,
          });
    const result = storedFile({
      name,
      size: source.size,
      location: stored.location,
      place: { container: params.container, file: name },
      checksum: stored.checksum,
      // Swift's ETag (of the object, or of an SLO's segments) was compared with the MD5s read.
      verifiedBy: 'md5',
      resumedBytes: stored.reusedBytes,
      details: stored.segments !== undefined ? { segments: stored.segments } : {},
    });
    return withShareLink(result, params.share_link, (expiry) =>
      tempUrlOf(account, { container: params.container, name }, expiry, context.signal),
    );
  },

  async shareLink(params, file, expiry, context) {
    const { signal } = context;
    const account = await SwiftAccount.of(params, context);
    const object = { container: storedName(file, 'container'), name: storedName(file, 'file') };
    return tempUrlOf(account, object, expiry, signal);
  },

  async probe(params, context, probe) {
    const { signal } = context;
    const account = await SwiftAccount.of(params, context);
    await account.expectOk(
      { method: 'HEAD', path: params.container, signal },
      `Swift container ${params.container}`,
    );
    // A tiny object written and deleted: proves write access, leaves nothing.
    const content = 'outbox probe';
    const path = `${params.container}/${probe}`;
    const written = await account.expectOk(
      {
        method: 'PUT',
        path,
        headers: { 'Content-Type': 'text/plain' },
        body: () => content,
        signal,
      },
      `Swift PUT ${params.container}/${probe}`,
    );
    await written.text();
    verify(
      `Swift PUT ${params.container}/${probe}`,
      {
        size: content.length,
        checksum: { algorithm: 'md5', value: createHash('md5').update(content).digest('hex') },
      },
      { checksum: String(written.headers.etag ?? '') },
    );
    const removed = await account.expectOk(
      { method: 'DELETE', path, signal },
      `Swift DELETE ${params.container}/${probe}`,
    );
    await removed.text();
    return {
      ok: true,
      message: `Authenticated as ${params.username}; container ${params.container} is writable (${params.region}).`,
    };
  },
};
