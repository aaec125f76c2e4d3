import { test } from 'node:test';
import assert from 'node:assert/strict';
import { classifyJpName, primaryDomain } from '../../src/analysis/domains.js';

test('organisation types follow the JPRS domain types, local government includes the geographic forms', () => {
  const cases: [string, string, string][] = [
    ['www.mhlw.go.jp', 'go.jp', 'mhlw.go.jp'],
    ['www.city.yokohama.lg.jp', 'lg.jp', 'city.yokohama.lg.jp'],
    ['www.city.minato.tokyo.jp', 'lg.jp', 'city.minato.tokyo.jp'],
    ['www.town.hinode.tokyo.jp', 'lg.jp', 'town.hinode.tokyo.jp'],
    ['www.pref.kanagawa.jp', 'lg.jp', 'pref.kanagawa.jp'],
    ['www.metro.tokyo.jp', 'lg.jp', 'metro.tokyo.jp'],
    ['www.city.yokohama.jp', 'lg.jp', 'city.yokohama.jp'],
    ['www.u-tokyo.ac.jp', 'ac.jp', 'u-tokyo.ac.jp'],
    ['shop.example.co.jp', 'co.jp', 'example.co.jp'],
    ['a.school.ed.jp', 'ed.jp', 'school.ed.jp'],
    ['x.isp.ne.jp', 'ne.jp', 'isp.ne.jp'],
    ['www.jpnic.or.jp', 'or.jp', 'jpnic.or.jp'],
    ['club.gr.jp', 'gr.jp', 'club.gr.jp'],
    ['www.wide.ad.jp', 'ad.jp', 'wide.ad.jp'],
    ['shop.example.tokyo.jp', 'prefecture', 'example.tokyo.jp'],
    ['www.example.xn--1lqs71d.jp', 'prefecture', 'example.xn--1lqs71d.jp'],
    ['soshiki.chiyoda.tokyo.jp', 'geographic', 'soshiki.chiyoda.tokyo.jp'],
    ['xxx.seya.yokohama.jp', 'geographic', 'xxx.seya.yokohama.jp'],
    ['www.example.jp', 'general', 'example.jp'],
    ['*.example.jp', 'general', 'example.jp'],
    ['xn--wgv71a.jp', 'general', 'xn--wgv71a.jp'],
    ['example.com', 'other', 'example.com'],
  ];
  for (const [name, type, registrable] of cases) assert.deepEqual(classifyJpName(name), { type, registrable }, name);
});

test('the primary domain of a SAN set is the registrable .jp domain most names belong to', () => {
  assert.deepEqual(primaryDomain(['a.example.co.jp', 'b.example.co.jp', 'example.com', 'x.other.jp']), { type: 'co.jp', registrable: 'example.co.jp' });
  assert.deepEqual(primaryDomain(['b.jp', 'a.jp']), { type: 'general', registrable: 'a.jp' });
});
