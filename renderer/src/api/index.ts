import {
  apiMethods,
  OutboxApiError,
  unwrapResult,
  type OutboxBridge,
} from '../../../main/core/api/api-transport';
import type { FileRef, OutboxApi } from '../../../main/core/api/outbox-api';
import { createBrowserClient, uploadFile } from './browser-client';

/**
 * The renderer's one door to Outbox. Components call `getApi()` for jobs,
 * profiles and links, and the helpers below to turn dropped or picked File
 * objects into the `FileRef`s that `startExport` takes.
 *
 *   const files = collectDrop(event.dataTransfer); // synchronously, in the drop handler
 *   const refs = await toFileRefs(await files, { onProgress });
 *   await getApi().startExport({ profile: 'backups' }, refs);
 *
 * Errors thrown by every method are `OutboxApiError` (code, message, detail?,
 * fields? — per-field messages for INVALID_DATA).
 */

export { OutboxApiError };

declare global {
  interface Window {
    /** Set by the Electron preload (preload/index.ts); absent in a browser. */
    outbox?: OutboxBridge;
  }
}

let api: OutboxApi | undefined;

/** True inside the Electron app, false in a browser talking to `outbox serve`. */
export function isElectron(): boolean {
  return typeof window !== 'undefined' && window.outbox !== undefined;
}

function fromBridge(bridge: OutboxBridge): OutboxApi {
  const methods = Object.fromEntries(
    apiMethods.map((method) => [
      method,
      async (...args: unknown[]) =>
        unwrapResult(await (bridge[method] as (...a: unknown[]) => Promise<never>)(...args)),
    ]),
  );
  return { ...methods, subscribe: (listener) => bridge.subscribe(listener) } as OutboxApi;
}

/** The API of the host this UI runs in (Electron IPC or the browser host's HTTP API); one instance. */
export function getApi(): OutboxApi {
  api ??= window.outbox ? fromBridge(window.outbox) : createBrowserClient();
  return api;
}

/**
 * A file the user gave us, with its path relative to what was dropped
 * (`photos/2024/a.jpg`, or just `a.jpg`): a File from a drop or a picker, or
 * (Electron only) a path the desktop opened with Outbox.
 */
export type PickedFile =
  { file: File; relativePath: string } | { path: string; size: number; relativePath: string };

/** Bytes of a picked file (0 for an opened folder, walked by the host). */
export const sizeOf = (picked: PickedFile): number =>
  'file' in picked ? picked.file.size : picked.size;

/** Files the desktop hands to the app while it runs (Electron only; a browser has no such door). */
export function onOpenedFiles(listener: (files: PickedFile[]) => void): () => void {
  const bridge = window.outbox;
  if (!bridge) return () => undefined;
  return bridge.onOpenedFiles((files) =>
    listener(files.map((f) => ({ path: f.path, size: f.size, relativePath: f.name }))),
  );
}

/**
 * The files of a drop. Call it synchronously inside the `drop` handler (the
 * browser empties the DataTransfer once the handler returns); await the result
 * afterwards. Folders are included whole, keeping relative paths: in a browser
 * they are walked here; in Electron a folder stays one entry and the host walks it.
 */
export function collectDrop(dataTransfer: DataTransfer): Promise<PickedFile[]> {
  const files = [...dataTransfer.files];
  if (isElectron())
    return Promise.resolve(files.map((file) => ({ file, relativePath: file.name })));
  const entries = [...dataTransfer.items]
    .filter((item) => item.kind === 'file')
    .map((item, i) => ({ entry: item.webkitGetAsEntry(), file: item.getAsFile() ?? files[i] }));
  return (async () => {
    const picked: PickedFile[] = [];
    for (const { entry, file } of entries) {
      if (entry?.isDirectory) await walk(entry as FileSystemDirectoryEntry, entry.name, picked);
      else if (file) picked.push({ file, relativePath: file.name });
    }
    return picked;
  })();
}

async function walk(dir: FileSystemDirectoryEntry, prefix: string, into: PickedFile[]) {
  const reader = dir.createReader();
  // readEntries returns the listing in batches until an empty one.
  for (;;) {
    const batch = await new Promise<FileSystemEntry[]>((resolve, reject) =>
      reader.readEntries(resolve, reject),
    );
    if (batch.length === 0) return;
    for (const entry of batch) {
      const path = `${prefix}/${entry.name}`;
      if (entry.isDirectory) await walk(entry as FileSystemDirectoryEntry, path, into);
      else {
        const file = await new Promise<File>((resolve, reject) =>
          (entry as FileSystemFileEntry).file(resolve, reject),
        );
        into.push({ file, relativePath: path });
      }
    }
  }
}

/** The files of an `<input type="file">` (with `webkitdirectory`, relative paths are kept). */
export function collectInput(files: FileList | readonly File[]): PickedFile[] {
  return [...files].map((file) => ({
    file,
    relativePath: file.webkitRelativePath || file.name,
  }));
}

export type ToFileRefsOptions = {
  /** Browser only: bytes sent so far of all files, and their total. Electron sends nothing. */
  onProgress?: (sent: number, total: number) => void;
  /** Aborts the uploads (rejects with OutboxApiError code CANCELLED). */
  signal?: AbortSignal;
};

/**
 * What startExport needs for these files. In Electron: their real paths (a
 * folder picked with webkitdirectory becomes its folder, so relative names
 * survive). In a browser: each file is streamed to the host first (3 at a
 * time) and referenced by its upload id.
 */
export async function toFileRefs(
  files: readonly PickedFile[],
  options: ToFileRefsOptions = {},
): Promise<FileRef[]> {
  const bridge = window.outbox;
  if (bridge) return electronRefs(bridge, files);

  const total = files.reduce((sum, f) => sum + sizeOf(f), 0);
  const sent = new Array<number>(files.length).fill(0);
  const report = () =>
    options.onProgress?.(
      sent.reduce((a, b) => a + b, 0),
      total,
    );
  const refs = new Array<FileRef>(files.length);
  let next = 0;
  const lane = async () => {
    while (next < files.length) {
      const i = next++;
      const picked = files[i] as PickedFile;
      if (!('file' in picked)) {
        throw new OutboxApiError({
          code: 'FILE_NOT_FOUND',
          message: `${picked.relativePath} is a path on the computer running Outbox, not a file of this browser.`,
        });
      }
      const { file, relativePath } = picked;
      const uploadId = await uploadFile(file, relativePath, {
        ...(options.signal ? { signal: options.signal } : {}),
        onProgress: (bytes) => {
          sent[i] = bytes;
          report();
        },
      });
      sent[i] = file.size;
      report();
      refs[i] = { uploadId };
    }
  };
  await Promise.all([lane(), lane(), lane()]);
  return refs;
}

function electronRefs(bridge: OutboxBridge, files: readonly PickedFile[]): FileRef[] {
  const paths = new Set<string>();
  for (const picked of files) {
    if (!('file' in picked)) {
      paths.add(picked.path);
      continue;
    }
    const { file, relativePath } = picked;
    const path = bridge.pathForFile(file);
    if (!path) {
      throw new OutboxApiError({
        code: 'FILE_NOT_FOUND',
        message: `${file.name} is not a file on this computer.`,
      });
    }
    const parts = relativePath.split('/');
    const rest = parts.slice(1).join('/');
    const normalized = path.replaceAll('\\', '/');
    // `photos/2024/a.jpg` at /home/me/photos/2024/a.jpg → export /home/me/photos once.
    if (parts.length > 1 && normalized.endsWith(`/${rest}`)) {
      paths.add(path.slice(0, path.length - rest.length - 1));
    } else {
      paths.add(path);
    }
  }
  return [...paths].map((path) => ({ path }));
}
