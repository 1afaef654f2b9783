import { type ReactNode, useId } from "react";
import { useTranslation } from "react-i18next";
import { ApiError } from "../api/client";
import { problemMessage } from "../api/problems";

export function ErrorBox({ error }: { error: unknown }) {
  const { t, i18n } = useTranslation();
  if (!error) return null;
  const message = problemMessage(t, error);
  // The API explains itself in English; in Czech, say first in Czech what kind of problem it is.
  const status = error instanceof ApiError ? error.status : null;
  const known = status && [401, 403, 404, 409, 413, 422, 429].includes(status) ? String(status) : null;
  const lead = i18n.resolvedLanguage === "cs" && known ? t(`errors.${known}`) : null;
  return (
    <div className="alert alert-error" role="alert">
      {lead && lead !== message ? <strong>{lead} </strong> : null}
      {message}
    </div>
  );
}

export function Notice({
  children,
  tone = "info",
}: {
  children: ReactNode;
  tone?: "info" | "success" | "error";
}) {
  return (
    <div className={`alert alert-${tone}`} role={tone === "error" ? "alert" : "status"}>
      {children}
    </div>
  );
}

export function Loading() {
  const { t } = useTranslation();
  return (
    <p className="muted" aria-live="polite">
      {t("common.loading")}
    </p>
  );
}

type Tone = "ok" | "bad" | "warn" | "info" | "neutral";

export function Badge({ tone, children }: { tone: Tone; children: ReactNode }) {
  return <span className={`badge badge-${tone}`}>{children}</span>;
}

export function statusTone(status: string): Tone {
  switch (status) {
    case "succeeded":
    case "healthy":
    case "created":
    case "updated":
      return "ok";
    case "failed":
    case "failing":
      return "bad";
    case "partial":
    case "paused":
      return "warn";
    case "running":
    case "queued":
      return "info";
    default:
      return "neutral";
  }
}

export function StatusBadge({ status }: { status: string }) {
  const { t } = useTranslation();
  return <Badge tone={statusTone(status)}>{t(`status.${status}`, { defaultValue: status })}</Badge>;
}

export function Field({
  label,
  hint,
  error,
  children,
}: {
  label: ReactNode;
  hint?: ReactNode;
  error?: string | undefined;
  children: (props: { id: string; "aria-describedby"?: string; "aria-invalid"?: boolean }) => ReactNode;
}) {
  const id = useId();
  const hintId = `${id}-hint`;
  const errorId = `${id}-error`;
  const describedBy = [hint ? hintId : null, error ? errorId : null].filter(Boolean).join(" ") || undefined;
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      {children({ id, "aria-describedby": describedBy, "aria-invalid": error ? true : undefined })}
      {hint ? (
        <p className="hint" id={hintId}>
          {hint}
        </p>
      ) : null}
      {error ? (
        <p className="field-error" id={errorId}>
          {error}
        </p>
      ) : null}
    </div>
  );
}

export function Pager({
  total,
  limit,
  offset,
  onChange,
}: {
  total: number;
  limit: number;
  offset: number;
  onChange: (offset: number) => void;
}) {
  const { t } = useTranslation();
  if (total <= limit) return null;
  return (
    <nav className="pager" aria-label={t("common.pagination")}>
      <button type="button" disabled={offset === 0} onClick={() => onChange(Math.max(0, offset - limit))}>
        {t("common.previous")}
      </button>
      <span>{t("common.pageOf", { from: offset + 1, to: Math.min(total, offset + limit), total })}</span>
      <button type="button" disabled={offset + limit >= total} onClick={() => onChange(offset + limit)}>
        {t("common.nextPage")}
      </button>
    </nav>
  );
}

export function initials(title: string): string {
  return title
    .split(/[\s-]+/)
    .filter(Boolean)
    .slice(0, 2)
    .map((w) => w[0]?.toUpperCase() ?? "")
    .join("");
}
