import createClient, { type Middleware } from "openapi-fetch";
import type { components, paths } from "./schema";

export type Schemas = components["schemas"];
export type Connector = Schemas["ConnectorOut"];
export type Connection = Schemas["ConnectionOut"];
export type CheckResult = Schemas["CheckOut"];
export type Link = Schemas["LinkOut"];
export type LinkInput = Schemas["LinkIn"];
export type Flows = Schemas["Flows"];
export type Run = Schemas["RunOut"];
export type RunEvent = Schemas["RunEventOut"];
export type Me = Schemas["MeOut"];
export type Member = Schemas["MemberOut"];
export type Invitation = Schemas["InvitationOut"];
export type AuditEntry = Schemas["AuditEntryOut"];
export type PasswordRules = Schemas["PasswordRulesOut"];
export type Problem = Schemas["ProblemDetails"];
export type LinkStatus = Schemas["LinkStatusOut"];
export type FlowStatus = Schemas["FlowStatusOut"];
export type LinkDaily = Schemas["LinkDailyOut"];
export type FlowName = "orders" | "stock" | "products" | "fulfilment";
export const FLOW_NAMES: FlowName[] = ["orders", "stock", "products", "fulfilment"];

const UNSAFE = new Set(["POST", "PUT", "PATCH", "DELETE"]);

/** An answer that was not a success, with the problem details the API sent (RFC 9457). */
export class ApiError extends Error {
  readonly status: number;
  readonly problem: Problem | null;

  constructor(status: number, problem: Problem | null) {
    super(problem?.detail ?? `HTTP ${status}`);
    this.name = "ApiError";
    this.status = status;
    this.problem = problem;
  }
}

export function readCookie(name: string): string | null {
  for (const part of document.cookie.split(";")) {
    const [key, ...rest] = part.trim().split("=");
    if (key === name) return decodeURIComponent(rest.join("="));
  }
  return null;
}

let csrfPromise: Promise<void> | null = null;

/** The CSRF cookie is set on any safe request; get one before the first unsafe request. */
async function ensureCsrfCookie(): Promise<void> {
  if (readCookie("csrftoken")) return;
  csrfPromise ??= fetch("/api/v1/auth/password-rules", { credentials: "same-origin" }).then(() => {
    csrfPromise = null;
  });
  await csrfPromise;
}

type Listener = () => void;
const unauthorizedListeners = new Set<Listener>();

/** Called whenever the API answers 401 (not signed in, or the session expired). */
export function onUnauthorized(listener: Listener): () => void {
  unauthorizedListeners.add(listener);
  return () => unauthorizedListeners.delete(listener);
}

const csrf: Middleware = {
  async onRequest({ request }) {
    if (UNSAFE.has(request.method)) {
      await ensureCsrfCookie();
      const token = readCookie("csrftoken");
      if (token) request.headers.set("X-CSRFToken", token);
    }
    return request;
  },
  async onResponse({ response, request }) {
    if (response.status === 401 && !request.url.includes("/auth/")) {
      for (const listener of unauthorizedListeners) listener();
    }
    return response;
  },
};

export const api = createClient<paths>({
  baseUrl: window.location.origin,
  credentials: "same-origin",
  // Looked up on each call (not captured once), so tests can stand in for the server.
  fetch: (request) => globalThis.fetch(request),
});
api.use(csrf);

/** Unwraps an openapi-fetch answer: its data, or an ApiError with the problem details. */
export async function unwrap<T>(
  promise: Promise<{ data?: T; error?: unknown; response: Response }>,
): Promise<T> {
  const { data, error, response } = await promise;
  if (!response.ok) {
    const problem = error && typeof error === "object" && "detail" in error ? (error as Problem) : null;
    throw new ApiError(response.status, problem);
  }
  return data as T;
}
