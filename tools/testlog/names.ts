/**
 * Domain names and organisation names: `.jp` names of every organisation
 * type (go.jp, lg.jp, local-government geographic names, ac.jp, co.jp, ed.jp,
 * ne.jp, or.jp, gr.jp, ad.jp, geographic, general-use and IDN), and the
 * other TLDs that fill the logs, with a few near misses such as
 * `jp.example.com` that a `.jp` matcher must not take.
 */
import { domainToASCII } from 'node:url';
import type { Rng } from './rng.js';

export type OrgType = 'go' | 'lg' | 'localgov-geo' | 'ac' | 'co' | 'ed' | 'ne' | 'or' | 'gr' | 'ad' | 'geo' | 'general' | 'general-idn';

export const ORG_TYPES: readonly OrgType[] = ['go', 'lg', 'localgov-geo', 'ac', 'co', 'ed', 'ne', 'or', 'gr', 'ad', 'geo', 'general', 'general-idn'];

const ORG_TYPE_WEIGHTS: readonly (readonly [OrgType, number])[] = [
  ['co', 30], ['general', 18], ['ne', 5], ['or', 7], ['ac', 8], ['go', 4], ['lg', 5], ['localgov-geo', 4],
  ['ed', 4], ['gr', 3], ['ad', 2], ['geo', 6], ['general-idn', 4],
];

const WORDS = [
  'sakura', 'fuji', 'midori', 'hikari', 'kaze', 'yama', 'umi', 'sora', 'hoshi', 'tsuki', 'hana', 'mori', 'kawa', 'aoi', 'kumo',
  'nami', 'taiyo', 'asahi', 'yuki', 'haru', 'natsu', 'aki', 'fuyu', 'kin', 'gin', 'tetsu', 'denki', 'kogyo', 'shoji', 'bussan',
  'seiko', 'tech', 'soft', 'data', 'cloud', 'media', 'books', 'foods', 'travel', 'clinic', 'denso', 'kensetsu', 'unyu', 'shinkin',
  'hoken', 'yakuhin', 'gakuen', 'juku', 'ryokan', 'onsen', 'kobo', 'seimitsu', 'kikai', 'shokai', 'syoten', 'farm', 'shop', 'net',
];

const MINISTRIES = ['digital', 'mhlw', 'maff', 'meti', 'env', 'mlit', 'mof', 'soumu', 'caa', 'fsa', 'jpo', 'nta', 'npa', 'cao', 'mext', 'moj', 'mofa', 'jma', 'nisc', 'ppc'];

/** [city, prefecture] pairs as they appear in local-government domain names. */
const CITIES: readonly (readonly [string, string])[] = [
  ['sapporo', 'hokkaido'], ['hakodate', 'hokkaido'], ['aomori', 'aomori'], ['sendai', 'miyagi'], ['akita', 'akita'],
  ['mito', 'ibaraki'], ['utsunomiya', 'tochigi'], ['maebashi', 'gunma'], ['kawagoe', 'saitama'], ['funabashi', 'chiba'],
  ['shibuya', 'tokyo'], ['setagaya', 'tokyo'], ['hachioji', 'tokyo'], ['yokohama', 'kanagawa'], ['kawasaki', 'kanagawa'],
  ['niigata', 'niigata'], ['kanazawa', 'ishikawa'], ['kofu', 'yamanashi'], ['matsumoto', 'nagano'], ['gifu', 'gifu'],
  ['hamamatsu', 'shizuoka'], ['toyota', 'aichi'], ['tsu', 'mie'], ['otsu', 'shiga'], ['uji', 'kyoto'], ['sakai', 'osaka'],
  ['himeji', 'hyogo'], ['nara', 'nara'], ['kurashiki', 'okayama'], ['kure', 'hiroshima'], ['matsuyama', 'ehime'],
  ['kitakyushu', 'fukuoka'], ['sasebo', 'nagasaki'], ['kumamoto', 'kumamoto'], ['beppu', 'oita'], ['naha', 'okinawa'],
];

const IDN_LABELS = ['さくら', 'みどり', 'ひかり', 'やまと', 'ふじ', 'にほん', '東京', '大阪', '京都', '温泉', '旅館', '書店', '病院', '歯科', '不動産', '商店'];

const JA_ORGS = ['株式会社さくら情報', '株式会社ミドリ商事', '日本ひかり工業株式会社', '有限会社ふじ製作所', '一般社団法人やまと協会', '株式会社あおぞら不動産'];

const OTHER_TLDS = ['com', 'com', 'com', 'net', 'org', 'io', 'dev', 'app', 'de', 'fr', 'co.uk', 'nl', 'com.au', 'com.br', 'co.kr', 'com.cn', 'tw', 'info', 'xyz', 'shop', 'in', 'it', 'es', 'ca', 'us'];

/** Names that contain "jp" but are not under .jp. */
const NEAR_MISSES = ['jp.{w}.com', '{w}.jp.net', '{w}-jp.com', '{w}.jpn.com', 'www.{w}.co.jp.example.org', '{w}.jp.eu.org'];

const cap = (w: string): string => w[0].toUpperCase() + w.slice(1);

export interface JpSubject {
  orgType: OrgType;
  domain: string;
  /** Organisation name for OV/EV subjects. */
  organization: string;
  locality: string;
  state: string;
  government: boolean;
}

export class NameSource {
  private used = new Set<string>();

  constructor(private readonly rng: Rng) {}

  private unique(make: () => string): string {
    for (let attempt = 0; ; attempt++) {
      let name = make();
      if (attempt > 20) {
        const dot = name.indexOf('.');
        name = `${name.slice(0, dot)}${attempt}${name.slice(dot)}`;
      }
      if (!this.used.has(name)) {
        this.used.add(name);
        return name;
      }
    }
  }

  private word(): string {
    const r = this.rng;
    const w = r.pick(WORDS);
    return r.chance(0.5) ? `${w}-${r.pick(WORDS)}` : r.chance(0.5) ? `${w}${r.range(1, 99)}` : w;
  }

  orgType(): OrgType {
    return this.rng.weighted(ORG_TYPE_WEIGHTS);
  }

  jp(orgType: OrgType): JpSubject {
    const r = this.rng;
    const [city, pref] = r.pick(CITIES);
    const state = cap(pref);
    const locality = `${cap(city)}-shi`;
    const base = { orgType, state, locality, government: false };
    switch (orgType) {
      case 'go': {
        const m = this.unique(() => `${r.pick(MINISTRIES)}${r.chance(0.5) ? '' : '-' + r.pick(['portal', 'info', 'app', 'www2', 'data'])}.go.jp`);
        return { ...base, domain: m, organization: `${cap(m.split('.')[0].split('-')[0])} Agency`, government: true, state: 'Tokyo', locality: 'Chiyoda-ku' };
      }
      case 'lg': {
        const d = this.unique(() => (r.chance(0.25) ? `pref.${pref}.lg.jp` : `city.${city}.${pref}.lg.jp`));
        return { ...base, domain: d, organization: d.startsWith('pref.') ? `${state} Prefecture` : `${cap(city)} City`, government: true };
      }
      case 'localgov-geo': {
        const d = this.unique(() => (r.chance(0.3) ? `pref.${pref}.jp` : `city.${city}.${pref}.jp`));
        return { ...base, domain: d, organization: d.startsWith('pref.') ? `${state} Prefecture` : `${cap(city)} City`, government: true };
      }
      case 'ac': {
        const d = this.unique(() => `${this.word()}-u.ac.jp`);
        return { ...base, domain: d, organization: `${cap(d.split('-u.')[0].replace(/-/g, ' '))} University` };
      }
      case 'ed': {
        const d = this.unique(() => `${this.word()}-${r.pick(['es', 'jh', 'hs'])}.ed.jp`);
        return { ...base, domain: d, organization: `${cap(d.split('.')[0])} School` };
      }
      case 'geo': {
        const d = this.unique(() => (r.chance(0.5) ? `${this.word()}.${pref}.jp` : `${this.word()}.${city}.${pref}.jp`));
        return { ...base, domain: d, organization: `${cap(d.split('.')[0])} Shoten` };
      }
      case 'general-idn': {
        const d = this.unique(() => domainToASCII(`${r.pick(IDN_LABELS)}${r.pick(IDN_LABELS)}${r.chance(0.3) ? r.range(1, 9) : ''}.jp`));
        return { ...base, domain: d, organization: r.pick(JA_ORGS) };
      }
      default: {
        const sld = orgType === 'general' ? 'jp' : `${orgType}.jp`;
        const d = this.unique(() => `${this.word()}.${sld}`);
        const label = cap(d.split('.')[0].replace(/-/g, ' '));
        const organization =
          orgType === 'co' ? (r.chance(0.2) ? r.pick(JA_ORGS) : `${label} Co., Ltd.`)
          : orgType === 'or' ? `Japan ${label} Association`
          : orgType === 'ne' ? `${label} Networks Inc.`
          : orgType === 'ad' ? `${label} Network Information Center`
          : orgType === 'gr' ? `${label} Users Group`
          : `${label} K.K.`;
        return { ...base, domain: d, organization };
      }
    }
  }

  /** A name outside .jp, for the filler certificates. */
  other(): string {
    const r = this.rng;
    if (r.chance(0.02)) return this.unique(() => r.pick(NEAR_MISSES).replace('{w}', this.word()));
    return this.unique(() => `${this.word()}.${r.pick(OTHER_TLDS)}`);
  }

  otherOrganization(name: string): string {
    return `${cap(name.split('.')[0].replace(/-/g, ' '))} Inc.`;
  }
}

/** SAN list for a site: the domain plus www, a wildcard, or a few service names. */
export function siteNames(rng: Rng, domain: string, wildcard: boolean): string[] {
  if (wildcard) return [`*.${domain}`, domain];
  const extra = rng.weighted<string[]>([
    [['www'], 5],
    [[], 2],
    [['www', 'mail'], 1],
    [['shop', 'www'], 1],
  ]);
  return [domain, ...extra.map((p) => `${p}.${domain}`)];
}
