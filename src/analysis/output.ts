/**
 * Writes an analysis run to a directory: summary.json (aggregates, then the lineages streamed in),
 * CSV tables and report.html. Files are written under temporary names and renamed at the end, so a
 * failed run leaves no half-written report.
 */
import { createReadStream } from 'node:fs';
import { type FileHandle, mkdir, open, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { LineageResult, SummaryAggregates } from './aggregate.js';
import type { CompletenessReport } from './completeness.js';
import { renderHtml } from './report-html.js';
import { SUMMARY_VERSION, definitions } from './summary.js';

async function writeAll(fh: FileHandle, bytes: Buffer): Promise<void> {
  let done = 0;
  while (done < bytes.length) done += (await fh.write(bytes, done, bytes.length - done)).bytesWritten;
}

/**
 * Buffered appender: strings are encoded straight into one reused buffer and written once it is
 * full (~1 MB), so the lineages (hundreds of MB at 10 M certificates) are never joined into strings.
 */
class Appender {
  private readonly buf = Buffer.allocUnsafe(1 << 20);
  private len = 0;
  constructor(private readonly fh: FileHandle) {}
  async add(s: string): Promise<void> {
    // UTF-8 takes at most 3 bytes per UTF-16 unit.
    if (this.len + s.length * 3 > this.buf.length) {
      await this.flush();
      if (s.length * 3 > this.buf.length) {
        await this.fh.write(s);
        return;
      }
    }
    this.len += this.buf.write(s, this.len);
  }
  async flush(): Promise<void> {
    await writeAll(this.fh, this.buf.subarray(0, this.len));
    this.len = 0;
  }
  async close(): Promise<void> {
    await this.flush();
    await this.fh.close();
  }
}

export function csvCell(v: unknown): string {
  if (v === null || v === undefined) return '';
  const s = Array.isArray(v) ? v.join(' ') : String(v);
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}
const csvRow = (cells: unknown[]): string => cells.map(csvCell).join(',') + '\n';

const LINEAGE_COLUMNS = [
  'names', 'domain', 'org_type', 'ca', 'validation_level', 'class', 'certificates', 'issuances', 'renewals', 'interval_median_days',
  'interval_cv', 'ratio_median', 'lifetime_median_days', 'hour_sd_hours', 'office_time_share', 'acme_only_ca', 'expiry_gaps',
  'automated_with_lapses', 'lifetime_relative', 'ready_200', 'ready_100', 'ready_47', 'score', 'first_issued', 'last_not_after',
  'renewals_censored', 'ended',
];

export class ReportWriter {
  private lineagesTmp!: Appender;
  private lineagesCsv!: Appender;
  private count = 0;
  private readonly tmp: string;

  private constructor(private readonly dir: string) {
    this.tmp = join(dir, `.ctjp-analysis-${process.pid}`);
  }

  static async create(dir: string): Promise<ReportWriter> {
    const w = new ReportWriter(dir);
    await mkdir(w.tmp, { recursive: true });
    w.lineagesTmp = new Appender(await open(join(w.tmp, 'lineages.ndjson'), 'w'));
    w.lineagesCsv = new Appender(await open(join(w.tmp, 'lineages.csv'), 'w'));
    await w.lineagesCsv.add(csvRow(LINEAGE_COLUMNS));
    return w;
  }

  async lineage(r: LineageResult): Promise<void> {
    await this.lineagesTmp.add(this.count++ ? ',\n' : '\n');
    await this.lineagesTmp.add(JSON.stringify(r));
    const e = r.evidence;
    await this.lineagesCsv.add(
      csvRow([
        r.names, r.domain, r.org_type, r.ca, r.validation_level, r.class, r.certificates, r.issuances, e.renewals, e.interval_median_days,
        e.interval_cv, e.ratio_median, e.lifetime_median_days, e.hour_sd_hours, e.office_time_share, e.acme_only_ca, e.expiry_gaps,
        r.automated_with_lapses, r.lifetime_relative, r.readiness['200'], r.readiness['100'], r.readiness['47'], e.score, r.first_issued, r.last_not_after,
        e.renewals_censored, e.ended,
      ]),
    );
  }

  /** Writes summary.json, the aggregate CSVs and report.html, then moves everything into place. */
  async finish(agg: SummaryAggregates, input?: unknown, completeness: CompletenessReport | null = null): Promise<void> {
    await this.lineagesTmp.close();
    await this.lineagesCsv.close();
    const generatedAt = new Date().toISOString();
    const head = { version: SUMMARY_VERSION, generated_at: generatedAt, definitions: definitions(), ...(input ? { input } : {}), ...agg, completeness };
    const summary = await open(join(this.tmp, 'summary.json'), 'w');
    try {
      await summary.write(`${JSON.stringify(head).slice(0, -1)},"lineages":[`);
      // The lineages are copied as bytes: decoding and re-encoding them would cost as much as writing them.
      for await (const chunk of createReadStream(join(this.tmp, 'lineages.ndjson'), { highWaterMark: 1 << 20 })) await writeAll(summary, chunk as Buffer);
      await summary.write('\n]}\n');
    } finally {
      await summary.close();
    }
    await rm(join(this.tmp, 'lineages.ndjson'));

    const files: Record<string, string> = {
      'observed_periods.csv': csvRow(['start', 'end']) + agg.observed_periods.map((p) => csvRow([p.start, p.end])).join(''),
      'by_org_type.csv': groupCsv(agg.by_org_type),
      'by_ca.csv': groupCsv(agg.by_ca),
      'by_class.csv': groupCsv(agg.by_class),
      'time_jst.csv': timeCsv(agg),
      'interval_histogram.csv': histCsv(agg.histograms.interval_days, agg.histograms.interval_bin_days),
      'ratio_histogram.csv': histCsv(agg.histograms.ratio, agg.histograms.ratio_bin),
      'heatmap_jst.csv': csvRow(['weekday', ...Array.from({ length: 24 }, (_, h) => `h${h}`)]) +
        agg.heatmap_jst.counts.map((r, d) => csvRow([['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'][d], ...r])).join(''),
      'expiry_gaps.csv': csvRow(['gap_days']) + agg.expiry_gaps.lengths_days.map((g) => csvRow([g])).join(''),
      'report.html': renderHtml({ ...agg, generated_at: generatedAt, completeness }),
    };
    for (const [name, body] of Object.entries(files)) {
      const fh = await open(join(this.tmp, name), 'w');
      await fh.write(body);
      await fh.close();
    }
    for (const name of [...Object.keys(files), 'summary.json', 'lineages.csv']) await rename(join(this.tmp, name), join(this.dir, name));
    await rm(this.tmp, { recursive: true, force: true });
  }

  async abort(): Promise<void> {
    await this.lineagesTmp.close().catch(() => {});
    await this.lineagesCsv.close().catch(() => {});
    await rm(this.tmp, { recursive: true, force: true });
  }
}

type Group = SummaryAggregates['overall'];
function groupCsv(groups: Record<string, Group>): string {
  let out = csvRow([
    'group', 'lineages', 'automated', 'manual', 'undetermined', 'share_automated', 'share_manual', 'renewals', 'expiry_gaps', 'gap_rate',
    'issuances_timed', 'weekend', 'weekend_share', 'weekend_expected', 'holiday', 'holiday_share', 'holiday_expected', 'closure', 'closure_share',
    'closure_expected', 'ready_200', 'likely_200', 'ready_100', 'likely_100', 'ready_47', 'likely_47', 'not_ready_47', 'unknown_47',
    'renewals_censored', 'censored_only', 'ended', 'end_censored',
  ]);
  for (const [k, g] of Object.entries(groups)) {
    const c = g.classes;
    const t = g.time;
    out += csvRow([
      k, c.lineages, c.automated, c.manual, c.undetermined, c.share.automated, c.share.manual, g.expiry_gaps.renewals, g.expiry_gaps.gaps, g.expiry_gaps.rate,
      t.issuances, t.weekend.count, t.weekend.share, t.weekend.expected_share, t.holiday.count, t.holiday.share, t.holiday.expected_share,
      t.closure.count, t.closure.share, t.closure.expected_share, g.readiness['200'].ready, g.readiness['200'].likely, g.readiness['100'].ready,
      g.readiness['100'].likely, g.readiness['47'].ready, g.readiness['47'].likely, g.readiness['47'].not_ready, g.readiness['47'].unknown,
      g.expiry_gaps.censored, c.censored_only, g.lineage_ends.ended, g.lineage_ends.censored,
    ]);
  }
  return out;
}

function timeCsv(agg: SummaryAggregates): string {
  let out = csvRow(['group', 'day_class', 'count', 'share', 'expected_share', 'ratio_to_expected']);
  const groups: [string, Group][] = [['all', agg.overall], ...Object.entries(agg.by_org_type).map(([k, g]) => [`org:${k}`, g] as [string, Group]), ...Object.entries(agg.by_class).map(([k, g]) => [`class:${k}`, g] as [string, Group])];
  for (const [name, g] of groups) {
    for (const k of ['weekday', 'weekend', 'holiday', 'non_business', 'closure', 'government_non_working'] as const) {
      const r = g.time[k];
      out += csvRow([name, k, r.count, r.share, r.expected_share, r.ratio_to_expected]);
    }
  }
  return out;
}

function histCsv(h: Record<string, number[]>, width: number): string {
  let out = csvRow(['previous_lifetime', 'bin_from', 'bin_to', 'count']);
  for (const [k, counts] of Object.entries(h)) {
    counts.forEach((c, i) => {
      out += csvRow([k, +(i * width).toFixed(4), i === counts.length - 1 ? '' : +((i + 1) * width).toFixed(4), c]);
    });
  }
  return out;
}
