// Every JSON Schema of contracts/ compiled once at start-up; the same schemas feed the OpenAPI
// document, so validation and documentation cannot drift apart.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { ValidationError } from '../errors.js';
import { CONTRACTS_DIR } from '../paths.js';
import type { components } from './types.gen.js';
import { UserSchemas } from './user-schemas.js';

const addFormats = addFormatsModule as unknown as (ajv: Ajv2020) => Ajv2020;

type Schemas = components['schemas'];

/** A contract's file name (`run_skill.json`); each is a component of the OpenAPI document. */
export type SchemaId = `${keyof Schemas & string}.json`;

/** The TypeScript type of a contract, generated from its schema (types.gen.ts). */
export type Contract<Id extends SchemaId> = Schemas[Id extends `${infer Name}.json` ? Name & keyof Schemas : never];

export interface Contracts {
  /** Throws ContractViolation (400 validation_failed) with the ajv errors in `details.errors` when `value` does not match; else `value`, typed by its schema. */
  assert<Id extends SchemaId>(schemaId: Id, value: unknown, what?: string): Contract<Id>;
  /**
   * Compiles an author's schema (a skill's input_schema or output_schema, named by `field`) under the
   * bounds of user-schemas.ts; cached by digest. Throws ValidationError (400) naming the problem.
   */
  compile(schema: unknown, field: string): ValidateFunction;
  /** The raw schema documents, by $id, for the OpenAPI document. */
  readonly schemas: ReadonlyMap<string, object>;
}

export function describeErrors(errors: ErrorObject[] | null | undefined): Array<{ path: string; message: string }> {
  return (errors ?? []).map((e) => ({
    path: e.instancePath || '/',
    message: `${e.message ?? 'is invalid'}${e.params && 'additionalProperty' in e.params ? `: ${String(e.params.additionalProperty)}` : ''}`,
  }));
}

/**
 * A value that breaks one of our contracts: 400, and (for the audit line) where in the schema it
 * broke: each error's schema path, which ends with its keyword (`#/properties/name/type`) and holds
 * nothing of the value.
 */
export class ContractViolation extends ValidationError {
  constructor(message: string, details: Record<string, unknown>, readonly schemaPaths: string[]) {
    super(message, details);
  }
}

/**
 * `"refuse_boolean": "<what to write instead>"`: a field that was once a boolean says, when given one,
 * what it takes now (manifest permissions.network), instead of a bare "must be array".
 */
/** The keywords this service adds to JSON Schema; the OpenAPI document shows them as `x-` extensions. */
export const CUSTOM_KEYWORDS = ['refuse_boolean'] as const;

function addRefuseBoolean(ajv: Ajv2020): void {
  const validate = (hint: string, data: unknown): boolean => {
    if (typeof data !== 'boolean') return true;
    validate.errors = [{ keyword: 'refuse_boolean', message: hint, params: {} }];
    return false;
  };
  validate.errors = undefined as Array<Partial<ErrorObject>> | undefined;
  ajv.addKeyword({ keyword: 'refuse_boolean', schemaType: 'string', errors: true, validate });
}

/**
 * `compileAll: false` compiles each contract at its first use instead of now: for the start-up's
 * configuration check, which needs one contract and should not wait for the rest.
 */
export function loadContracts(dir: string = CONTRACTS_DIR, { compileAll = true } = {}): Contracts {
  const ajv = new Ajv2020({ allErrors: true, strict: true, allowUnionTypes: true });
  addFormats(ajv);
  addRefuseBoolean(ajv);
  const schemas = new Map<string, object>();
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.json')).sort()) {
    const schema = JSON.parse(readFileSync(path.join(dir, file), 'utf8')) as { $id?: string };
    const id = schema.$id ?? file;
    schemas.set(id, schema);
    ajv.addSchema(schema, id);
  }
  // ajv compiles on first use: compile every contract now, so one that strict mode refuses stops the
  // start instead of turning a request into a 500.
  if (compileAll) for (const id of schemas.keys()) ajv.getSchema(id);
  // A separate instance for skill-supplied schemas: they are user data, not our contract.
  const userSchemas = new UserSchemas();
  const validator = (schemaId: string): ValidateFunction => {
    const validate = ajv.getSchema(schemaId);
    if (!validate) throw new Error(`unknown contract ${schemaId}`);
    return validate;
  };

  return {
    schemas,
    assert<Id extends SchemaId>(schemaId: Id, value: unknown, what = 'request body'): Contract<Id> {
      const validate = validator(schemaId);
      if (!validate(value)) {
        const schemaPaths = (validate.errors ?? []).map((e) => e.schemaPath ?? `#/${e.keyword}`);
        throw new ContractViolation(`${what} does not match ${schemaId}`, { errors: describeErrors(validate.errors) }, schemaPaths);
      }
      // ajv has just checked `value` against the schema this type was generated from.
      return value as Contract<Id>;
    },
    compile: (schema, field) => userSchemas.compile(schema, field),
  };
}
