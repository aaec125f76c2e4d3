// The dashboard shell: tabs (#/ and #/analysis), language toggle, and the live status sections.
import { useEffect, useMemo, useState } from 'preact/hooks';
import { initialLang, translator, type Lang } from './i18n.js';
import { formatDuration } from './format.js';
import { LangContext, useLang } from './components/context.js';
import { Overview } from './components/Overview.js';
import { Logs } from './components/Logs.js';
import { CoverageTimeline } from './components/CoverageTimeline.js';
import { Daily } from './components/Daily.js';
import { Ranking, Workers } from './components/Workers.js';
import { Analysis } from './components/Analysis.js';
import { useStatus, useTick, type StatusState } from './useStatus.js';

type Page = 'dashboard' | 'analysis';
const langKey = 'ctjp.lang';

function pageFromHash(hash: string): Page {
  return hash.replace(/^#\/?/, '') === 'analysis' ? 'analysis' : 'dashboard';
}

function readStoredLang(): string | null {
  try {
    return localStorage.getItem(langKey);
  } catch {
    return null;
  }
}

function UpdatedAt({ state, now }: { state: StatusState; now: number }) {
  const { t } = useLang();
  if (state.error) {
    return (
      <span class="conn conn-bad" role="status">
        {t('fetchFailed')} ({state.error}) · {t('retrying')}
      </span>
    );
  }
  if (!state.status) return <span class="conn">{t('loading')}</span>;
  const age = Math.max(0, (now - state.fetchedAt) / 1000);
  return (
    <span class="conn conn-ok" role="status" data-generated-at={state.status.generated_at}>
      {t('updated')} {formatDuration(age, t)} {t('ago')}
    </span>
  );
}

function Dashboard({ state, now }: { state: StatusState; now: number }) {
  const status = state.status;
  if (!status) return null;
  return (
    <>
      <Overview status={status} />
      <Logs logs={status.logs} categories={status.categories} />
      <CoverageTimeline />
      <Daily status={status} />
      <Ranking workers={status.workers} />
      <Workers workers={status.workers} clock={{ generatedAt: status.generated_at, sinceFetchMs: now - state.fetchedAt }} />
    </>
  );
}

export function App() {
  const [lang, setLang] = useState<Lang>(() => initialLang(readStoredLang(), navigator.languages ?? [navigator.language]));
  const [page, setPage] = useState<Page>(() => pageFromHash(location.hash));
  const state = useStatus();
  const now = useTick(1000);
  const value = useMemo(() => ({ lang, t: translator(lang) }), [lang]);
  const { t } = value;

  useEffect(() => {
    const onHash = () => setPage(pageFromHash(location.hash));
    window.addEventListener('hashchange', onHash);
    return () => window.removeEventListener('hashchange', onHash);
  }, []);

  useEffect(() => {
    document.documentElement.lang = lang;
    document.title = t('title');
    try {
      localStorage.setItem(langKey, lang);
    } catch {
      // Private browsing may refuse storage; the toggle still works for this visit.
    }
  }, [lang, t]);

  return (
    <LangContext.Provider value={value}>
      <header class="top">
        <h1>ctjp</h1>
        <nav class="tabs" aria-label="pages">
          <a href="#/" class={page === 'dashboard' ? 'active' : ''} aria-current={page === 'dashboard' ? 'page' : undefined}>
            {t('tabDashboard')}
          </a>
          <a href="#/analysis" class={page === 'analysis' ? 'active' : ''} aria-current={page === 'analysis' ? 'page' : undefined}>
            {t('tabAnalysis')}
          </a>
        </nav>
        <button type="button" class="lang" aria-label={t('languageLabel')} onClick={() => setLang(lang === 'ja' ? 'en' : 'ja')}>
          {t('language')}
        </button>
      </header>
      <div class="status-line">
        <UpdatedAt state={state} now={now} />
      </div>
      <main>{page === 'analysis' ? <Analysis /> : <Dashboard state={state} now={now} />}</main>
    </LangContext.Provider>
  );
}
