/**
 * Request validators, one Ajv per kind of input. A JSON body is checked as sent: its types are never
 * coerced, so a mistyped field is a 400. Query strings and path parameters arrive as text, so they
 * are coerced to the types their schemas name (`?days=7` becomes the integer 7) before the handler
 * sees them. Unknown fields are refused everywhere, not removed.
 */
import { Ajv, type ErrorObject, type Options, type ValidateFunction } from 'ajv';
import ajvFormats from 'ajv-formats';
import type { FastifySchemaCompiler } from 'fastify';

const common: Options = { removeAdditional: false, useDefaults: true, allErrors: false, addUsedSchema: false };

function ajv(options: Options): Ajv {
  const instance = new Ajv({ ...common, ...options });
  // The package is CommonJS: under Node's ESM its function is also reachable as `.default`, which is what the types describe.
  ajvFormats.default(instance);
  return instance;
}

/** How a refused input is named in the 400's message: `body/1/index must be integer`, with the unknown field when there is one. */
export function formatSchemaError(errors: readonly ErrorObject[], dataVar: string): Error {
  const e = errors[0];
  const extra = (e.params as { additionalProperty?: string }).additionalProperty;
  return new Error(`${dataVar}${e.instancePath} ${e.message ?? 'is invalid'}${extra ? `: "${extra}"` : ''}`);
}

/**
 * A body validator outside a route (the upload's body is checked in its ingest thread), with the
 * routes' options. `lengthIsCharacters`: string lengths are taken as `.length` rather than counted
 * in characters, which is the same answer only for strings without surrogate pairs: the caller
 * makes sure of that.
 */
export function bodyValidator<T>(schema: object, o: { lengthIsCharacters?: boolean } = {}): ValidateFunction<T> {
  // The option is deprecated because counting characters is the right default; it is what the caller needs here.
  return ajv({ coerceTypes: false, ...(o.lengthIsCharacters ? { unicode: false, logger: false } : {}) }).compile<T>(schema);
}

export function requestValidatorCompiler(): FastifySchemaCompiler<object> {
  const strict = ajv({ coerceTypes: false });
  const coercing = ajv({ coerceTypes: true });
  return ({ schema, httpPart }) => (httpPart === 'body' ? strict : coercing).compile(schema);
}
