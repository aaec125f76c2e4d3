// The headline figures: what has been collected, how fast, and when the target ranges will be done;
// workers an audit flagged and what is held in quarantine, when there are any.
import type { StatusResponse } from '../../../share/api/index.js';
import { overview } from '../derive.js';
import { fill, formatCompact, formatCount, formatDuration, formatPercent, formatRate } from '../format.js';
import { useLang } from './context.js';

function Stat({ label, value, hint, id }: { label: string; value: string; hint?: string; id: string }) {
  return (
    <div class="stat" data-stat={id}>
      <div class="stat-label">{label}</div>
      <div class="stat-value">{value}</div>
      {hint && <div class="stat-hint">{hint}</div>}
    </div>
  );
}

export function Overview({ status }: { status: StatusResponse }) {
  const { lang, t } = useLang();
  const o = overview(status);
  return (
    <section class="card" aria-labelledby="overview-h">
      <h2 id="overview-h">{t('overview')}</h2>
      {o.workersFlagged > 0 && (
        <p class="warning" role="alert" data-workers-flagged={o.workersFlagged}>
          {formatCount(o.workersFlagged, lang)} {t('flaggedWarning')}
        </p>
      )}
      {o.workersDead > 0 && (
        <p class="warning" role="alert">
          {formatCount(o.workersDead, lang)} {t('deadWarning')}
        </p>
      )}
      <div class="stats">
        <Stat id="certificates" label={t('certificates')} value={formatCount(o.certificates, lang)} hint={t('certificatesHint')} />
        <Stat
          id="jp-share"
          label={t('jpShare')}
          value={formatPercent(o.jpShare, 2)}
          hint={`${formatCount(o.sightings, lang)} ${t('sightings')}`}
        />
        <Stat id="scanned" label={t('scanned')} value={formatCount(o.scanned, lang)} hint={`/ ${formatCompact(o.target, lang)}`} />
        <Stat id="rate" label={t('rateNow')} value={formatRate(o.rateNow, lang, t)} hint={`${t('rateHour')}: ${formatRate(o.rateHour, lang, t)}`} />
        <Stat
          id="eta"
          label={t('eta')}
          value={o.eta === 0 ? t('done') : o.eta === null ? t('etaUnknown') : formatDuration(o.eta, t)}
          hint={`${t('logsAvailable')} ${o.logsAvailable} / ${o.logs}`}
        />
        <Stat
          id="workers"
          label={t('workersSummary')}
          value={`${o.workersAlive} ${t('alive')}`}
          hint={`${o.workersDead} ${t('dead')} · ${o.workersStopped} ${t('stopped')}${o.workersFlagged > 0 ? ` · ${o.workersFlagged} ${t('workersFlagged')}` : ''}`}
        />
        {(o.quarantinedCertificates > 0 || o.quarantinedSightings > 0) && (
          <Stat
            id="quarantined"
            label={t('quarantined')}
            value={formatCount(o.quarantinedCertificates, lang)}
            hint={fill(t('quarantinedHint'), { n: formatCount(o.quarantinedSightings, lang) })}
          />
        )}
      </div>
      <div class="progress-line">
        <span>{t('progress')}</span>
        <strong data-stat="progress">{formatPercent(o.progress, 2)}</strong>
      </div>
      <div class="bar" role="progressbar" aria-valuemin={0} aria-valuemax={100} aria-valuenow={Math.round(o.progress * 100)}>
        <span class="seg seg-done" style={{ width: `${o.progress * 100}%` }} />
      </div>
    </section>
  );
}
