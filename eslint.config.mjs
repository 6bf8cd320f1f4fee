import js from '@eslint/js';
import globals from 'globals';
import reactHooks from 'eslint-plugin-react-hooks';
import tseslint from 'typescript-eslint';

const electronOnlyHere = {
  paths: [{ name: 'electron', message: 'Only main/electron/ and preload/ may import electron.' }],
};

/**
 * main/core in floors, top to bottom. Rooms on one line are one floor and do not import each
 * other; a file may import its own room and any room of a lower floor, never one above.
 * The last floor is the bottom: records, sources, retry, atomic files, HTTP helpers, and the
 * files directly in main/core.
 */
export const coreFloors = [
  ['api'],
  ['server', 'watch'],
  ['engine'],
  ['profiles', 'links', 'delivery-log'],
  ['exporters'],
  ['tasks'],
  ['transfer', 'store', 'http', '*.ts'],
];

/** The exporter folders' descriptors belong to the tasks floor: tasks/ lists them (the registry). */
const descriptorFloor = coreFloors.findIndex((floor) => floor.includes('tasks'));

/** no-restricted-imports for a room of main/core on floor `i`. */
function floorRule(i, room) {
  const bottom = i === coreFloors.length - 1;
  const above = coreFloors.slice(0, i).flat();
  const siblings = bottom ? [] : coreFloors[i].filter((other) => other !== room);
  const forbidden = [...above, ...siblings];
  const message = `main/core/${room} may not import ${forbidden.join(', ')}: floors import downward only (eslint.config.mjs, coreFloors).`;
  // From the descriptors' floor up, a backend folder's destination.ts may be imported.
  const descriptorsAllowed = i <= descriptorFloor;
  const whole = forbidden.filter((other) => !(descriptorsAllowed && other === 'exporters'));
  return {
    ...electronOnlyHere,
    patterns: [
      {
        group: ['**/electron/**', '**/cli/**', '**/browser/**', '**/renderer/**', '**/preload/**'],
        message: 'main/core imports nothing above it: hosts import core, not the other way.',
      },
      ...(whole.length === 0 ? [] : [{ group: whole.map((other) => `**/${other}/*`), message }]),
      ...(whole.length === forbidden.length
        ? []
        : [{ regex: '(^|/)exporters/(?![^/]+/destination$)', message }]),
    ],
  };
}

/** A backend's descriptor: the exporters floor's rule, and nothing but tasks/, the bottom and zod. */
function descriptorRule() {
  const rule = floorRule(
    coreFloors.findIndex((floor) => floor.includes('exporters')),
    'exporters',
  );
  const outside = {
    regex: '^\\.{1,2}/[^.]|^(?!zod$)[^.]',
    message:
      'A descriptor (exporters/*/destination.ts) imports only tasks/, the bottom floor and zod: the renderer reads it, so no exporter code, SDK or node: module.',
  };
  return { ...rule, patterns: [...rule.patterns, outside] };
}

export default tseslint.config(
  { ignores: ['out/', 'dist/', 'node_modules/', 'test-results/', 'playwright-report/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_' },
      ],
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      'no-restricted-imports': ['error', electronOnlyHere],
    },
  },
  // The floors of main/core: each room may import its own room and the floors below it.
  ...coreFloors.flatMap((floor, i) =>
    floor.map((room) => ({
      files: room === '*.ts' ? ['main/core/*.ts'] : [`main/core/${room}/**/*.ts`],
      rules: { 'no-restricted-imports': ['error', floorRule(i, room)] },
    })),
  ),
  // A backend's descriptor is what the renderer and lower floors read of its folder: it
  // imports only the task model below it and zod, never its exporter or an SDK.
  {
    files: ['main/core/exporters/*/destination.ts'],
    rules: { 'no-restricted-imports': ['error', descriptorRule()] },
  },
  {
    files: ['main/electron/**/*.ts', 'preload/**/*.ts'],
    rules: { 'no-restricted-imports': 'off' },
  },
  {
    files: ['renderer/**/*.{ts,tsx}'],
    languageOptions: { globals: { ...globals.browser } },
    plugins: { 'react-hooks': reactHooks },
    rules: {
      ...reactHooks.configs.recommended.rules,
      'no-restricted-imports': [
        'error',
        {
          ...electronOnlyHere,
          patterns: [
            {
              regex: '(^|/)main/core/(?!(api|tasks)/|format$|exporters/[^/]+/destination$)',
              message:
                'The renderer talks to the API object only (types from main/core/api, schemas and descriptors from main/core/tasks and main/core/exporters/*/destination, number formats from main/core/format).',
            },
            { group: ['node:*'], message: 'The renderer runs in a browser: no node: modules.' },
          ],
        },
      ],
    },
  },
  {
    files: ['bin/**/*.js', '**/*.cjs'],
    languageOptions: { sourceType: 'commonjs' },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
);
