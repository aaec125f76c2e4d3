/**
 * Loads the real CT test data (test/data/ct-real, see its README) together
 * with the expected value of every field, item by item.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export const CT_REAL_DIR = join(import.meta.dirname, '..', 'data', 'ct-real');

export interface ExpectedItem {
  file: string;
  index_in_file: number;
  entry_type: string;
  log: string | null;
  log_index: number | null;
  [field: string]: unknown;
}

export interface RealEntry {
  expected: ExpectedItem;
  leafInput: Buffer;
  extraData: Buffer;
}

export interface RealCertificate {
  expected: ExpectedItem;
  der: Buffer;
}

export function loadExpected(): { items: ExpectedItem[]; tree_heads: Record<string, unknown> } {
  return JSON.parse(readFileSync(join(CT_REAL_DIR, 'expected.json'), 'utf8'));
}

function entriesOf(file: string): { leaf_input: string; extra_data: string }[] {
  const body = JSON.parse(readFileSync(join(CT_REAL_DIR, file), 'utf8'));
  return Array.isArray(body.entries) ? body.entries : [body];
}

/** Every log leaf of the test data with its expected fields. */
export function loadRealEntries(): RealEntry[] {
  return loadExpected()
    .items.filter((it) => it.file.startsWith('entries/'))
    .map((expected) => {
      const e = entriesOf(expected.file)[expected.index_in_file];
      return { expected, leafInput: Buffer.from(e.leaf_input, 'base64'), extraData: Buffer.from(e.extra_data, 'base64') };
    });
}

/** DER of a stand-alone certificate file (PEM after an optional text dump, or plain DER). */
export function readCertificateFile(file: string): Buffer {
  const raw = readFileSync(join(CT_REAL_DIR, file));
  const text = raw.toString('latin1');
  const m = /-----BEGIN CERTIFICATE-----([\s\S]*?)-----END CERTIFICATE-----/.exec(text);
  return m ? Buffer.from(m[1].replace(/\s+/g, ''), 'base64') : raw;
}

/** Every stand-alone certificate of the test data with its expected fields. */
export function loadRealCertificates(): RealCertificate[] {
  return loadExpected()
    .items.filter((it) => it.file.startsWith('certs/'))
    .map((expected) => ({ expected, der: readCertificateFile(expected.file) }));
}
