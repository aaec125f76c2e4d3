// Per category and per log: certificates, target range and its coverage, availability, rates, ETA,
// and the leases whose range waits for a silent worker to be declared dead.
import type { CategoryStatus, LogStatus, StalledLease } from '../../../share/api/index.js';
import { coverage, groupByCategory, type CategoryGroup } from '../derive.js';
import { formatCount, formatDuration, formatRange, formatRate } from '../format.js';
import { useLang } from './context.js';
import { CoverageBar, CoverageLegend, coveragePercent } from './CoverageBar.js';

function Eta({ seconds }: { seconds: number | null }) {
  const { t } = useLang();
  if (seconds === 0) return <>{t('done')}</>;
  return <>{seconds === null ? '–' : formatDuration(seconds, t)}</>;
}

/** The manager's figures, in the same words at every level (and in the overview): now, last hour, ETA. */
function Rates({ rates }: { rates: Pick<CategoryStatus, 'rate' | 'rate_last_hour' | 'eta_s'> }) {
  const { lang, t } = useLang();
  return (
    <>
      <span data-rate-now={rates.rate}>
        {t('rateNow')}: {formatRate(rates.rate, lang, t)}
      </span>
      <span data-rate-hour={rates.rate_last_hour}>
        {t('rateHour')}: {formatRate(rates.rate_last_hour, lang, t)}
      </span>
      <span data-eta-s={rates.eta_s ?? ''}>
        {t('eta')}: <Eta seconds={rates.eta_s} />
      </span>
    </>
  );
}

/**
 * A silent worker's range does not move until the reaper declares the worker dead (dead-after):
 * say so, or the end of a collection looks stuck for minutes without a reason.
 */
function Stalled({ leases }: { leases: StalledLease[] }) {
  const { t } = useLang();
  if (leases.length === 0) return null;
  return (
    <ul class="stalled">
      {leases.map((l) => (
        <li key={l.lease_id} class="muted" data-stalled-lease={l.lease_id} data-dead-in-s={l.dead_in_s} title={`${l.worker_id}: ${l.silent_s} s`}>
          {t('stalledLease').replace('{friend}', l.friend_name).replace('{seconds}', String(l.dead_in_s))}
        </li>
      ))}
    </ul>
  );
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
        <Rates rates={log} />
        <span title={t('verifiedHint')} data-verified={log.verified}>
          {t('verified')}: {formatCount(log.verified, lang)}
        </span>
        {log.verification_failures > 0 && (
          <span class="pill pill-bad" role="alert" title={t('verificationFailuresHint')} data-verification-failures={log.verification_failures}>
            {formatCount(log.verification_failures, lang)} {t('verificationFailures')}
          </span>
        )}
      </div>
      <Stalled leases={log.stalled_leases} />
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
          <Rates rates={group.rates} />
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

export function Logs({ logs, categories }: { logs: LogStatus[]; categories: CategoryStatus[] }) {
  const { t } = useLang();
  return (
    <section class="card" aria-labelledby="logs-h">
      <h2 id="logs-h">{t('logs')}</h2>
      <CoverageLegend />
      {groupByCategory(logs, categories).map((g) => (
        <Category key={g.category} group={g} />
      ))}
    </section>
  );
}
