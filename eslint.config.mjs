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
    floor.map((room) => {
      const bottom = i === coreFloors.length - 1;
      const above = coreFloors.slice(0, i).flat();
      const siblings = bottom ? [] : floor.filter((other) => other !== room);
      const forbidden = [...above, ...siblings];
      return {
        files: room === '*.ts' ? ['main/core/*.ts'] : [`main/core/${room}/**/*.ts`],
        rules: {
          'no-restricted-imports': [
            'error',
            {
              ...electronOnlyHere,
              patterns: [
                {
                  group: [
                    '**/electron/**',
                    '**/cli/**',
                    '**/browser/**',
                    '**/renderer/**',
                    '**/preload/**',
                  ],
                  message:
                    'main/core imports nothing above it: hosts import core, not the other way.',
                },
                ...(forbidden.length === 0
                  ? []
                  : [
                      {
                        group: forbidden.map((other) => `**/${other}/*`),
                        message: `main/core/${room === '*.ts' ? '*.ts' : room} may not import ${forbidden.join(', ')}: floors import downward only (eslint.config.mjs, coreFloors).`,
                      },
                    ]),
              ],
            },
          ],
        },
      };
    }),
  ),
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
              // gitignore-style: folders are excluded whole, so re-include the folders themselves.
              group: [
                '**/main/core/*',
                '!**/main/core/api',
                '!**/main/core/tasks',
                '!**/main/core/format',
                'node:*',
              ],
              message:
                'The renderer talks to the API object only (types from main/core/api, schemas and descriptors from main/core/tasks, number formats from main/core/format).',
            },
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
