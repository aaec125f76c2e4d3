/**
 * How every ctjp program reads its settings. A program declares each setting once, in a table: its
 * flag, its CTJP_* variable, its default, the parser of its text and its --help line. A flag wins over
 * its variable, which wins over the default; an empty value counts as none (compose files pass unset
 * variables as ""). Errors are ConfigErrors that name the flag or the variable the bad value came from.
 */
import { parseArgs } from 'node:util';
import { contactProblem } from './contact.js';

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** Reads a setting's text; `name` is how messages call it: the flag or the variable the text came from. */
export type Parser<T> = (text: string, name: string) => T;

export interface Setting<T> {
  /** The flag without its dashes: `port` is --port. */
  flag: string;
  /** The CTJP_* variable; none for a flag-only setting. */
  env?: string;
  /** The value's placeholder in --help (`N`, `URL`); none for a switch: a flag without a value, and its variable 1 or 0. */
  arg?: string;
  /** The --help text; a line break starts a new line. */
  help: string;
  /** The default's text, read by the same parser; none: the value is undefined unless given. */
  default?: string;
  /** How --help shows the default when `default` does not say it (a default the program derives, a switch's off). */
  shownDefault?: string;
  /** The flag may be repeated and the variable holds a comma-separated list; the value is the list. */
  multiple?: boolean;
  /** --help says so; the program refuses to run without it. */
  required?: boolean;
  parse: Parser<T>;
}

export type SettingTable = Record<string, Setting<unknown>>;

/** What a command line asks for: the help text, or a run with these settings. */
export type Command<C> = { kind: 'help' } | { kind: 'run'; config: C };

/** A setting's value: a list for a repeatable one, undefined for one without a default that was not given. */
type ValueOf<S> = S extends { parse: Parser<infer T> } ? (S extends { multiple: true } ? T[] : S extends { default: string } ? T : T | undefined) : never;

export type SettingValues<S extends SettingTable> = { [K in keyof S]: ValueOf<S[K]> };

/** Options that are not settings (subcommand flags, --version): read by parseArgs, passed through as is. */
export type ExtraOptions = Record<string, { type: 'string' | 'boolean'; short?: string }>;

export interface ReadSettings<S extends SettingTable> {
  values: SettingValues<S>;
  /** How messages name a setting: its flag when the flag was given, else its variable. */
  source(key: keyof S): string;
  /** --help or -h was given: nothing has been checked, since a program prints its help whatever else is wrong. */
  help: boolean;
  extra: Record<string, string | boolean | undefined>;
  positionals: string[];
}

function blankToUndefined(text: string | undefined): string | undefined {
  const t = text?.trim();
  return t === undefined || t === '' ? undefined : t;
}

/** Parse argv (without node and the script) and the environment by the table. */
export function readSettings<S extends SettingTable>(
  table: S,
  argv: string[],
  env: NodeJS.ProcessEnv,
  { extraOptions = {}, positionals = false }: { extraOptions?: ExtraOptions; positionals?: boolean } = {},
): ReadSettings<S> {
  const options: Record<string, { type: 'string' | 'boolean'; multiple?: boolean; short?: string }> = { help: { type: 'boolean', short: 'h' }, ...extraOptions };
  for (const s of Object.values(table)) options[s.flag] = { type: s.arg === undefined ? 'boolean' : 'string', multiple: s.multiple === true };
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options, allowPositionals: positionals, allowNegative: true, strict: true });
  } catch (err) {
    throw new ConfigError(`${(err as Error).message} (see --help)`);
  }
  const flags = parsed.values as Record<string, string | boolean | string[] | undefined>;
  const extra: Record<string, string | boolean | undefined> = {};
  for (const name of Object.keys(extraOptions)) extra[name] = flags[name] as string | boolean | undefined;
  const flagText = (s: Setting<unknown>): string | string[] | undefined => {
    const f = flags[s.flag];
    if (typeof f === 'boolean') return f ? '1' : '0';
    if (Array.isArray(f)) return f.length > 0 ? f : undefined;
    return blankToUndefined(f);
  };
  const source = (key: keyof S): string => {
    const s = table[key];
    return flagText(s) !== undefined || s.env === undefined ? `--${s.flag}` : s.env;
  };
  const values: Record<string, unknown> = {};
  if (!flags.help) {
    for (const [key, s] of Object.entries(table)) {
      const given = flagText(s) ?? blankToUndefined(s.env === undefined ? undefined : env[s.env]);
      const name = source(key);
      if (s.multiple) {
        const items = typeof given === 'string' ? given.split(',') : (given ?? []);
        values[key] = items.map((i) => i.trim()).filter((i) => i !== '').map((i) => s.parse(i, name));
      } else {
        const text = (given as string | undefined) ?? s.default;
        values[key] = text === undefined ? undefined : s.parse(text, name);
      }
    }
  }
  return { values: values as SettingValues<S>, source, help: flags.help === true, extra, positionals: parsed.positionals };
}

/** The refusal of a required setting that was not given. */
export function missing(s: Setting<unknown>): ConfigError {
  return new ConfigError(`--${s.flag}${s.env ? ` (or ${s.env})` : ''} is required: ${s.help.split('\n')[0]} (see --help)`);
}

/** The settings' part of --help, one entry per setting: flag and variable, then the text and the default. */
export function settingsHelp(table: SettingTable): string {
  const lines: string[] = [];
  for (const s of Object.values(table)) {
    const flag = `--${s.flag}${s.arg === undefined ? '' : ` ${s.arg}`}${s.multiple ? ' (repeatable)' : ''}`;
    const variable = s.env === undefined ? '' : `${s.env}${s.arg === undefined ? '=1' : ''}${s.multiple ? ' (comma-separated)' : ''}`;
    lines.push(`  ${flag.padEnd(32)} ${variable}`.trimEnd());
    const defaultText = s.shownDefault ?? s.default;
    const shown = s.required ? 'required' : defaultText === undefined ? undefined : `default: ${defaultText}`;
    const text = shown === undefined ? s.help : `${s.help} (${shown})`;
    for (const line of text.split('\n')) lines.push(`      ${line}`);
  }
  lines.push(`  ${'--help, -h'.padEnd(32)} this text`);
  return lines.join('\n');
}

// The shared parsers. Each names the setting and repeats the bad value in its refusal.

export const text: Parser<string> = (t) => t;

/** A whole number in [min, max], times `unit` (e.g. 1000 for seconds read into milliseconds). */
export function integer(min: number, max: number, unit = 1): Parser<number> {
  return (t, name) => {
    if (!/^\d+$/.test(t.trim())) throw new ConfigError(`${name} must be a whole number (got "${t}")`);
    const n = Number(t);
    if (n < min || n > max) throw new ConfigError(`${name} must lie in [${min}, ${max}] (got ${n})`);
    return n * unit;
  };
}

/** A duration given in whole seconds, in [min, max] seconds, read into milliseconds. */
export function secondsAsMs(min: number, max: number): Parser<number> {
  return integer(min, max, 1000);
}

export const boolean: Parser<boolean> = (t, name) => {
  if (/^(1|true|yes|on)$/i.test(t.trim())) return true;
  if (/^(0|false|no|off)$/i.test(t.trim())) return false;
  throw new ConfigError(`${name} must be 1 or 0 (got "${t}")`);
};

export function oneOf<const V extends string>(choices: readonly V[]): Parser<V> {
  return (t, name) => {
    if ((choices as readonly string[]).includes(t)) return t as V;
    throw new ConfigError(`${name} must be one of ${choices.join(', ')} (got "${t}")`);
  };
}

/** An http(s) URL, as a base without its trailing slashes. */
export const httpUrl: Parser<string> = (t, name) => {
  let url: URL;
  try {
    url = new URL(t);
  } catch {
    throw new ConfigError(`${name} "${t}" is not a URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new ConfigError(`${name} "${t}" must start with http:// or https://`);
  return url.href.replace(/\/+$/, '');
};

/** The contact that CT log operators see in the User-Agent: an e-mail address or an https URL. */
export const contact: Parser<string> = (t, name) => {
  const why = contactProblem(t);
  if (why !== null) throw new ConfigError(`${name} "${t.slice(0, 80)}" ${why}`);
  return t;
};

/** Text kept as given once a check that throws plain errors accepts it; a refusal names the setting before the check's words. */
export function checkedBy(check: (text: string) => unknown): Parser<string> {
  return (t, name) => {
    try {
      check(t);
      return t;
    } catch (err) {
      throw new ConfigError(`${name}: ${(err as Error).message}`);
    }
  };
}

export interface Fraction {
  numerator: number;
  denominator: number;
  text: string;
}

/** A fraction in (0, 1]: `1/31` or a decimal like `0.05`. */
export function parseFraction(t: string, name = 'fraction'): Fraction {
  const trimmed = t.trim();
  let numerator: number;
  let denominator: number;
  const m = /^(\d+)\s*\/\s*(\d+)$/.exec(trimmed);
  if (m) {
    numerator = Number(m[1]);
    denominator = Number(m[2]);
  } else if (/^(0|1)?\.\d{1,9}$|^1$/.test(trimmed)) {
    const [, decimals = ''] = trimmed.split('.');
    denominator = 10 ** decimals.length;
    numerator = Math.round(Number(trimmed) * denominator);
  } else {
    throw new ConfigError(`${name} must be like 1/31 or 0.05 (got "${t}")`);
  }
  if (!(denominator > 0) || !(numerator > 0) || numerator > denominator) throw new ConfigError(`${name} must lie in (0, 1] (got "${t}")`);
  return { numerator, denominator, text: trimmed };
}

/** A share in [0, 1]: `0.02`, `2%` or `1/50`; 0 is allowed (no share at all). */
export function parseShare(t: string, name: string): number {
  const trimmed = t.trim();
  const percent = /^(\d{1,3}(?:\.\d{1,7})?)\s*%$/.exec(trimmed);
  if (percent) {
    const n = Number(percent[1]);
    if (n > 100) throw new ConfigError(`${name} must lie in [0%, 100%] (got "${t}")`);
    return n / 100;
  }
  if (/^0(\.0*)?$|^0\s*\/\s*\d+$/.test(trimmed) && !/\/\s*0+$/.test(trimmed)) return 0;
  try {
    const f = parseFraction(trimmed, name);
    return f.numerator / f.denominator;
  } catch {
    throw new ConfigError(`${name} must be a share in [0, 1] like 0.02, 2% or 1/50 (got "${t}")`);
  }
}
