/** Limits of the manager API, shared so that the worker can stay within them. */
export const NAME_MAX = 64;
export const CATEGORY_MAX = 32;
export const VERSION_MAX = 32;
export const URL_MAX = 512;
/** Items per upload request. */
export const UPLOAD_MAX_ITEMS = 1000;
/** A CT leaf holding a large certificate stays well under 64 KiB; base64 adds a third. */
export const LEAF_INPUT_MAX_CHARS = 96 * 1024;
/** Upload request body limit in bytes. */
export const UPLOAD_MAX_BODY_BYTES = 32 * 1024 * 1024;
/** Leases reported in one ping or termination. */
export const LEASES_PER_REPORT_MAX = 64;
/** Largest index or counter accepted (2^53 - 1: exact in JSON and JavaScript). */
export const INDEX_MAX = Number.MAX_SAFE_INTEGER;
/** Header carrying a worker's credential: `Authorization: Bearer <token>`. */
export const AUTH_SCHEME = 'Bearer';
/** Longest reason a worker may give for a lease verification that failed or could not be done. */
export const VERIFICATION_REASON_MAX = 500;
/**
 * CT timestamps a worker may report (ms since the epoch): from 2009-01-01, before any CT log, to
 * 2100-01-01. Anything outside is garbage, refused with a 400 naming the field.
 */
export const CT_TIMESTAMP_MIN = Date.UTC(2009, 0, 1);
export const CT_TIMESTAMP_MAX = Date.UTC(2100, 0, 1);
