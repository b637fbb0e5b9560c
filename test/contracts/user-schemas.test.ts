// Authors' schemas (input_schema, output_schema) compiled under bounds: each refusal names its rule,
// and every regular expression runs in the linear-time engine.
import assert from 'node:assert/strict';
import { AppError } from '../../server/src/errors.js';
import { MAX_SCHEMA_DEPTH, MAX_SUBSCHEMAS, UserSchemas } from '../../server/src/contracts/user-schemas.js';

const schemas = new UserSchemas();

function refusedWith(schema: unknown, rule: string, mentions?: RegExp): void {
  assert.throws(() => schemas.compile(schema, 'input_schema'), (error: unknown) => {
    assert.ok(error instanceof AppError, String(error));
    assert.equal(error.code, 'validation_failed');
    assert.equal(error.details.rule, rule, error.message);
    assert.match(error.message, /^input_schema: /);
    if (mentions) assert.match(error.message, mentions);
    return true;
  });
}

describe('authors\' schemas', () => {
  it('refuses a $ref loop that reads no data, directly or through allOf / not', () => {
    refusedWith({ $defs: { a: { $ref: '#/$defs/a' } }, $ref: '#/$defs/a' }, 'schema-ref-loop', /\$ref loop/);
    refusedWith({ $ref: '#' }, 'schema-ref-loop');
    refusedWith({ $defs: { a: { allOf: [{ $ref: '#/$defs/b' }] }, b: { not: { $ref: '#/$defs/a' } } }, $ref: '#/$defs/a' }, 'schema-ref-loop');
  });

  it('accepts recursion that reads a part of the data each time (a tree)', () => {
    const tree = { type: 'object', properties: { value: { type: 'number' }, children: { type: 'array', items: { $ref: '#' } } } };
    const validate = schemas.compile(tree, 'input_schema');
    assert.equal(validate({ value: 1, children: [{ value: 2, children: [] }] }), true);
    assert.equal(validate({ value: 1, children: [{ value: 'x' }] }), false);
  });

  it('refuses remote, unresolved and data-pointing $refs', () => {
    refusedWith({ $ref: 'https://example.com/schema.json' }, 'schema-remote-ref');
    refusedWith({ $ref: 'other.json#/x' }, 'schema-remote-ref');
    refusedWith({ $ref: '#/$defs/missing' }, 'schema-ref-unresolved');
    refusedWith({ const: { $ref: '#/const' }, $ref: '#/const' }, 'schema-ref-unresolved');
  });

  it('refuses keywords it does not support, and other dialects', () => {
    refusedWith({ type: 'object', $dynamicRef: '#x' }, 'schema-keyword', /\$dynamicRef/);
    refusedWith({ $id: 'https://example.com/s' }, 'schema-keyword');
    refusedWith({ type: 'string', regexp: '^a' }, 'schema-keyword', /regexp/);
    refusedWith({ $schema: 'http://json-schema.org/draft-07/schema#' }, 'schema-dialect');
    refusedWith({ type: 'string', format: 'no-such-format' }, 'schema-invalid');
  });

  it('refuses schemas over the depth and size bounds', () => {
    let deep: Record<string, unknown> = { type: 'string' };
    for (let i = 0; i < MAX_SCHEMA_DEPTH; i++) deep = { items: deep };
    refusedWith(deep, 'schema-too-deep');
    const properties = Object.fromEntries(Array.from({ length: 3000 }, (_, i) => [`p${i}`, { type: 'string' }]));
    refusedWith({ type: 'object', properties }, 'schema-too-large', /bytes/);
    const many = Object.fromEntries(Array.from({ length: MAX_SUBSCHEMAS }, (_, i) => [`p${i}`, true]));
    assert.doesNotThrow(() => schemas.compile({ type: 'object', properties: many }, 'input_schema'));
    const tooMany = Object.fromEntries(Array.from({ length: MAX_SUBSCHEMAS }, (_, i) => [`p${i}`, {}]));
    refusedWith({ type: 'object', properties: tooMany }, 'schema-too-large', /subschemas/);
  });

  it('refuses patterns the linear-time engine cannot take (backreferences, lookaround)', () => {
    refusedWith({ type: 'string', pattern: '^(a)\\1$' }, 'schema-pattern');
    refusedWith({ type: 'object', patternProperties: { '^(?=x)': {} } }, 'schema-pattern');
  });

  it('matches a catastrophic pattern in linear time, as JSON Schema means it (unanchored, unicode)', () => {
    const validate = schemas.compile({ type: 'string', pattern: '^(a+)+$' }, 'input_schema');
    assert.equal(validate('a'.repeat(30) + '!'), false);
    assert.equal(validate('a'.repeat(200_000) + '!'), false);
    assert.equal(validate('aaaa'), true);
    const unanchored = schemas.compile({ type: 'string', pattern: 'é+' }, 'input_schema');
    assert.equal(unanchored('xééx'), true);
    assert.equal(unanchored('xex'), false);
  });

  it('runs format regexes in the linear-time engine too', () => {
    const validate = schemas.compile({ type: 'object', properties: { e: { format: 'email' }, d: { format: 'date' }, r: { format: 'regex' } } }, 'input_schema');
    assert.equal(validate({ e: 'a@example.com', d: '2024-02-29', r: '^a+$' }), true);
    assert.equal(validate({ e: 'not an email' }), false);
    assert.equal(validate({ r: '(a)\\1' }), false);
    assert.equal(validate({ e: 'a'.repeat(100_000) + '@' }), false);
  });

  it('keeps patterns apart and caches validators by digest', () => {
    const a = schemas.compile({ type: 'object', properties: { x: { pattern: '^a$' }, y: { pattern: '^b$' } } }, 'input_schema');
    assert.equal(a({ x: 'a', y: 'b' }), true);
    assert.equal(a({ x: 'b', y: 'a' }), false);
    const again = schemas.compile({ type: 'object', properties: { x: { pattern: '^a$' }, y: { pattern: '^b$' } } }, 'input_schema');
    assert.equal(again, a);
  });
});
