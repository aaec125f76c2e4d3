// Per category and per log: certificates, target range and its coverage, availability, rates, ETA,
// the leases whose range waits for a silent worker to be declared dead, and the log's audits: what
// scanning ranges twice costs, and the ranges and certificates not proven or held in quarantine.
import type { CategoryStatus, LogAudit, LogStatus, StalledLease } from '../../../share/api/index.js';
import { auditFactText, auditFacts, coverage, groupByCategory, type CategoryGroup } from '../derive.js';
import { fill, formatCount, formatDuration, formatPercent, formatRange, formatRate } from '../format.js';
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
 * The audit cost, always (the share of the log's scanned entries read a second time), then only the
 * figures that are not zero: a clean log's lane gains a few words, a log with trouble says what.
 */
function AuditFigures({ audit }: { audit: LogAudit }) {
  const { lang, t } = useLang();
  const hint = fill(t('scannedTwiceHint'), {
    audited: formatCount(audit.audited_entries, lang),
    rescanned: formatCount(audit.rescanned_entries, lang),
    confirmed: formatCount(audit.confirmed_audits, lang),
  });
  return (
    <>
      <span title={hint} data-twice-share={audit.twice_share}>
        {fill(t('scannedTwice'), { share: formatPercent(audit.twice_share) })}
      </span>
      {auditFacts(audit).map((f) => (
        <span
          key={f.key}
          class={`pill ${f.tone === 'bad' ? 'pill-bad' : f.tone === 'attention' ? 'pill-attention' : ''}`}
          title={t(f.hint)}
          data-audit={f.key}
          data-count={f.count}
        >
          {auditFactText(f, lang, t)}
        </span>
      ))}
    </>
  );
}

/** Ranges nobody will scan again (no verified proof after the last try), with the manager's reason. */
function GivenUp({ ranges }: { ranges: LogAudit['given_up'] }) {
  const { lang, t } = useLang();
  if (ranges.length === 0) return null;
  return (
    <ul class="given-up">
      {ranges.map((r, i) => (
        <li key={i} class="muted" data-given-up={`${r.start}-${r.end}`}>
          {fill(t('givenUpRange'), { start: formatCount(r.start, lang), end: formatCount(r.end, lang), reason: r.reason })}
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
        <AuditFigures audit={log.audit} />
      </div>
      <Stalled leases={log.stalled_leases} />
      <GivenUp ranges={log.audit.given_up} />
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
