/**
 * Organisation type of a .jp name (JPRS domain types), from the Public Suffix List via tldts.
 * Local government is the union of *.lg.jp and the older geographic forms pref.<pref>.jp,
 * metro.tokyo.jp, city.<designated city>.jp and city|town|vill.<municipality>.<pref>.jp.
 */
import { domainToASCII } from 'node:url';
import { getDomain } from 'tldts';
import { isJpDnsName } from '../share/x509/index.js';

export type OrgType =
  | 'go.jp' | 'lg.jp' | 'ac.jp' | 'co.jp' | 'ed.jp' | 'ne.jp' | 'or.jp' | 'gr.jp' | 'ad.jp'
  | 'prefecture' | 'geographic' | 'general' | 'other';

export const ORG_TYPES: readonly OrgType[] = [
  'go.jp', 'lg.jp', 'ac.jp', 'co.jp', 'ed.jp', 'ne.jp', 'or.jp', 'gr.jp', 'ad.jp', 'prefecture', 'geographic', 'general', 'other',
];

const ORGANISATIONAL = new Set(['go', 'lg', 'ac', 'co', 'ed', 'ne', 'or', 'gr', 'ad']);

const PREFECTURES_ROMAJI = [
  'hokkaido', 'aomori', 'iwate', 'miyagi', 'akita', 'yamagata', 'fukushima', 'ibaraki', 'tochigi', 'gunma', 'saitama', 'chiba',
  'tokyo', 'kanagawa', 'niigata', 'toyama', 'ishikawa', 'fukui', 'yamanashi', 'nagano', 'gifu', 'shizuoka', 'aichi', 'mie',
  'shiga', 'kyoto', 'osaka', 'hyogo', 'nara', 'wakayama', 'tottori', 'shimane', 'okayama', 'hiroshima', 'yamaguchi', 'tokushima',
  'kagawa', 'ehime', 'kochi', 'fukuoka', 'saga', 'nagasaki', 'kumamoto', 'oita', 'miyazaki', 'kagoshima', 'okinawa',
];
const PREFECTURES_KANJI = [
  '北海道', '青森', '岩手', '宮城', '秋田', '山形', '福島', '茨城', '栃木', '群馬', '埼玉', '千葉', '東京', '神奈川', '新潟', '富山',
  '石川', '福井', '山梨', '長野', '岐阜', '静岡', '愛知', '三重', '滋賀', '京都', '大阪', '兵庫', '奈良', '和歌山', '鳥取', '島根',
  '岡山', '広島', '山口', '徳島', '香川', '愛媛', '高知', '福岡', '佐賀', '長崎', '熊本', '大分', '宮崎', '鹿児島', '沖縄',
];
const PREFECTURES: ReadonlySet<string> = new Set([
  ...PREFECTURES_ROMAJI,
  ...PREFECTURES_KANJI.map((k) => domainToASCII(`${k}.jp`).slice(0, -3)),
]);
/** Cities whose geographic names sit directly under .jp (PSL wildcard rules with a city.* exception). */
const DESIGNATED = new Set(['kawasaki', 'kitakyushu', 'kobe', 'nagoya', 'sapporo', 'sendai', 'yokohama']);
const LOCAL_GOV_LABELS = new Set(['city', 'town', 'vill']);

export interface DomainClass {
  /** The organisation's domain: the PSL registrable domain, or <type>.<name>.lg.jp for lg.jp. */
  registrable: string;
  type: OrgType;
}

export function classifyJpName(name: string): DomainClass {
  const n = name.toLowerCase().replace(/^\*\./, '').replace(/\.$/, '');
  const labels = n.split('.');
  if (labels.length < 2 || labels[labels.length - 1] !== 'jp') return { registrable: getDomain(n) ?? n, type: 'other' };
  const sld = labels[labels.length - 2];
  if (labels.length >= 3 && ORGANISATIONAL.has(sld)) {
    const keep = sld === 'lg' && labels.length >= 4 ? 4 : 3;
    return { registrable: labels.slice(-keep).join('.'), type: `${sld}.jp` as OrgType };
  }
  const registrable = getDomain(n) ?? labels.slice(-2).join('.');
  const r = registrable.split('.');
  if (r.length === 2) return { registrable, type: 'general' };
  if (r.length === 3) {
    const [first, middle] = r;
    if (PREFECTURES.has(middle)) {
      if ((first === 'pref' && middle !== 'tokyo') || (first === 'metro' && middle === 'tokyo')) return { registrable, type: 'lg.jp' };
      return { registrable, type: 'prefecture' };
    }
    if (DESIGNATED.has(middle)) return { registrable, type: first === 'city' ? 'lg.jp' : 'geographic' };
    return { registrable, type: 'geographic' };
  }
  // <label>.<municipality>.<pref|designated city>.jp
  if (LOCAL_GOV_LABELS.has(r[0])) return { registrable, type: 'lg.jp' };
  return { registrable, type: 'geographic' };
}

/**
 * The organisation of a lineage: the registrable .jp domain that most of its names belong to
 * (ties: the alphabetically first), with its type. Names outside .jp are ignored unless there is
 * no .jp name at all.
 */
export function primaryDomain(names: readonly string[]): DomainClass {
  const counts = new Map<string, { c: DomainClass; n: number }>();
  const jp = names.filter(isJpDnsName);
  for (const name of jp.length > 0 ? jp : names) {
    const c = classifyJpName(name);
    const e = counts.get(c.registrable);
    if (e) e.n++;
    else counts.set(c.registrable, { c, n: 1 });
  }
  let best: { c: DomainClass; n: number } | null = null;
  for (const e of counts.values()) {
    if (!best || e.n > best.n || (e.n === best.n && e.c.registrable < best.c.registrable)) best = e;
  }
  return best ? best.c : { registrable: '', type: 'other' };
}
