import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import { OutboxError } from '../../errors';
import type { ExportOpenStackTask } from '../../tasks/operations';
import { asOutboxError, httpError } from '../classify';
import type { TransferContext } from '../exporter';
import { bodyStart, sendRequest, type BodyWriter, type HttpResponse } from './http';
import { KeystoneSession, type SwiftAuth } from './keystone';

/** `a/b c.txt` → `a/b%20c.txt`: Swift object names keep their slashes. */
export function encodeObjectPath(name: string): string {
  return name.split('/').map(encodeURIComponent).join('/');
}

export type SwiftRequest = {
  method: string;
  /** Container, optionally followed by `/object` (unencoded); '' for the account. */
  path: string;
  query?: string;
  headers?: Record<string, string | number>;
  /** Called for each try: a 401 retry needs a fresh body. */
  body?: () => Readable | BodyWriter | string;
  signal: AbortSignal;
};

/**
 * Requests to one Swift account with a Keystone token, reused across files and
 * renewed once on 401 (a token that expired or was revoked mid-job).
 */
export class SwiftAccount {
  private readonly keystone: KeystoneSession;

  constructor(
    readonly params: ExportOpenStackTask,
    private readonly idleTimeoutMs: number,
  ) {
    this.keystone = new KeystoneSession(params, idleTimeoutMs);
  }

  static of(
    params: ExportOpenStackTask,
    { sessions, policy }: Pick<TransferContext, 'sessions' | 'policy'>,
  ): Promise<SwiftAccount> {
    const secret = createHash('sha256').update(params.password).digest('hex').slice(0, 16);
    const key = [
      'openstack',
      params.auth_url,
      params.user_domain_name ?? 'Default',
      params.username,
      secret,
      params.project_id ??
        `${params.project_domain_name ?? 'Default'}/${params.project_name ?? ''}`,
      params.region,
    ].join('|');
    return sessions.get(key, async () => new SwiftAccount(params, policy.idleTimeoutMs));
  }

  /** `path` '' is the account itself. */
  urlOf(auth: SwiftAuth, path: string, query?: string): URL {
    const at = path ? `/${encodeObjectPath(path)}` : '';
    return new URL(`${auth.storageUrl}${at}${query ? `?${query}` : ''}`);
  }

  /** Sends the request; on 401 renews the token once and sends it again. */
  async request(request: SwiftRequest): Promise<{ response: HttpResponse; url: URL }> {
    let auth = await this.keystone.auth(request.signal);
    for (let attempt = 1; ; attempt++) {
      const url = this.urlOf(auth, request.path, request.query);
      const response = await sendRequest(url, {
        method: request.method,
        headers: { ...request.headers, 'X-Auth-Token': auth.token },
        ...(request.body ? { body: request.body() } : {}),
        signal: request.signal,
        idleTimeoutMs: this.idleTimeoutMs,
      }).catch((error: unknown) => {
        throw asOutboxError(error, `Swift ${request.method} ${url.origin}${url.pathname}`);
      });
      if (response.status !== 401 || attempt > 1) return { response, url };
      await response.text().catch(() => '');
      auth = await this.keystone.renew(auth, request.signal);
    }
  }

  /** Like `request`, but a non-2xx answer is an OutboxError saying what to do. */
  async expectOk(request: SwiftRequest, what: string): Promise<HttpResponse> {
    const { response } = await this.request(request);
    if (response.status >= 200 && response.status < 300) return response;
    throw await swiftError(response, what, containerOf(request.path));
  }
}

export function containerOf(path: string): string {
  return path.split('/')[0] ?? path;
}

/** Swift answers as errors a user can act on. */
export async function swiftError(
  response: HttpResponse,
  what: string,
  container: string,
): Promise<OutboxError> {
  const start = await bodyStart(response);
  const detail = start ? { detail: start } : {};
  switch (response.status) {
    case 401:
      return new OutboxError(
        'AUTH_FAILED',
        `${what}: Swift rejected the Keystone token even after renewing it. Check that the user has a role on the project.`,
        detail,
      );
    case 403:
      return new OutboxError(
        'ACCESS_DENIED',
        `${what}: access denied (403). The user may not write to container "${container}"; check its role or the container ACL.`,
        detail,
      );
    case 404:
      return new OutboxError(
        'NOT_FOUND',
        `${what}: container "${container}" does not exist. Create it or check the name.`,
        detail,
      );
    case 413:
      return new OutboxError(
        'REMOTE_ERROR',
        `${what}: Swift refused the size (413). Lower segment_size (Swift's limit is usually 5 GiB per object) or check the account quota.`,
        detail,
      );
    case 422:
      return new OutboxError(
        'INTEGRITY_ERROR',
        `${what}: Swift received bytes whose MD5 does not match what was sent (422). The upload was corrupted in transit.`,
        { ...detail, retryable: true },
      );
    default: {
      const error = httpError(response.status, what, start);
      return new OutboxError(
        error.code,
        `${error.message}${start ? ` Server said: ${start}` : ''}`,
        { retryable: error.retryable, ...detail },
      );
    }
  }
}
