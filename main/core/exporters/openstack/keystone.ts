import { OutboxError, ValidationError } from '../../errors';
import type { ExportOpenStackTask } from '../../tasks/operations';
import { asOutboxError, httpError } from '../classify';
import { bodyStart, sendRequest } from './http';

/** A Keystone token and the Swift endpoint it opens. */
export type SwiftAuth = {
  token: string;
  /** `https://swift.example.com/v1/AUTH_<project>`, no trailing slash. */
  storageUrl: string;
  expiresAt: number;
};

/** Tokens this close to expiry are renewed before use rather than failing mid-upload. */
const RENEW_MARGIN_MS = 5 * 60_000;

type CatalogEndpoint = { interface?: string; region?: string; region_id?: string; url?: string };
type CatalogEntry = { type?: string; endpoints?: CatalogEndpoint[] };
type TokenBody = {
  token?: { expires_at?: string; catalog?: CatalogEntry[]; project?: { name?: string } };
};

/** `auth_url` is given without version (as CloudConvert documents it); `/v3` is added. */
export function identityUrl(authUrl: string): string {
  const base = authUrl.replace(/\/+$/, '');
  return /\/v3$/.test(base) ? base : `${base}/v3`;
}

function scopeOf(params: ExportOpenStackTask): object | undefined {
  if (params.project_id !== undefined) return { project: { id: params.project_id } };
  if (params.project_name !== undefined) {
    return {
      project: {
        name: params.project_name,
        domain: { name: params.project_domain_name ?? 'Default' },
      },
    };
  }
  // No scope: Keystone scopes the token to the user's default project.
  return undefined;
}

/** Keystone v3 password authentication, then the public object-store endpoint of `region`. */
export async function authenticate(
  params: ExportOpenStackTask,
  signal: AbortSignal,
  idleTimeoutMs: number,
): Promise<SwiftAuth> {
  const url = new URL(`${identityUrl(params.auth_url)}/auth/tokens`);
  const target = `Keystone ${url.origin}`;
  const scope = scopeOf(params);
  const body = JSON.stringify({
    auth: {
      identity: {
        methods: ['password'],
        password: {
          user: {
            name: params.username,
            domain: { name: params.user_domain_name ?? 'Default' },
            password: params.password,
          },
        },
      },
      ...(scope ? { scope } : {}),
    },
  });
  const response = await sendRequest(url, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
    body,
    signal,
    idleTimeoutMs,
  }).catch((error: unknown) => {
    throw asOutboxError(error, target);
  });
  const text = await response.text();
  if (response.status === 401) {
    throw new OutboxError(
      'AUTH_FAILED',
      `${target}: the username or password was rejected (user domain "${params.user_domain_name ?? 'Default'}"). Check them.`,
    );
  }
  if (response.status === 404) {
    throw new OutboxError(
      'NOT_FOUND',
      scope
        ? `${target}: the project to scope to was not found, or ${url.href} is not a Keystone v3 endpoint. Check project_name/project_id and auth_url.`
        : `${target}: ${url.href} is not a Keystone v3 endpoint. Check auth_url (give it without version).`,
    );
  }
  if (response.status < 200 || response.status >= 300) {
    const start = await bodyStart({ ...response, text: async () => text });
    throw httpError(response.status, target, start);
  }
  const token = response.headers['x-subject-token'];
  const parsed = JSON.parse(text) as TokenBody;
  if (typeof token !== 'string' || !parsed.token) {
    throw new OutboxError('REMOTE_ERROR', `${target}: the answer carries no token.`);
  }
  const catalog = parsed.token.catalog;
  if (!catalog) {
    throw ValidationError.of(
      'project_name',
      'the user has no default project, so the token opens no storage: give project_name or project_id',
    );
  }
  return {
    token,
    storageUrl: objectStoreUrl(catalog, params.region),
    expiresAt: Date.parse(parsed.token.expires_at ?? '') || Date.now() + 3600_000,
  };
}

function objectStoreUrl(catalog: CatalogEntry[], region: string): string {
  const endpoints = catalog
    .filter((entry) => entry.type === 'object-store')
    .flatMap((entry) => entry.endpoints ?? [])
    .filter((endpoint) => endpoint.interface === 'public' && endpoint.url);
  if (endpoints.length === 0) {
    throw new OutboxError(
      'NOT_FOUND',
      'The OpenStack catalog has no public object-store (Swift) endpoint for this project.',
    );
  }
  const match = endpoints.find((e) => e.region_id === region || e.region === region);
  if (!match?.url) {
    const available = [...new Set(endpoints.map((e) => e.region_id ?? e.region ?? '?'))];
    throw ValidationError.of(
      'region',
      `"${region}" has no object-store endpoint; regions available: ${available.join(', ')}`,
    );
  }
  return match.url.replace(/\/+$/, '');
}

/**
 * The token of one destination, shared by the uploads of a worker: renewed
 * shortly before it expires, or once when Swift answers 401 to it.
 */
export class KeystoneSession {
  private current: Promise<SwiftAuth> | undefined;

  constructor(
    private readonly params: ExportOpenStackTask,
    private readonly idleTimeoutMs: number,
  ) {}

  auth(signal: AbortSignal): Promise<SwiftAuth> {
    if (this.current) {
      const pending = this.current;
      return pending.then((auth) =>
        auth.expiresAt - Date.now() > RENEW_MARGIN_MS ? auth : this.renew(auth, signal),
      );
    }
    return this.start(signal);
  }

  /** A new token unless another request already replaced `stale`. */
  async renew(stale: SwiftAuth, signal: AbortSignal): Promise<SwiftAuth> {
    const latest = await this.current?.catch(() => undefined);
    if (latest && latest.token !== stale.token) return latest;
    return this.start(signal);
  }

  private start(signal: AbortSignal): Promise<SwiftAuth> {
    const started = authenticate(this.params, signal, this.idleTimeoutMs);
    this.current = started;
    started.catch(() => {
      if (this.current === started) this.current = undefined;
    });
    return started;
  }
}
