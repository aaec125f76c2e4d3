// The current language, shared by every component.
import { createContext } from 'preact';
import { useContext } from 'preact/hooks';
import { translator, type Lang, type Translate } from '../i18n.js';

export interface LangValue {
  lang: Lang;
  t: Translate;
}

export const LangContext = createContext<LangValue>({ lang: 'en', t: translator('en') });

export function useLang(): LangValue {
  return useContext(LangContext);
}
