/**
 * A static security check of the Electron shell, in the spirit of Doyensec's
 * electronegativity (which is not a dependency of this project): it parses the
 * TypeScript sources with the compiler API and reports, with file:line, every
 * window whose webPreferences are not the secure set, and every missing or
 * dangerous app-wide setting. `npm test` runs it through
 * test/integration/security-electron-static.test.ts; by hand:
 *   npx tsx scripts/electron-static-check.ts [dir…]   (default: main/electron preload)
 * Exit code 1 when there are findings.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import ts from 'typescript';

export type Finding = { file: string; line: number; rule: string; message: string };

/** webPreferences that must be present with exactly this literal value. */
const REQUIRED: Record<string, boolean> = {
  contextIsolation: true,
  sandbox: true,
  nodeIntegration: false,
  webSecurity: true,
};
/** webPreferences that, when present, must have this literal value. */
const IF_PRESENT: Record<string, boolean> = {
  nodeIntegrationInWorker: false,
  nodeIntegrationInSubFrames: false,
  allowRunningInsecureContent: false,
  experimentalFeatures: false,
  webviewTag: false,
  navigateOnDragDrop: false,
  plugins: false,
  enableWebSQL: false,
};
/** webPreferences that must not appear at all. */
const FORBIDDEN_PREFS = ['enableBlinkFeatures', 'additionalArguments', 'disableBlinkFeatures'];
/** Chromium switches that switch security off. */
const DANGEROUS_SWITCHES = [
  'ignore-certificate-errors',
  'disable-web-security',
  'no-sandbox',
  'remote-debugging-port',
  'allow-running-insecure-content',
  'disable-site-isolation-trials',
  'enable-blink-features',
];
const WINDOW_CLASSES = new Set(['BrowserWindow', 'BrowserView', 'WebContentsView']);

function sourceFiles(paths: string[]): string[] {
  const files: string[] = [];
  for (const path of paths) {
    if (statSync(path).isDirectory()) {
      for (const entry of readdirSync(path).sort()) files.push(...sourceFiles([join(path, entry)]));
    } else if (/\.(ts|tsx|mts|cts|js|mjs|cjs)$/.test(path) && !path.endsWith('.d.ts')) {
      files.push(path);
    }
  }
  return files;
}

function propertyName(name: ts.PropertyName): string | undefined {
  if (ts.isIdentifier(name) || ts.isStringLiteral(name)) return name.text;
  return undefined;
}

function literalBoolean(node: ts.Expression): boolean | undefined {
  if (node.kind === ts.SyntaxKind.TrueKeyword) return true;
  if (node.kind === ts.SyntaxKind.FalseKeyword) return false;
  return undefined;
}

/** Checks every source under `paths`; returns the findings (empty: nothing to fix). */
export function checkElectronSources(paths: string[], root = process.cwd()): Finding[] {
  const findings: Finding[] = [];
  const sources = sourceFiles(paths).map((file) =>
    ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true),
  );
  /** Functions that return window options (name → has a checked webPreferences literal). */
  const optionFactories = new Map<string, boolean>();
  const windowCreations: { source: ts.SourceFile; node: ts.NewExpression }[] = [];
  const text = sources.map((s) => s.text).join('\n');

  const report = (source: ts.SourceFile, node: ts.Node, rule: string, message: string) => {
    const { line } = source.getLineAndCharacterOfPosition(node.getStart(source));
    findings.push({ file: relative(root, source.fileName), line: line + 1, rule, message });
  };

  const checkPreferences = (source: ts.SourceFile, prefs: ts.ObjectLiteralExpression) => {
    const seen = new Map<string, ts.Expression>();
    for (const property of prefs.properties) {
      if (ts.isSpreadAssignment(property)) {
        report(
          source,
          property,
          'WEB_PREFERENCES_SPREAD',
          'webPreferences must be one literal object, not spread',
        );
        continue;
      }
      if (!ts.isPropertyAssignment(property)) continue;
      const name = propertyName(property.name);
      if (name) seen.set(name, property.initializer);
    }
    for (const [name, wanted] of Object.entries(REQUIRED)) {
      const value = seen.get(name);
      if (!value)
        report(
          source,
          prefs,
          'WEB_PREFERENCES_MISSING',
          `webPreferences.${name} must be set to ${wanted}`,
        );
      else if (literalBoolean(value) !== wanted)
        report(
          source,
          value,
          'WEB_PREFERENCES_INSECURE',
          `webPreferences.${name} must be the literal ${wanted}`,
        );
    }
    for (const [name, wanted] of Object.entries(IF_PRESENT)) {
      const value = seen.get(name);
      if (value && literalBoolean(value) !== wanted)
        report(
          source,
          value,
          'WEB_PREFERENCES_INSECURE',
          `webPreferences.${name} must be the literal ${wanted}`,
        );
    }
    for (const name of FORBIDDEN_PREFS) {
      const value = seen.get(name);
      if (value)
        report(
          source,
          value,
          'WEB_PREFERENCES_FORBIDDEN',
          `webPreferences.${name} must not be used`,
        );
    }
    const preload = seen.get('preload');
    if (preload && ts.isStringLiteral(preload) && /^https?:/.test(preload.text))
      report(source, preload, 'PRELOAD_REMOTE', 'a preload script must be a local file');
  };

  for (const source of sources) {
    const visit = (node: ts.Node, inFunction?: string): void => {
      if (ts.isPropertyAssignment(node) && propertyName(node.name) === 'webPreferences') {
        if (ts.isObjectLiteralExpression(node.initializer)) {
          checkPreferences(source, node.initializer);
          if (inFunction) optionFactories.set(inFunction, true);
        } else
          report(
            source,
            node,
            'WEB_PREFERENCES_DYNAMIC',
            'webPreferences must be a literal object, so that it can be checked',
          );
      }
      if (
        ts.isNewExpression(node) &&
        ts.isIdentifier(node.expression) &&
        WINDOW_CLASSES.has(node.expression.text)
      ) {
        windowCreations.push({ source, node });
      }
      if (ts.isCallExpression(node)) {
        const callee = node.expression.getText(source);
        const first = node.arguments[0];
        if (/commandLine\.appendSwitch$/.test(callee) && first && ts.isStringLiteral(first)) {
          if (DANGEROUS_SWITCHES.includes(first.text))
            report(
              source,
              node,
              'DANGEROUS_SWITCH',
              `the Chromium switch "${first.text}" turns a protection off`,
            );
        }
        if (/(^|\.)openExternal$/.test(callee) && first && !ts.isStringLiteral(first))
          report(
            source,
            node,
            'OPEN_EXTERNAL',
            'shell.openExternal with a computed URL: allow-list it first',
          );
        if (
          /\.(loadURL)$/.test(callee) &&
          first &&
          ts.isStringLiteral(first) &&
          first.text.startsWith('http:')
        )
          report(source, node, 'HTTP_RESOURCE', `loads ${first.text} over plain http`);
        if (
          /setWindowOpenHandler$/.test(callee) &&
          first &&
          !/action:\s*'deny'/.test(first.getText(source))
        )
          report(source, node, 'WINDOW_OPEN_ALLOWED', 'setWindowOpenHandler must deny new windows');
      }
      const name =
        ts.isFunctionDeclaration(node) && node.name
          ? node.name.text
          : ts.isVariableDeclaration(node) &&
              ts.isIdentifier(node.name) &&
              node.initializer &&
              ts.isArrowFunction(node.initializer)
            ? node.name.text
            : inFunction;
      ts.forEachChild(node, (child) => visit(child, name));
    };
    visit(source);
  }

  for (const { source, node } of windowCreations) {
    const options = node.arguments?.[0];
    const checked =
      options !== undefined &&
      ((ts.isObjectLiteralExpression(options) &&
        options.properties.some(
          (p) => p.name !== undefined && propertyName(p.name) === 'webPreferences',
        )) ||
        (ts.isCallExpression(options) &&
          ts.isIdentifier(options.expression) &&
          optionFactories.get(options.expression.text) === true));
    if (!checked)
      report(
        source,
        node,
        'WINDOW_OPTIONS_UNCHECKED',
        `new ${node.expression.getText(source)}(…) without literal, checked webPreferences`,
      );
  }

  const last = sources[sources.length - 1];
  const appWide = (pattern: RegExp, rule: string, message: string) => {
    if (last && windowCreations.length > 0 && !pattern.test(text))
      findings.push({ file: relative(root, paths.join(', ')), line: 0, rule, message });
  };
  appWide(
    /setPermissionRequestHandler\([\s\S]{0,200}?callback\(false\)/,
    'PERMISSION_HANDLER',
    'no session.setPermissionRequestHandler that refuses permissions',
  );
  appWide(
    /will-navigate['"],\s*\(event\)\s*=>\s*event\.preventDefault\(\)/,
    'NAVIGATION',
    'windows may navigate away (no will-navigate preventDefault)',
  );
  appWide(
    /will-attach-webview['"],\s*\(event\)\s*=>\s*event\.preventDefault\(\)/,
    'WEBVIEW_ATTACH',
    'no will-attach-webview guard',
  );
  appWide(
    /web-contents-created[\s\S]*setWindowOpenHandler/,
    'WINDOW_OPEN_GLOBAL',
    'not every webContents denies new windows (web-contents-created)',
  );
  appWide(/Content-Security-Policy/, 'CSP', 'no Content-Security-Policy is set on the app’s pages');
  return findings;
}

const isMain =
  process.argv[1] !== undefined && /electron-static-check\.[cm]?[jt]s$/.test(process.argv[1]);
if (isMain) {
  const paths = process.argv.slice(2);
  const findings = checkElectronSources(paths.length > 0 ? paths : ['main/electron', 'preload']);
  for (const f of findings) console.log(`${f.file}:${f.line} ${f.rule}: ${f.message}`);
  console.log(
    findings.length === 0 ? 'electron static check: no findings' : `${findings.length} finding(s)`,
  );
  process.exitCode = findings.length === 0 ? 0 : 1;
}
