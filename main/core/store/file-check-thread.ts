import { parentPort } from 'node:worker_threads';
import { encodeChecks, encodeRead, transferOf, type CheckRequest } from './file-check-protocol';
import { checkFiles } from './many-files';
import { readFolder } from './folder-walk';

/**
 * The file-check thread: stat and access of the paths the main thread sends,
 * or a folder's listing and checks (folder-walk.ts), one request at a time.
 */
const port = parentPort;
if (!port) throw new Error('file-check-thread.ts must run in a worker thread');

async function answer(request: CheckRequest): Promise<void> {
  const reply =
    'folder' in request
      ? encodeRead(request.id, await readFolder(request.folder, checkFiles))
      : encodeChecks(request.id, await checkFiles(request.paths));
  port?.postMessage(reply, transferOf(reply));
}

let answered = Promise.resolve();
port.on('message', (request: CheckRequest) => {
  answered = answered.then(() => answer(request));
});
