/**
 * The upload's JSON body, read in the ingest thread rather than on the main thread: an upload of
 * a few hundred leaves is about a megabyte of JSON, and parsing it, checking it against the schema
 * and copying the parsed items to the thread cost the main thread more than every ping, completion
 * and instruction around it. The thread receives the bytes as they arrived and answers exactly as
 * the route would have: the same parser with the same guards, the same schema with the same
 * validator options, the same messages and codes.
 */
import parseJson from 'secure-json-parse';
import { uploadRequestSchema, type UploadItem } from '../../share/api/index.js';
import { badRequest } from '../errors.js';
import { bodyValidator, formatSchemaError } from '../validation.js';

/** The codes and messages the other routes' JSON parser answers with, so that every route refuses a bad body alike. */
const EMPTY_BODY = { code: 'FST_ERR_CTP_EMPTY_JSON_BODY', message: "Body cannot be empty when content-type is set to 'application/json'" };
const NOT_JSON = { code: 'FST_ERR_CTP_INVALID_JSON_BODY', message: "Body is not valid JSON but content-type is set to 'application/json'" };

const validUpload = bodyValidator<UploadItem[]>(uploadRequestSchema);

/** Parse and check an upload body; throws the 400 the route sends. */
export function readUploadBody(body: Uint8Array): UploadItem[] {
  if (body.length === 0) throw badRequest(EMPTY_BODY.code, EMPTY_BODY.message);
  let data: unknown;
  try {
    // Keys like __proto__ and constructor.prototype are refused, not merely ignored.
    data = parseJson(Buffer.from(body.buffer, body.byteOffset, body.length), { protoAction: 'error', constructorAction: 'error' });
  } catch {
    throw badRequest(NOT_JSON.code, NOT_JSON.message);
  }
  if (!validUpload(data)) throw badRequest('INVALID_REQUEST', formatSchemaError(validUpload.errors ?? [], 'body').message);
  return data;
}
