// Every worker (flagged and dead ones first and marked) and the per-friend ranking.
// Friend names, worker ids and versions come from workers: they are only ever rendered as text nodes.
import type { WorkerFlag, WorkerStatus } from '../../../share/api/index.js';
import { clearCommands, describeEvidence, friendRanking, leaseProgress, pingAgeSeconds, sortWorkers } from '../derive.js';
import { formatCount, formatDuration, formatPercent, formatUtcMinute } from '../format.js';
import { useLang } from './context.js';

interface Clock {
  generatedAt: string;
  sinceFetchMs: number;
}

/**
 * Why an audit flagged the worker, in words a friend or an operator reads: what the flag means, each
 * piece of evidence, how many of its entries are held in quarantine, and the operator's commands.
 */
function Flag({ workerId, flag }: { workerId: string; flag: WorkerFlag }) {
  const { lang, t } = useLang();
  const commands = clearCommands(workerId, document.baseURI);
  return (
    <div class="flag" data-flag>
      <p class="flag-what">{t('flaggedWhat')}</p>
      <dl class="worker-facts">
        <div>
          <dt>{t('flaggedAt')}</dt>
          <dd data-flagged-at={flag.at}>{formatUtcMinute(flag.at)}</dd>
        </div>
        <div title={t('flaggedQuarantinedHint')}>
          <dt>{t('flaggedQuarantined')}</dt>
          <dd class={flag.quarantined_sightings > 0 ? 'attention' : ''} data-quarantined-sightings={flag.quarantined_sightings}>
            {formatCount(flag.quarantined_sightings, lang)}
          </dd>
        </div>
      </dl>
      <div class="leases-title">{t('evidence')}</div>
      <ol class="evidence">
        {flag.evidence.map((e) => {
          const text = describeEvidence(e, lang, t);
          return (
            <li key={`${e.audit_id}-${e.lease_id}`} data-audit-id={e.audit_id}>
              <div class="evidence-title">{text.title}</div>
              <ul>
                {text.lines.map((line, i) => (
                  <li key={i}>{line}</li>
                ))}
              </ul>
            </li>
          );
        })}
      </ol>
      <div class="flag-reason">
        <span class="muted">{t('flaggedReason')}: </span>
        <span class="mono">{flag.reason}</span>
      </div>
      <div class="clear">
        <div class="muted">{t('clearTitle')}</div>
        <div class="muted">{t('clearKeep')}</div>
        <code class="cmd" data-clear-command="keep">
          {commands.clear}
        </code>
        <div class="muted">{t('clearDelete')}</div>
        <code class="cmd" data-clear-command="delete">
          {commands.remove}
        </code>
      </div>
    </div>
  );
}

function WorkerCard({ worker, clock }: { worker: WorkerStatus; clock: Clock }) {
  const { lang, t } = useLang();
  const age = pingAgeSeconds(worker, clock.generatedAt, clock.sinceFetchMs);
  return (
    <li
      class={`worker worker-${worker.state}${worker.flagged ? ' worker-flagged' : ''}`}
      data-worker-id={worker.worker_id}
      data-state={worker.state}
      data-flagged={worker.flagged ? 'true' : undefined}
    >
      <div class="worker-head">
        <span class="friend">{worker.friend_name}</span>
        <span class="worker-pills">
          {worker.flagged && (
            <span class="pill pill-bad" data-flagged-badge>
              {t('flaggedBadge')}
            </span>
          )}
          <span class={`pill state-${worker.state}`}>{t(worker.state)}</span>
        </span>
      </div>
      {worker.flagged && <Flag workerId={worker.worker_id} flag={worker.flagged} />}
      <dl class="worker-facts">
        <div>
          <dt>{t('workerId')}</dt>
          <dd class="mono">{worker.worker_id}</dd>
        </div>
        <div>
          <dt>{t('version')}</dt>
          <dd class="mono">{worker.version}</dd>
        </div>
        <div>
          <dt>{t('lastPing')}</dt>
          <dd>
            {Number.isNaN(age) ? '–' : `${formatDuration(age, t)} ${t('ago')}`}
          </dd>
        </div>
        <div>
          <dt>{t('collected')}</dt>
          <dd data-collected={worker.collected}>{formatCount(worker.collected, lang)}</dd>
        </div>
        <div>
          <dt>{t('spool')}</dt>
          <dd class={worker.spool_backlog > 0 ? 'attention' : ''}>{formatCount(worker.spool_backlog, lang)}</dd>
        </div>
        <div>
          <dt>{t('rateLimited')}</dt>
          <dd class={worker.rate_limited > 0 ? 'attention' : ''}>{formatCount(worker.rate_limited, lang)}</dd>
        </div>
      </dl>
      <div class="leases-title">{t('leases')}</div>
      {worker.leases.length === 0 ? (
        <p class="muted">{t('noLeases')}</p>
      ) : (
        <ul class="leases">
          {worker.leases.map((l) => {
            const p = leaseProgress(l);
            // In words a friend reads: entries done of the lease's size, the indexes after.
            const size = Math.max(0, l.end - l.start + 1);
            const done = Math.min(size, Math.max(0, l.confirmed - l.start + 1));
            const caption = t('leaseCaption')
              .replace('{log}', l.log_name)
              .replace('{done}', formatCount(done, lang))
              .replace('{size}', formatCount(size, lang))
              .replace('{start}', formatCount(l.start, lang))
              .replace('{end}', formatCount(l.end, lang));
            return (
              <li key={l.lease_id} class="lease" data-lease-id={l.lease_id}>
                <div class="lease-head">
                  <span class="lease-log">
                    <span class="muted">{l.category}</span> {l.log_name}
                  </span>
                  <span class="lease-pct">{formatPercent(p)}</span>
                </div>
                <div class="bar bar-thin" role="progressbar" aria-valuemin={0} aria-valuemax={size} aria-valuenow={done} aria-label={caption}>
                  <span class="seg seg-done" style={{ width: `${p * 100}%` }} data-fraction={p} />
                </div>
                <div class="lease-pos muted">{caption}</div>
              </li>
            );
          })}
        </ul>
      )}
    </li>
  );
}

export function Workers({ workers, clock }: { workers: WorkerStatus[]; clock: Clock }) {
  const { t } = useLang();
  return (
    <section class="card" aria-labelledby="workers-h">
      <h2 id="workers-h">{t('workers')}</h2>
      {workers.length === 0 ? (
        <p class="muted">{t('noWorkers')}</p>
      ) : (
        <ul class="workers">
          {sortWorkers(workers).map((w) => (
            <WorkerCard key={w.worker_id} worker={w} clock={clock} />
          ))}
        </ul>
      )}
    </section>
  );
}

export function Ranking({ workers }: { workers: WorkerStatus[] }) {
  const { lang, t } = useLang();
  const ranking = friendRanking(workers);
  if (ranking.length === 0) return null;
  return (
    <section class="card" aria-labelledby="ranking-h">
      <h2 id="ranking-h">{t('ranking')}</h2>
      <table class="table ranking">
        <thead>
          <tr>
            <th class="num">{t('rank')}</th>
            <th>{t('friend')}</th>
            <th class="num">{t('workersCount')}</th>
            <th class="num">{t('collected')}</th>
          </tr>
        </thead>
        <tbody>
          {ranking.map((r, i) => (
            <tr key={r.friend} data-friend-rank={i + 1}>
              <td class="num">{i + 1}</td>
              <td class="friend">{r.friend}</td>
              <td class="num">
                {r.alive}/{r.workers}
              </td>
              <td class="num">{formatCount(r.collected, lang)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}
