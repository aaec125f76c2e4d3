/** Opens the log source for a log's read API, or for its zip archives. */
import { ArchiveSource } from './archive-source.js';
import type { LogSource, LogSourceOptions } from './log-source.js';
import { Rfc6962Source } from './rfc6962-source.js';
import { StaticCtSource } from './static-source.js';

export function openLogSource(options: LogSourceOptions): LogSource {
  if (options.archives && options.archives.length > 0) return new ArchiveSource(options);
  return options.api === 'static-ct-api' ? new StaticCtSource(options) : new Rfc6962Source(options);
}
