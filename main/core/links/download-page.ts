import { formatBytes } from '../format';
import type { LinkRecord } from './link-record';

/**
 * The page people who receive a link see (`/d/<id>/<token>/`): the link's own
 * files only, sizes, time left, one button per file and one for the ZIP; and
 * the password form of a protected link. Plain HTML with inline CSS: no
 * script at all, nothing loaded from elsewhere, readable on a phone.
 */

/** CSP of these pages: nothing but inline style; forms post back to this origin only. */
export const pageContentSecurityPolicy =
  "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

function escapeHtml(text: string): string {
  return text.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c,
  );
}

export function formatTimeLeft(expiresAt: string, now = Date.now()): string {
  const minutes = Math.max(0, Math.floor((Date.parse(expiresAt) - now) / 60_000));
  if (minutes < 1) return 'less than a minute';
  const days = Math.floor(minutes / 1440);
  const hours = Math.floor((minutes % 1440) / 60);
  const mins = minutes % 60;
  if (days > 0) return `${days} d ${hours} h`;
  return hours > 0 ? `${hours} h ${mins} min` : `${mins} min`;
}

const style = `
*{box-sizing:border-box}body{margin:0;font:16px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;background:#f4f5f7;color:#1c1f24}
main{max-width:40rem;margin:0 auto;padding:1.25rem}h1{font-size:1.25rem;margin:.25rem 0 1rem}
.card{background:#fff;border-radius:.75rem;box-shadow:0 1px 3px #0002;padding:1rem;margin-bottom:1rem}
ul{list-style:none;margin:0;padding:0}li{display:flex;gap:.75rem;align-items:center;padding:.6rem 0;border-top:1px solid #e6e8eb}
li:first-child{border-top:0}.name{flex:1;min-width:0;overflow-wrap:anywhere}.size,.muted{color:#5d6470;font-size:.875rem}
a.button,button{display:inline-block;border:0;border-radius:.5rem;background:#2456d3;color:#fff;padding:.55rem .9rem;font:inherit;text-decoration:none;white-space:nowrap;cursor:pointer}
a.primary{display:block;text-align:center;margin-top:.75rem;padding:.8rem}input{font:inherit;padding:.55rem;border:1px solid #b8bdc6;border-radius:.5rem;width:100%;margin:.5rem 0}
.error{color:#b3261e}
@media (prefers-color-scheme:dark){body{background:#16181c;color:#e7e9ec}.card{background:#22252b}li{border-color:#33373e}.size,.muted{color:#9aa1ad}}`;

function page(title: string, body: string): string {
  return (
    `<!doctype html><html lang="en"><head><meta charset="utf-8">` +
    `<meta name="viewport" content="width=device-width,initial-scale=1">` +
    `<meta name="robots" content="noindex,nofollow"><title>${escapeHtml(title)}</title>` +
    `<style>${style}</style></head><body><main>${body}</main></body></html>`
  );
}

/** Link-relative addresses: the page lives at `/d/<id>/<token>/`, so `./name` stays on the link. */
function fileHref(name: string, index?: number): string {
  const base = `./${encodeURIComponent(name)}`;
  return index === undefined ? base : `${base}?file=${index}`;
}

export function downloadPage(link: LinkRecord, downloads: number, now = Date.now()): string {
  const total = link.files.reduce((sum, file) => sum + file.size, 0);
  const several = link.kind === 'zip';
  const rows = link.files
    .map(
      (file, i) =>
        `<li><span class="name">${escapeHtml(file.name)}<br><span class="size">${formatBytes(file.size)}</span></span>` +
        `<a class="button" href="${escapeHtml(fileHref(several ? (file.name.split('/').pop() ?? file.name) : link.filename, several ? i : undefined))}" download>Download</a></li>`,
    )
    .join('');
  const left =
    link.max_downloads === undefined
      ? ''
      : ` · ${Math.max(0, link.max_downloads - downloads)} of ${link.max_downloads} downloads left`;
  const all = several
    ? `<a class="button primary" href="${escapeHtml(fileHref(link.filename))}" download>Download all as ZIP (${formatBytes(total)})</a>`
    : '';
  return page(
    link.filename,
    `<h1>${several ? `${link.files.length} files` : escapeHtml(link.filename)}</h1>` +
      `<div class="card"><ul>${rows}</ul>${all}</div>` +
      `<p class="muted">This link stops working in ${formatTimeLeft(link.expires_at, now)}${left}.</p>`,
  );
}

export function passwordPage(problem?: string): string {
  return page(
    'Password required',
    `<h1>This download is protected</h1><div class="card"><form method="post" action="./?page">` +
      `<label for="password">Enter the password you were given</label>` +
      `<input id="password" name="password" type="password" autocomplete="off" autofocus required>` +
      (problem ? `<p class="error">${escapeHtml(problem)}</p>` : '') +
      `<button type="submit">Continue</button></form></div>`,
  );
}

/** An HTML message (revoked, expired, used up…) for people on the page. */
export function messagePage(text: string): string {
  return page('Download link', `<div class="card"><p>${escapeHtml(text)}</p></div>`);
}
