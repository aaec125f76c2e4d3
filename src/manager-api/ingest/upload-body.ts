/**
 * The upload's JSON body, read in the ingest thread rather than on the main thread: an upload of
 * a few hundred leaves is about a megabyte of JSON, and parsing it, checking it against the schema
 * and copying the parsed items to the thread cost the main thread more than every ping, completion
 * and instruction around it. The thread receives the bytes as they arrived and answers exactly as
 * the route would have: the same parser guards, the same schema with the same validator options,
 * the same messages and codes.
 *
 * Two shortcuts keep a megabyte cheap without changing any answer:
 * - The guard against `__proto__` and `constructor` keys scans the whole text twice. It runs only
 *   when the schema refuses the body: the schema allows no key but its own, so a body it accepts
 *   holds neither, and one it refuses gets the guard's answer first, as before.
 * - Length limits count characters, which takes a walk over every string (a leaf is kilobytes).
 *   In a body of ASCII without `\u` escapes, every string's length is its count of characters, so
 *   a validator that takes `.length` answers the same; any other body gets the counting one.
 */
import { isAscii } from 'node:buffer';
import parseJson from 'secure-json-parse';
import { uploadRequestSchema, type UploadItem } from '../../share/api/index.js';
import { badRequest } from '../errors.js';
import { bodyValidator, formatSchemaError } from '../validation.js';

/** The codes and messages the other routes' JSON parser answers with, so that every route refuses a bad body alike. */
const EMPTY_BODY = { code: 'FST_ERR_CTP_EMPTY_JSON_BODY', message: "Body cannot be empty when content-type is set to 'application/json'" };
const NOT_JSON = { code: 'FST_ERR_CTP_INVALID_JSON_BODY', message: "Body is not valid JSON but content-type is set to 'application/json'" };
const BYTE_ORDER_MARK = 0xfeff;

const validUpload = bodyValidator<UploadItem[]>(uploadRequestSchema);
const validAsciiUpload = bodyValidator<UploadItem[]>(uploadRequestSchema, { lengthIsCharacters: true });

/** Parse and check an upload body; throws the 400 the route sends. */
export function readUploadBody(body: Uint8Array): UploadItem[] {
  if (body.length === 0) throw badRequest(EMPTY_BODY.code, EMPTY_BODY.message);
  const bytes = Buffer.from(body.buffer, body.byteOffset, body.length);
  let text = bytes.toString('utf8');
  if (text.charCodeAt(0) === BYTE_ORDER_MARK) text = text.slice(1);
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    throw badRequest(NOT_JSON.code, NOT_JSON.message);
  }
  const valid = isAscii(bytes) && !text.includes('\\u') ? validAsciiUpload : validUpload;
  if (valid(data)) return data;
  try {
    // Keys like __proto__ and constructor.prototype are refused as the parser refuses them.
    parseJson(text, { protoAction: 'error', constructorAction: 'error' });
  } catch {
    throw badRequest(NOT_JSON.code, NOT_JSON.message);
  }
  throw badRequest('INVALID_REQUEST', formatSchemaError(valid.errors ?? [], 'body').message);
}
