/**
 * TypeBox builders for the shapes the published schemas spell differently from TypeBox's defaults:
 * a nullable value as a type array (not anyOf), a string enum as `enum` (not anyOf of consts) and a
 * map as `additionalProperties` (not patternProperties). The OpenAPI document and the validators
 * stay as they were, and each builder still gives the TypeScript type.
 */
import { Type, type Static, type TSchema, type TSchemaOptions, type TUnsafe } from 'typebox';

/** `{ type: [<type>, 'null'] }`: the value, or null. */
export function nullable<T extends TSchema>(schema: T, options: TSchemaOptions = {}): TUnsafe<Static<T> | null> {
  const { type } = schema as { type?: unknown };
  if (typeof type !== 'string') throw new TypeError('nullable() takes a schema of one type');
  return Type.Unsafe<Static<T> | null>({ ...schema, type: [type, 'null'], ...options });
}

/** `{ type: 'string', enum: [...] }`: one of the values. */
export function stringEnum<const V extends readonly string[]>(values: V, options: TSchemaOptions = {}): TUnsafe<V[number]> {
  return Type.Unsafe<V[number]>({ type: 'string', enum: values, ...options });
}

/** An object whose every property, whatever its name, is `schema`. */
export function mapOf<T extends TSchema>(schema: T, options: TSchemaOptions = {}): TUnsafe<Record<string, Static<T>>> {
  return Type.Unsafe<Record<string, Static<T>>>({ type: 'object', additionalProperties: schema, ...options });
}

/** An object the schema leaves open; `T` names what it holds where the code knows more. */
export function openObject<T = Record<string, unknown>>(options: TSchemaOptions = {}): TUnsafe<T> {
  return Type.Unsafe<T>({ type: 'object', additionalProperties: true, ...options });
}
