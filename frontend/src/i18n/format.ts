import { currentLanguage } from "./index";

const locale = () => (currentLanguage() === "cs" ? "cs-CZ" : "en-GB");

export function formatDateTime(value: string | null | undefined): string {
  if (!value) return "—";
  return new Intl.DateTimeFormat(locale(), { dateStyle: "medium", timeStyle: "short" }).format(
    new Date(value),
  );
}

export function formatDate(value: string | null | undefined): string {
  if (!value) return "—";
  return new Intl.DateTimeFormat(locale(), { dateStyle: "medium" }).format(new Date(value));
}

export function formatNumber(value: number): string {
  return new Intl.NumberFormat(locale()).format(value);
}

export function formatMoney(value: number | string, currency = "CZK"): string {
  return new Intl.NumberFormat(locale(), { style: "currency", currency }).format(Number(value));
}

export function formatPercent(value: number): string {
  return new Intl.NumberFormat(locale(), { style: "percent", maximumFractionDigits: 1 }).format(value);
}

/** "in 5 minutes", "před 3 minutami"... */
export function formatRelative(value: string | Date | null | undefined, now: Date = new Date()): string {
  if (!value) return "—";
  const seconds = Math.round((new Date(value).getTime() - now.getTime()) / 1000);
  const rtf = new Intl.RelativeTimeFormat(locale(), { numeric: "auto" });
  const abs = Math.abs(seconds);
  if (abs < 60) return rtf.format(seconds, "second");
  if (abs < 3600) return rtf.format(Math.round(seconds / 60), "minute");
  if (abs < 86400) return rtf.format(Math.round(seconds / 3600), "hour");
  return rtf.format(Math.round(seconds / 86400), "day");
}

export function formatDuration(start: string | null | undefined, end: string | null | undefined): string {
  if (!start || !end) return "—";
  const ms = new Date(end).getTime() - new Date(start).getTime();
  const nf = new Intl.NumberFormat(locale(), { maximumFractionDigits: 1 });
  return ms < 60_000 ? `${nf.format(ms / 1000)} s` : `${nf.format(ms / 60_000)} min`;
}
