// Per category and per log: certificates, target range and its coverage, availability, rate, ETA.
import type { LogStatus } from '../../../share/api/index.js';
import { coverage, groupByCategory, logEta, type CategoryGroup } from '../derive.js';
import { formatCount, formatDuration, formatRange, formatRate } from '../format.js';
import { useLang } from './context.js';
import { CoverageBar, CoverageLegend, coveragePercent } from './CoverageBar.js';

function Eta({ seconds }: { seconds: number | null }) {
  const { t } = useLang();
  if (seconds === 0) return <>{t('done')}</>;
  return <>{seconds === null ? '–' : formatDuration(seconds, t)}</>;
}

/**
 * How workers read the log, when it is not plain get-entries: a shut-down log from a mirror or its
 * zip archives, a tiled (static-ct-api) log, or an RFC 6962 log that also serves data tiles.
 */
function ReadBadge({ log }: { log: LogStatus }) {
  const { t } = useLang();
  if (log.read_from === 'mirror' || log.read_from === 'archive') {
    return (
      <span class="pill pill-api" data-read-from={log.read_from} title={`${t(log.read_from === 'mirror' ? 'mirrorHint' : 'archiveHint')}: ${log.read_url ?? ''}`}>
        {t(log.read_from === 'mirror' ? 'fromMirror' : 'fromArchive')}
      </span>
    );
  }
  if (log.api === 'static-ct-api') {
    return (
      <span class="pill pill-api" data-api="static-ct-api" title={t('tiledHint')}>
        {t('tiled')}
      </span>
    );
  }
  if (log.data_tiles) {
    return (
      <span class="pill pill-api" data-api="data-tiles" title={t('dataTilesHint')}>
        {t('dataTiles')}
      </span>
    );
  }
  return null;
}

function LogRow({ log }: { log: LogStatus }) {
  const { lang, t } = useLang();
  const c = coverage(log);
  return (
    <li class={`log ${log.available ? '' : 'log-down'}`} data-log={log.name}>
      <div class="log-head">
        <span class="log-name" title={log.url}>
          {log.name}
        </span>
        <ReadBadge log={log} />
        <span class={`pill ${log.available ? 'pill-ok' : log.shut_down ? '' : 'pill-bad'}`} title={log.last_error ?? undefined}>
          {log.available ? t('available') : log.shut_down ? t('shutDown') : t('unavailable')}
        </span>
        <span class="log-certs" data-certificates={log.certificates}>
          {formatCount(log.certificates, lang)} <small>{t('certificates')}</small>
        </span>
      </div>
      <CoverageBar coverage={c} label={log.name} />
      <div class="log-meta">
        <span>
          {t('targetRange')}: {formatRange(log.target_start, log.target_end, lang, t)}
        </span>
        <span>{coveragePercent(c)}</span>
        <span>
          {t('rate')}: {formatRate(log.rate, lang, t)}
        </span>
        <span>
          {t('eta')}: <Eta seconds={logEta(log)} />
        </span>
        <span title={t('verifiedHint')} data-verified={log.verified}>
          {t('verified')}: {formatCount(log.verified, lang)}
        </span>
        {log.verification_failures > 0 && (
          <span class="pill pill-bad" role="alert" title={t('verificationFailuresHint')} data-verification-failures={log.verification_failures}>
            {formatCount(log.verification_failures, lang)} {t('verificationFailures')}
          </span>
        )}
      </div>
    </li>
  );
}

function Category({ group }: { group: CategoryGroup }) {
  const { lang, t } = useLang();
  return (
    <details class="category" open data-category={group.category}>
      <summary>
        <div class="log-head">
          <span class="category-name">{group.category}</span>
          <span class="muted">
            {group.available}/{group.logs.length} {t('available')}
          </span>
          <span class="log-certs">
            {formatCount(group.certificates, lang)} <small>{t('certificates')}</small>
          </span>
        </div>
        <CoverageBar coverage={group.coverage} label={group.category} />
        <div class="log-meta">
          <span>{coveragePercent(group.coverage)}</span>
          <span>
            {t('rate')}: {formatRate(group.rate, lang, t)}
          </span>
          <span>
            {t('eta')}: <Eta seconds={group.eta} />
          </span>
        </div>
      </summary>
      <ul class="logs">
        {group.logs.map((l) => (
          <LogRow key={l.name} log={l} />
        ))}
      </ul>
    </details>
  );
}

export function Logs({ logs }: { logs: LogStatus[] }) {
  const { t } = useLang();
  return (
    <section class="card" aria-labelledby="logs-h">
      <h2 id="logs-h">{t('logs')}</h2>
      <CoverageLegend />
      {groupByCategory(logs).map((g) => (
        <Category key={g.category} group={g} />
      ))}
    </section>
  );
}
