import type { TFunction } from "i18next";
import { ApiError } from "./client";

/** Field name → message, from a 400/422 problem's `errors` list or its per-field members. */
export function fieldErrors(error: unknown): Record<string, string> {
  if (!(error instanceof ApiError) || !error.problem) return {};
  const out: Record<string, string> = {};
  for (const item of error.problem.errors ?? []) {
    const key = item.key ?? item.field ?? item.name;
    if (key) out[key.replace(/^(settings|credentials)\./, "")] = item.message ?? "";
  }
  for (const [key, value] of Object.entries(error.problem as Record<string, unknown>)) {
    if (Array.isArray(value) && value.every((v) => typeof v === "string") && key !== "errors") {
      out[key] = value.join(" ");
    }
  }
  return out;
}

/** A problem in plain words: what the server said (it says what to do), else a sentence per status. */
export function problemMessage(t: TFunction, error: unknown): string {
  if (error instanceof ApiError) {
    const known = [401, 403, 404, 409, 413, 422, 429].includes(error.status) ? error.status : 500;
    const general = t(`errors.${known}`);
    const detail = error.problem?.detail;
    if (!detail || error.status >= 500) return general;
    // Validation details name the wire format ("Expected `str` of length >= 3"): say it plainly.
    if (error.status === 400 && detail.startsWith("Validation failed")) {
      const fields = Object.keys(fieldErrors(error));
      return fields.length ? `${t("errors.422")} (${fields.join(", ")})` : t("errors.422");
    }
    return detail;
  }
  if (error instanceof TypeError) return t("errors.network");
  return error instanceof Error && error.message ? error.message : t("errors.500");
}
