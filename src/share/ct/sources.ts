/** Opens the log source for a log's read API. */
import type { LogSource, LogSourceOptions } from './log-source.js';
import { Rfc6962Source } from './rfc6962-source.js';
import { StaticCtSource } from './static-source.js';

export function openLogSource(options: LogSourceOptions): LogSource {
  return options.api === 'static-ct-api' ? new StaticCtSource(options) : new Rfc6962Source(options);
}
