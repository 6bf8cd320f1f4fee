// postinstall: native addons built for the Node that runs Outbox.
//
// npm runs scripts with node_modules/.bin first on PATH, so the tests, the CLI and the board run
// on the Node 24 that package.json pins (the `node` package). Dependencies' own install scripts
// may have compiled their addons against another Node's headers (npm's `nodedir`, or the Node
// npm itself runs on): those addons then fail to load, and ssh2 silently falls back to its much
// slower JavaScript crypto. This rebuilds them against the headers shipped inside the pinned
// Node's platform package, which needs no download. Idempotent: nothing happens when they load.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';

const require = createRequire(import.meta.url);
const root = join(import.meta.dirname, '..');
const addons = {
  ssh2: 'ssh2/lib/protocol/crypto/build/Release/sshcrypto.node',
  'cpu-features': 'cpu-features/build/Release/cpufeatures.node',
};

function loads(path) {
  try {
    require(join(root, 'node_modules', path));
    return true;
  } catch {
    return false;
  }
}

const broken = Object.keys(addons).filter(
  (name) => existsSync(join(root, 'node_modules', name)) && !loads(addons[name]),
);
if (broken.length > 0) {
  const platform = process.platform === 'win32' ? 'win' : process.platform;
  const headers = join(root, 'node_modules/node/node_modules', `node-${platform}-${process.arch}`);
  const nodedir = existsSync(join(headers, 'include/node')) ? [`--nodedir=${headers}`] : [];
  console.log(`Rebuilding ${broken.join(', ')} for Node ${process.version}…`);
  const npm = process.env.npm_execpath ? [process.execPath, process.env.npm_execpath] : ['npm'];
  const run = spawnSync(npm[0], [...npm.slice(1), 'rebuild', ...broken, ...nodedir], {
    cwd: root,
    stdio: 'inherit',
  });
  const still = broken.filter((name) => !loads(addons[name]));
  if (run.status !== 0 || still.length > 0) {
    // Not fatal: ssh2 works without its addon, only slower.
    console.warn(
      `Could not build ${still.join(', ')} for Node ${process.version}: SFTP will be slower.`,
    );
  }
}
