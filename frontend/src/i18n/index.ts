import i18n from "i18next";
import LanguageDetector from "i18next-browser-languagedetector";
import { initReactI18next } from "react-i18next";
import { cs } from "./cs";
import { en } from "./en";

export const LANGUAGES = [
  { code: "cs", label: "Čeština" },
  { code: "en", label: "English" },
] as const;

/** Czech for a Czech (or Slovak) browser, English otherwise; the choice is remembered. */
export function setupI18n(options: { lng?: string } = {}) {
  if (!i18n.isInitialized) {
    i18n
      .use(LanguageDetector)
      .use(initReactI18next)
      .init({
        resources: { cs: { translation: cs }, en: { translation: en } },
        supportedLngs: ["cs", "en"],
        nonExplicitSupportedLngs: true,
        load: "languageOnly",
        fallbackLng: (code) => (code && /^(cs|sk)\b/i.test(code) ? ["cs"] : ["en"]),
        lng: options.lng,
        detection: {
          order: ["localStorage", "navigator"],
          lookupLocalStorage: "spojka.lang",
          caches: ["localStorage"],
        },
        interpolation: { escapeValue: false },
        returnNull: false,
      });
    const sync = (lng: string) => {
      document.documentElement.lang = lng.startsWith("cs") ? "cs" : "en";
    };
    i18n.on("languageChanged", sync);
    if (i18n.language) sync(i18n.language);
  }
  return i18n;
}

export function currentLanguage(): "cs" | "en" {
  return (i18n.resolvedLanguage ?? i18n.language ?? "en").startsWith("cs") ? "cs" : "en";
}

export default i18n;
