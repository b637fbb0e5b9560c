// typescript-eslint over the server, the tests and the scripts (npm run lint; part of npm test).
// Besides the recommended rules it holds the flow's direction (SPEC: HTTP -> auth -> contract ->
// control -> store/engine -> audit): nothing below the front doors imports them, and a folder is
// reached only through its index.ts.
import tseslint from 'typescript-eslint';

const FRONT_DOORS = 'imports the HTTP/MCP front door or the use cases above it; the flow goes one way (http -> service -> store/engine -> audit)';
const THROUGH_INDEX = "reach another folder through its index.ts, not its inner files";

export default tseslint.config(
  { ignores: ['**/dist/**', '**/node_modules/**', 'tools/**', 'server/src/contracts/types.gen.ts'] },
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_' }],
    },
  },
  {
    files: ['server/src/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ regex: '^(\\.\\./)+[a-z-]+/(?!index\\.js$).+', message: THROUGH_INDEX }] }],
    },
  },
  {
    files: ['server/src/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ regex: '^\\./[a-z-]+/(?!index\\.js$).+', message: THROUGH_INDEX }] }],
    },
  },
  {
    files: ['server/src/{engine,store,control,audit,contracts,config,auth,durable,generator,metrics,egress,skill-rules}/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        patterns: [
          { regex: '^(\\.\\./)+[a-z-]+/(?!index\\.js$).+', message: THROUGH_INDEX },
          { regex: '^(\\.\\./)+(http|mcp|service|openapi)/', message: FRONT_DOORS },
          { regex: '^(\\.\\./)+app\\.js$', message: FRONT_DOORS },
        ],
      }],
    },
  },
);
