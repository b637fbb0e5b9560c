// Authors' input_schema and output_schema are data from strangers, compiled into code that runs on
// the event loop. So before ajv sees one it is bounded (size, depth), its keywords are ones we know,
// its $refs stay inside it and never loop without reading data, and every regular expression —
// `pattern`, `patternProperties`, the regexes of `format` — runs in RE2's linear-time engine. A schema
// that fails any of this is refused at create, install and generate with 400 naming the problem.
// Compiled validators are cached by the schema's digest.
import { createHash } from 'node:crypto';
import { Ajv2020, type Format, type ValidateFunction } from 'ajv/dist/2020.js';
import { fullFormats } from 'ajv-formats/dist/formats.js';
import { RE2JS } from 're2js';
import { ValidationError } from '../errors.js';

export const MAX_SCHEMA_BYTES = 32 * 1024;
export const MAX_SCHEMA_DEPTH = 32;
/** ajv's compile time grows with the subschemas (about 1 ms each on a loaded 2-core host): this bounds it. */
export const MAX_SUBSCHEMAS = 256;
const CACHE_ENTRIES = 512;
const DRAFT_2020_12 = 'https://json-schema.org/draft/2020-12/schema';

/** Keywords whose value is one subschema applied to the same instance. */
const IN_PLACE_ONE = ['not', 'if', 'then', 'else'];
/** Keywords whose value is a list of subschemas applied to the same instance. */
const IN_PLACE_LIST = ['allOf', 'anyOf', 'oneOf'];
/** Keywords whose value is a map of subschemas applied to the same instance. */
const IN_PLACE_MAP = ['dependentSchemas'];
/** Subschemas applied to a part of the instance (an item, a property, a key). */
const CHILD_ONE = ['items', 'contains', 'additionalProperties', 'propertyNames', 'unevaluatedItems', 'unevaluatedProperties'];
const CHILD_LIST = ['prefixItems'];
const CHILD_MAP = ['properties', 'patternProperties'];
/** Subschemas that apply nowhere until a $ref points at them. */
const DEFINITIONS = ['$defs', 'definitions'];
/** Keywords with plain values: assertions and annotations ajv implements. */
const PLAIN = new Set([
  'type', 'enum', 'const', 'multipleOf', 'maximum', 'exclusiveMaximum', 'minimum', 'exclusiveMinimum', 'maxLength', 'minLength',
  'pattern', 'maxItems', 'minItems', 'uniqueItems', 'maxContains', 'minContains', 'maxProperties', 'minProperties', 'required',
  'dependentRequired', 'format', 'title', 'description', 'default', 'examples', 'deprecated', 'readOnly', 'writeOnly', '$comment',
  '$ref', '$schema',
]);
const SUBSCHEMA_KEYWORDS = new Set([...IN_PLACE_ONE, ...IN_PLACE_LIST, ...IN_PLACE_MAP, ...CHILD_ONE, ...CHILD_LIST, ...CHILD_MAP, ...DEFINITIONS]);

type Schema = boolean | Record<string, unknown>;

interface Located {
  schema: Record<string, unknown>;
  pointer: string;
  /** Schemas applied to the same instance: a cycle among these never reads any data. */
  inPlace: Array<{ target: unknown; via: string }>;
}

function refusal(field: string, rule: string, message: string, pointer: string): ValidationError {
  return new ValidationError(`${field}: ${message}`, { rule, field, path: pointer || '/' });
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Nesting depth of a JSON value, without recursion (a hostile depth is measured before anything recurses on it). */
function jsonDepth(value: unknown, stopAbove = Infinity): number {
  let deepest = 0;
  const stack: Array<[unknown, number]> = [[value, 1]];
  while (stack.length > 0) {
    const [node, depth] = stack.pop()!;
    if (typeof node !== 'object' || node === null) continue;
    deepest = Math.max(deepest, depth);
    if (deepest > stopAbove) return deepest;
    for (const child of Array.isArray(node) ? node : Object.values(node)) stack.push([child, depth + 1]);
  }
  return deepest;
}

/** A JSON pointer token as RFC 6901 writes it. */
function token(key: string | number): string {
  return String(key).replace(/~/g, '~0').replace(/\//g, '~1');
}

/** RE2 (linear time) behind the RegExp-like interface ajv's `code.regExp` option takes. */
function linearRegExp(pattern: string, flags: string): { test(text: string): boolean; toString(): string } {
  const compiled = RE2JS.compile(pattern, (flags.includes('i') ? RE2JS.CASE_INSENSITIVE : 0) | (flags.includes('s') ? RE2JS.DOTALL : 0) | (flags.includes('m') ? RE2JS.MULTILINE : 0));
  // ajv keys its compiled patterns by toString(): it must tell patterns apart.
  return { test: (text) => compiled.matcher(text).find(), toString: () => `/${pattern}/${flags}` };
}
linearRegExp.code = 'RE2JS.compile';

function linearPatternProblem(pattern: string): string | null {
  try {
    RE2JS.compile(pattern);
    return null;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}

/**
 * ajv-formats' formats with each regular expression moved to RE2; `regex` itself checks RE2 syntax.
 * The formats whose expressions need lookaround (duration, url, hostname) are left out: a schema
 * that names one is refused as naming an unknown format.
 */
function linearFormats(): Record<string, Format> {
  const formats: Record<string, Format> = {};
  for (const [name, format] of Object.entries(fullFormats)) {
    const expression = format instanceof RegExp ? format : isObject(format) && format.validate instanceof RegExp ? format.validate : null;
    if (expression === null) {
      formats[name] = format as Format;
      continue;
    }
    if (linearPatternProblem(expression.source) !== null) continue;
    const linear = linearRegExp(expression.source, expression.flags);
    const validate = (text: string): boolean => linear.test(text);
    formats[name] = expression === format ? validate : ({ ...(format as object), validate } as Format);
  }
  formats.regex = (text: string) => linearPatternProblem(text) === null;
  return formats;
}

/** Resolves `#/a/b` inside `root`; undefined when it points nowhere. */
function resolvePointer(root: unknown, ref: string): unknown {
  let pointer: string;
  try {
    pointer = decodeURIComponent(ref.slice(1));
  } catch {
    return undefined;
  }
  if (pointer === '') return root;
  if (!pointer.startsWith('/')) return undefined;
  let node: unknown = root;
  for (const raw of pointer.slice(1).split('/')) {
    const key = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (Array.isArray(node) && /^(0|[1-9][0-9]*)$/.test(key)) node = node[Number(key)];
    else if (isObject(node) && Object.hasOwn(node, key)) node = node[key];
    else return undefined;
  }
  return node;
}

/** Every subschema with its place, checking keywords, $refs and patterns on the way. */
function locateSchemas(root: Schema, field: string): Map<object, Located> {
  const located = new Map<object, Located>();
  const pending: Array<[unknown, string]> = [[root, '']];
  const expectSchema = (value: unknown, pointer: string): void => {
    if (typeof value !== 'boolean' && !isObject(value)) throw refusal(field, 'schema-invalid', `${pointer || '/'} is not a schema (an object or a boolean)`, pointer);
    pending.push([value, pointer]);
  };
  while (pending.length > 0) {
    const [schema, pointer] = pending.pop()!;
    if (!isObject(schema)) continue;
    const entry: Located = { schema, pointer, inPlace: [] };
    located.set(schema, entry);
    if (located.size > MAX_SUBSCHEMAS) throw refusal(field, 'schema-too-large', `more than ${MAX_SUBSCHEMAS} subschemas`, pointer);
    for (const [keyword, value] of Object.entries(schema)) {
      const at = `${pointer}/${token(keyword)}`;
      if (!PLAIN.has(keyword) && !SUBSCHEMA_KEYWORDS.has(keyword)) {
        throw refusal(field, 'schema-keyword', `the keyword ${JSON.stringify(keyword)} is not supported (at ${at})`, at);
      }
      if (IN_PLACE_ONE.includes(keyword) || CHILD_ONE.includes(keyword)) {
        expectSchema(value, at);
        if (IN_PLACE_ONE.includes(keyword)) entry.inPlace.push({ target: value, via: at });
      } else if (IN_PLACE_LIST.includes(keyword) || CHILD_LIST.includes(keyword)) {
        if (!Array.isArray(value)) throw refusal(field, 'schema-invalid', `${at} must be a list of schemas`, at);
        value.forEach((item, index) => {
          expectSchema(item, `${at}/${index}`);
          if (IN_PLACE_LIST.includes(keyword)) entry.inPlace.push({ target: item, via: `${at}/${index}` });
        });
      } else if (IN_PLACE_MAP.includes(keyword) || CHILD_MAP.includes(keyword) || DEFINITIONS.includes(keyword)) {
        if (!isObject(value)) throw refusal(field, 'schema-invalid', `${at} must be an object of schemas`, at);
        for (const [name, item] of Object.entries(value)) {
          expectSchema(item, `${at}/${token(name)}`);
          if (IN_PLACE_MAP.includes(keyword)) entry.inPlace.push({ target: item, via: `${at}/${token(name)}` });
          if (keyword === 'patternProperties') checkPattern(name, field, `${at}/${token(name)}`);
        }
      } else if (keyword === 'pattern') {
        if (typeof value === 'string') checkPattern(value, field, at);
      } else if (keyword === '$schema') {
        if (value !== DRAFT_2020_12) throw refusal(field, 'schema-dialect', `only JSON Schema draft 2020-12 is supported ($schema ${JSON.stringify(value)})`, at);
      } else if (keyword === '$ref') {
        if (typeof value !== 'string' || !value.startsWith('#')) {
          throw refusal(field, 'schema-remote-ref', `$ref ${JSON.stringify(value)} points outside the schema: only local references (#/…) are allowed`, at);
        }
        const target = resolvePointer(root, value);
        if (typeof target !== 'boolean' && !isObject(target)) throw refusal(field, 'schema-ref-unresolved', `$ref ${JSON.stringify(value)} points to no schema in it`, at);
        entry.inPlace.push({ target, via: at });
      }
    }
  }
  return located;
}

function checkPattern(pattern: string, field: string, at: string): void {
  const problem = linearPatternProblem(pattern);
  if (problem !== null) {
    throw refusal(field, 'schema-pattern', `the pattern ${JSON.stringify(pattern)} is not one the linear-time regex engine takes (no backreferences or lookaround): ${problem}`, at);
  }
}

/** A chain of $ref / allOf / not … that comes back to where it started without reading a part of the data recurses forever. */
function refuseInPlaceCycles(located: Map<object, Located>, field: string): void {
  const state = new Map<object, 'open' | 'done'>();
  for (const start of located.values()) {
    if (state.has(start.schema)) continue;
    const stack: Array<{ entry: Located; next: number }> = [{ entry: start, next: 0 }];
    state.set(start.schema, 'open');
    while (stack.length > 0) {
      const frame = stack[stack.length - 1]!;
      const edge = frame.entry.inPlace[frame.next++];
      if (!edge) {
        state.set(frame.entry.schema, 'done');
        stack.pop();
        continue;
      }
      if (!isObject(edge.target)) continue;
      const seen = state.get(edge.target);
      if (seen === 'open') {
        const loopStart = located.get(edge.target)?.pointer || '/';
        throw refusal(field, 'schema-ref-loop', `${edge.via} leads back to ${loopStart} without reading any data: a $ref loop`, edge.via);
      }
      if (seen === 'done') continue;
      const next = located.get(edge.target);
      // A $ref into `const`, `enum` or `default` would have ajv read data as a schema this walk never saw.
      if (!next) throw refusal(field, 'schema-ref-unresolved', `${edge.via} points into data, not to a schema`, edge.via);
      state.set(edge.target, 'open');
      stack.push({ entry: next, next: 0 });
    }
  }
}

export class UserSchemas {
  private readonly ajv: Ajv2020;
  private readonly cache = new Map<string, ValidateFunction>();

  constructor() {
    this.ajv = new Ajv2020({
      allErrors: true,
      // Unknown keywords and formats are refused; types and tuples are the author's business.
      strictSchema: true, strictNumbers: true, strictTypes: false, strictTuples: false, strictRequired: false,
      allowUnionTypes: true,
      // Each referenced schema its own function: no inlining that could grow with the number of paths.
      inlineRefs: false,
      unicodeRegExp: true,
      code: { regExp: linearRegExp },
      formats: linearFormats(),
      validateFormats: true,
    });
  }

  /** The validator of an author's schema, from the cache by digest; throws 400 naming what is wrong. */
  compile(schema: unknown, field: string): ValidateFunction {
    if (typeof schema !== 'boolean' && !isObject(schema)) throw refusal(field, 'schema-invalid', 'a schema is an object or a boolean', '');
    if (jsonDepth(schema, MAX_SCHEMA_DEPTH) > MAX_SCHEMA_DEPTH) {
      throw refusal(field, 'schema-too-deep', `nested deeper than ${MAX_SCHEMA_DEPTH} levels`, '');
    }
    const text = JSON.stringify(schema);
    if (Buffer.byteLength(text, 'utf8') > MAX_SCHEMA_BYTES) throw refusal(field, 'schema-too-large', `larger than ${MAX_SCHEMA_BYTES} bytes`, '');
    const digest = createHash('sha256').update(text, 'utf8').digest('hex');
    const cached = this.cache.get(digest);
    if (cached) {
      // Most recently used last, so the oldest is the first to go.
      this.cache.delete(digest);
      this.cache.set(digest, cached);
      return cached;
    }
    refuseInPlaceCycles(locateSchemas(schema, field), field);
    let validate: ValidateFunction;
    try {
      validate = this.ajv.compile(typeof schema === 'boolean' ? schema : structuredClone(schema));
    } catch (error) {
      throw refusal(field, 'schema-invalid', `not a schema the service can use: ${error instanceof Error ? error.message : String(error)}`, '');
    }
    // A compiled schema stays in ajv's own registry unless removed: the LRU here is the only cache.
    if (typeof validate.schema === 'object') this.ajv.removeSchema(validate.schema);
    this.cache.set(digest, validate);
    if (this.cache.size > CACHE_ENTRIES) this.cache.delete(this.cache.keys().next().value!);
    return validate;
  }
}
