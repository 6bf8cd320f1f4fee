import { expect } from 'vitest';
import { sha256 } from './engine';

/** The fields a share link adds to a result file. */
type SharedFile = { url?: string; expires_at?: unknown };

/** A plain GET: no credentials, no SDK. */
export async function download(url: string): Promise<{ status: number; sha256: string }> {
  const response = await fetch(url);
  const body = Buffer.from(await response.arrayBuffer());
  return { status: response.status, sha256: sha256(body) };
}

/** Signed at `before` or later, on a whole second, for `seconds`. */
export function expectExpiry(file: SharedFile, seconds: number, before: number): void {
  const expiresAt = Date.parse(String(file.expires_at));
  expect(expiresAt).toBeGreaterThanOrEqual(Math.floor(before / 1000) * 1000 + seconds * 1000);
  expect(expiresAt).toBeLessThanOrEqual(Date.now() + seconds * 1000);
}

/** The link serves `expectedSha256` now, and is refused once expired (with the status the server uses). */
export async function expectWorksThenExpires(
  file: SharedFile,
  expectedSha256: string,
  refused: number[],
): Promise<void> {
  const url = String(file.url);
  expect(await download(url)).toEqual({ status: 200, sha256: expectedSha256 });
  const wait = Date.parse(String(file.expires_at)) + 1500 - Date.now();
  await new Promise((resolve) => setTimeout(resolve, Math.max(0, wait)));
  const late = await download(url);
  expect(refused).toContain(late.status);
  expect(late.sha256).not.toBe(expectedSha256);
}
