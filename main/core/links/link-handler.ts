import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  downloadPage,
  messagePage,
  pageContentSecurityPolicy,
  passwordPage,
} from './download-page';
import { cookieOf } from '../http/http-headers';
import { sendBody } from '../http/send-body';
import type { DownloadLedger } from './download-ledger';
import { securityHeaders, sendText, serveFile, serveZip, usedUpMessage } from './link-body';
import type { LinkCache, ServedLink } from './link-cache';
import {
  passwordMatches,
  UNLOCK_SECONDS,
  unlockCookieName,
  unlockCookieValid,
  unlockCookieValue,
  type PasswordAttempts,
} from './link-password';
import type { LinkRecord } from './link-record';

export { sendText } from './link-body';

const LINK_PATH = /^\/d\/([A-Za-z0-9_-]{1,64})\/([A-Za-z0-9_-]{1,128})(?:\/([^/]*))?$/;

/** The parameters of a request without a query (never added to). */
const NO_QUERY = new URLSearchParams();

export function isLinkPath(pathname: string): boolean {
  return pathname.startsWith('/d/');
}

/** What a listener's link requests share: the links known, their byte counts, password tries. */
export type LinkRequestContext = {
  links: LinkCache;
  ledger: DownloadLedger;
  attempts: PasswordAttempts;
  /** The LAN listener: only links shared on the network exist there. */
  lanOnly: boolean;
};

function sendHtml(res: ServerResponse, status: number, html: string, head = false): void {
  securityHeaders(res);
  // The pages hold no script at all; no sandbox, so the password form can post.
  res.setHeader('Content-Security-Policy', pageContentSecurityPolicy);
  res.setHeader('X-Frame-Options', 'DENY');
  sendBody(res, status, 'text/html; charset=utf-8', html, head);
}

async function formPassword(req: IncomingMessage): Promise<string | undefined> {
  let body = '';
  for await (const chunk of req) {
    body += String(chunk);
    if (body.length > 4096) return undefined;
  }
  return new URLSearchParams(body).get('password') ?? undefined;
}

/** Why a link serves nothing now (revoked, expired, used up), or undefined. */
async function unavailable(
  served: ServedLink,
  ledger: DownloadLedger,
  now: number,
): Promise<string | undefined> {
  const { link } = served;
  if (link.revoked_at) return 'This link was revoked by its owner.';
  if (served.expiresMs <= now) return `This link expired at ${link.expires_at}.`;
  if (link.max_downloads === undefined) return undefined;
  const downloads = await ledger.downloads(link.id, served.downloadSize);
  return downloads >= link.max_downloads ? usedUpMessage(link) : undefined;
}

function changedMessage(name: string): string {
  return (
    `"${name}" was changed or deleted after this link was created, so the link no longer serves it. ` +
    'Export the file again for a new link.'
  );
}

/**
 * Serves a link: `GET|HEAD /d/<id>/<token>/<name>` (the file, or a ZIP of
 * several built on the fly; `?file=N` one file of several), the download page
 * (`/d/<id>/<token>/` or `?page`), and `POST …/?page` with a link password.
 * A link with a password tells nothing (name, state) before the password.
 */
export async function handleLinkRequest(
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
  context: LinkRequestContext,
): Promise<void> {
  const { links, ledger } = context;
  const match = LINK_PATH.exec(url.pathname);
  // Most requests have no query: its parameters are not parsed then.
  const query = url.search === '' ? NO_QUERY : url.searchParams;
  const isPage = match?.[3] === '' || query.has('page');
  const head = req.method === 'HEAD';
  if (req.method !== 'GET' && !head && !(isPage && req.method === 'POST')) {
    res.setHeader('Allow', isPage ? 'GET, HEAD, POST' : 'GET, HEAD');
    return sendText(res, 405, 'Only GET and HEAD are allowed on download links.');
  }
  const found = match ? await links.authorize(match[1] ?? '', match[2] ?? '') : undefined;
  const served = found && (!context.lanOnly || found.link.lan) ? found : undefined;
  if (!served) return sendText(res, 404, 'No such link. Check that you copied the whole URL.');
  const { link } = served;

  if (link.password_hash !== undefined) {
    if (req.method === 'POST') return unlock(req, res, link, link.password_hash, context);
    const cookie = cookieOf(req, unlockCookieName(link.id));
    if (!unlockCookieValid(link.id, link.password_hash, cookie)) {
      return sendHtml(res, 401, passwordPage(), head);
    }
  } else if (req.method === 'POST') {
    res.setHeader('Allow', 'GET, HEAD');
    return sendText(res, 405, 'This link has no password.');
  }

  const refuse = (status: number, text: string) =>
    isPage ? sendHtml(res, status, messagePage(text), head) : sendText(res, status, text);
  const why = await unavailable(served, ledger, Date.now());
  if (why) return refuse(410, why);
  if (link.kind === 'zip') {
    const unchanged = await served.zipFilesUnchanged();
    if (unchanged !== true) return refuse(410, changedMessage(unchanged));
  }

  const several = link.kind === 'zip';
  if (isPage) {
    // A ZIP link's files were checked above; a file link's file is checked here.
    const open = several ? undefined : await links.files.acquire(link.files[0]!);
    if (!several && !open) return refuse(410, changedMessage(link.files[0]!.name));
    open?.release();
    const downloads = await ledger.downloads(link.id, served.downloadSize);
    return sendHtml(res, 200, downloadPage(link, downloads), head);
  }
  const fileParam = query.get('file');
  if (several && fileParam === null) return serveZip(req, res, served, ledger);
  const index = !several ? 0 : /^\d{1,6}$/.test(fileParam ?? '') ? Number(fileParam) : -1;
  const file = link.files[index];
  if (!file) return sendText(res, 404, 'This link has no such file.');
  const open = await links.files.acquire(file);
  if (!open) return refuse(410, changedMessage(file.name));
  const filename = several ? (file.name.split('/').pop() ?? file.name) : link.filename;
  const dataBefore = several ? (served.zip.layout.items[index]?.dataBefore ?? 0) : 0;
  return serveFile(req, res, served, ledger, { snapshot: file, open, filename, index, dataBefore });
}

/** Checks a posted password: a cookie for this link and back to the page, or 401/429. */
async function unlock(
  req: IncomingMessage,
  res: ServerResponse,
  link: LinkRecord,
  passwordHash: string,
  context: LinkRequestContext,
): Promise<void> {
  // The try counts before the (slow) check: parallel tries cannot all slip under the limit.
  const attempt = context.attempts.begin(link.id, req.socket.remoteAddress ?? '');
  if (!attempt.allowed) {
    res.setHeader('Retry-After', String(attempt.retryAfter));
    return sendHtml(
      res,
      429,
      passwordPage(`Too many wrong passwords. Try again in ${attempt.retryAfter} s.`),
    );
  }
  const password = await formPassword(req);
  if (password === undefined || !(await passwordMatches(passwordHash, password))) {
    return sendHtml(res, 401, passwordPage('Wrong password.'));
  }
  attempt.succeeded();
  res.setHeader(
    'Set-Cookie',
    `${unlockCookieName(link.id)}=${unlockCookieValue(link.id, passwordHash)}; Path=/d/${link.id}/; ` +
      `Max-Age=${UNLOCK_SECONDS}; HttpOnly; SameSite=Lax`,
  );
  securityHeaders(res);
  res.writeHead(303, { Location: `/d/${link.id}/${link.token}/`, 'Cache-Control': 'no-store' });
  res.end();
}
