/** A link of one file as `LinkStore.create` takes it, ending `expiresIn` ms from now (negative: ended). */
export function fileLink(expiresIn: number) {
  return {
    kind: 'file' as const,
    filename: 'a.txt',
    inline: false,
    lan: false,
    expires_at: new Date(Date.now() + expiresIn).toISOString(),
    job_id: 'job-1',
    task: 'export',
    files: [{ path: '/data/a.txt', name: 'a.txt', size: 1, mtime_ms: 1 }],
  };
}
