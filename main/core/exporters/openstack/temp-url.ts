import { createHmac, randomBytes } from 'node:crypto';
import { OutboxError } from '../../errors';
import type { ShareLinkExpiry } from '../exporter';
import { asOutboxError } from '../classify';
import { swiftError, type SwiftAccount } from './swift-client';

/**
 * Swift TempURLs (the `tempurl` middleware): a GET signed with HMAC-SHA256 of
 * `GET\n<expires>\n<path>` under a key stored in the account's metadata.
 * Outbox sets a random key when the account has none; an account owner's
 * role is needed for that (and to read the key back).
 */

const KEY_HEADERS = ['x-account-meta-temp-url-key', 'x-account-meta-temp-url-key-2'];
const VERIFY_TIMEOUT_MS = 15_000;

type AccountKey = { key: string; accountUrl: URL };

/** The account's first temp-URL key and its URL; '' when it has none. */
async function readKey(account: SwiftAccount, signal: AbortSignal): Promise<AccountKey> {
  const { response, url } = await account.request({ method: 'HEAD', path: '', signal });
  if (response.status < 200 || response.status >= 300) {
    throw await swiftError(response, 'Swift account HEAD (for the TempURL key)', '');
  }
  await response.text();
  const key = KEY_HEADERS.map((name) => response.headers[name]).find(
    (value): value is string => typeof value === 'string' && value !== '',
  );
  return { key: key ?? '', accountUrl: url };
}

/**
 * The key TempURLs are signed with: the account's, or a new random one, read
 * back after writing. When two uploads set a key at once the last write wins;
 * the other's link fails its check in `tempUrlOf` and is signed again. (A key
 * overwritten after that check, by another writer, still breaks the link.)
 */
async function accountKey(account: SwiftAccount, signal: AbortSignal): Promise<AccountKey> {
  const found = await readKey(account, signal);
  if (found.key) return found;
  const { response } = await account.request({
    method: 'POST',
    path: '',
    headers: { 'X-Account-Meta-Temp-URL-Key': randomBytes(32).toString('hex') },
    signal,
  });
  if (response.status < 200 || response.status >= 300) {
    const error = await swiftError(response, 'Swift account POST (setting the TempURL key)', '');
    throw new OutboxError(
      error.code,
      `share_link: the account has no TempURL key and setting one failed: ${error.message} Ask the account owner to set X-Account-Meta-Temp-URL-Key, or export without share_link.`,
      error.options.detail === undefined ? {} : { detail: error.options.detail },
    );
  }
  await response.text();
  const stored = await readKey(account, signal);
  if (!stored.key) {
    throw new OutboxError(
      'ACCESS_DENIED',
      'share_link: Swift accepted the TempURL key but does not show it back; the user needs an owner role on the account (operator_roles) to create TempURLs.',
    );
  }
  return stored;
}

/** Swift signs the decoded path (`/v1/AUTH_x/container/object`); the URL carries it encoded. */
export function signTempUrl(
  accountUrl: URL,
  container: string,
  name: string,
  key: string,
  expires: number,
): string {
  const objectUrl = new URL(
    `${accountUrl.href.replace(/\/+$/, '')}/${[container, ...name.split('/')].map(encodeURIComponent).join('/')}`,
  );
  const path = decodeURIComponent(objectUrl.pathname);
  const signature = createHmac('sha256', key).update(`GET\n${expires}\n${path}`).digest('hex');
  objectUrl.search = `temp_url_sig=${signature}&temp_url_expires=${expires}`;
  return objectUrl.href;
}

/** A TempURL answers HEAD as well as GET: the status says whether Swift accepts it. */
async function accepted(url: string, signal: AbortSignal): Promise<number> {
  const response = await fetch(url, {
    method: 'HEAD',
    signal: AbortSignal.any([signal, AbortSignal.timeout(VERIFY_TIMEOUT_MS)]),
  }).catch((error: unknown) => {
    throw asOutboxError(error, `Swift TempURL HEAD ${new URL(url).pathname}`);
  });
  return response.status;
}

/**
 * A TempURL for an uploaded object, checked with one unauthenticated HEAD:
 * a key changed by someone else since it was read is read again once.
 */
export async function tempUrlOf(
  account: SwiftAccount,
  object: { container: string; name: string },
  expiry: ShareLinkExpiry,
  signal: AbortSignal,
): Promise<string> {
  const expires = Math.floor(expiry.expiresAt.getTime() / 1000);
  let status = 0;
  for (let attempt = 1; attempt <= 2; attempt++) {
    const { key, accountUrl } = await accountKey(account, signal);
    const url = signTempUrl(accountUrl, object.container, object.name, key, expires);
    status = await accepted(url, signal);
    if (status >= 200 && status < 300) return url;
    if (status !== 401) break;
  }
  if (status === 404) {
    throw new OutboxError(
      'NOT_FOUND',
      `${object.container}/${object.name} is not in Swift (deleted or moved since it was exported?): export it again.`,
    );
  }
  throw new OutboxError(
    'REMOTE_ERROR',
    `share_link: Swift refuses the TempURL for ${object.container}/${object.name} (HTTP ${status}). The proxy may lack the tempurl middleware or not allow sha256 signatures.`,
  );
}
