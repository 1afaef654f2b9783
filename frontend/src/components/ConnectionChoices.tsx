import { useTranslation } from "react-i18next";
import { ApiError, type Schemas } from "../api/client";
import { problemMessage } from "../api/problems";
import { useConnectionOptions } from "../api/queries";

export type Option = Schemas["OptionOut"];
export type ConnectionOptions = Schemas["ConnectionOptionsOut"];
export type OptionList = Exclude<keyof ConnectionOptions, "supported">;
export type SideKind = "eshop" | "accounting";

/** What one side of a link (the e-shop or the accounting) offers to choose from, and why not when not. */
export interface ChoiceSide {
  kind: SideKind;
  /** none: no connection to ask (yet); listed: the lists below are the system's own. */
  status: "none" | "loading" | "listed" | "unsupported" | "error";
  options: ConnectionOptions | null;
  error: unknown;
  retrying: boolean;
  retry: () => void;
}

export function useChoiceSide(kind: SideKind, connectionId: string | undefined): ChoiceSide {
  const query = useConnectionOptions(connectionId);
  const options = query.data ?? null;
  const status: ChoiceSide["status"] = !connectionId
    ? "none"
    : options
      ? options.supported
        ? "listed"
        : "unsupported"
      : query.isError
        ? "error"
        : "loading";
  return {
    kind,
    status,
    options,
    error: query.error,
    retrying: query.isFetching,
    retry: () => void query.refetch(),
  };
}

/** A side's list, without repeats; null when there is nothing to choose from (then the field is typed). */
export function choices(side: ChoiceSide, which: OptionList): Option[] | null {
  if (side.status !== "listed" || !side.options) return null;
  const seen = new Set<string>();
  const out = side.options[which].filter((o) => !seen.has(o.value) && Boolean(seen.add(o.value)));
  return out.length ? out : null;
}

/** The server's own words for a 503 ("the system did not answer"), else the usual plain message. */
function reason(t: Parameters<typeof problemMessage>[0], error: unknown): string {
  if (error instanceof ApiError && error.status === 503 && error.problem?.detail) return error.problem.detail;
  return problemMessage(t, error);
}

/** Says, above the form, why a side's fields are typed rather than chosen; nothing when they are chosen. */
export function ChoicesNotice({ side }: { side: ChoiceSide }) {
  const { t } = useTranslation();
  const k = side.kind;
  if (side.status === "none" || side.status === "listed") return null;
  if (side.status === "loading") {
    return (
      <p className="muted choices-notice" aria-live="polite" data-testid={`choices-${k}`}>
        {t(`choices.loading.${k}`)}
      </p>
    );
  }
  if (side.status === "unsupported") {
    return (
      <p className="alert alert-info choices-notice" data-testid={`choices-${k}`}>
        {t(`choices.unsupported.${k}`)}
      </p>
    );
  }
  return (
    <div className="alert alert-warn choices-notice" role="alert" data-testid={`choices-${k}`}>
      <span>
        {t(`choices.failed.${k}`)} {reason(t, side.error)} {t("choices.typeMeanwhile")}
      </span>{" "}
      <button type="button" onClick={side.retry} disabled={side.retrying}>
        {side.retrying ? t("choices.retrying") : t("choices.retry")}
      </button>
    </div>
  );
}
