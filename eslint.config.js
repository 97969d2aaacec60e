// Lint rules for the whole project: ESLint's and typescript-eslint's recommended sets, and the layers.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'bench-results/**', 'coverage/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-non-null-assertion': 'off',
      '@typescript-eslint/no-unused-vars': [
        'error',
        {
          argsIgnorePattern: '^_',
          varsIgnorePattern: '^_',
          destructuredArrayIgnorePattern: '^_',
          ignoreRestSiblings: true,
        },
      ],
      '@typescript-eslint/no-empty-object-type': 'off',
      'no-constant-condition': ['error', { checkLoops: false }],
    },
  },
  // Layers (data flows down, never up): see "Layout" in the README.
  layer(
    'src/core/**',
    ['config', 'domain', 'ops', 'surfaces', 'store', 'bus', 'client', 'agents'],
    'core is the lowest layer',
  ),
  layer('src/store/**', ['domain', 'ops', 'surfaces'], 'the store knows records, not domain rules'),
  layer('src/bus/**', ['domain', 'ops', 'surfaces'], 'the bus carries events, it applies no domain rule'),
  layer('src/domain/**', ['ops', 'surfaces'], 'the domain is reached by ops and never reaches up to them'),
  layer('src/ops/**', ['surfaces'], 'operations are called by surfaces, never the other way'),
  layer(
    'src/surfaces/**',
    ['domain'],
    'surfaces reach the domain only through ops (types may be named)',
    true,
  ),
);

/** Forbids files matching `files` to import from the named top-level folders of src/. */
function layer(files, folders, why, allowTypeImports = false) {
  return {
    files: [files],
    ignores: ['**/*.test.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex: `^(\\.\\./)+(${folders.join('|')})/`,
              message: `Layering: ${why}.`,
              allowTypeImports,
            },
          ],
        },
      ],
    },
  };
}
