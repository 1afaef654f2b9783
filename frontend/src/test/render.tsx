import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { render } from "@testing-library/react";
import type { ReactElement } from "react";
import { MemoryRouter } from "react-router";
import { vi } from "vitest";

export function renderWithProviders(ui: ReactElement, { route = "/" }: { route?: string } = {}) {
  const client = new QueryClient({
    defaultOptions: { queries: { retry: false }, mutations: { retry: false } },
  });
  return render(
    <QueryClientProvider client={client}>
      <MemoryRouter initialEntries={[route]}>{ui}</MemoryRouter>
    </QueryClientProvider>,
  );
}

type Handler = (request: Request) => Response | Promise<Response>;

/** Replaces fetch with a router of (method path) → answer; records the requests. */
export function mockApi(routes: Record<string, Handler>) {
  const calls: { method: string; path: string; body: unknown; headers: Headers }[] = [];
  const fetchMock = vi.fn(async (input: RequestInfo | URL, init?: RequestInit) => {
    const request =
      input instanceof Request ? input : new Request(new URL(String(input), "http://localhost"), init);
    const path = new URL(request.url).pathname;
    const text = request.method === "GET" ? "" : await request.clone().text();
    calls.push({
      method: request.method,
      path,
      body: text ? JSON.parse(text) : null,
      headers: request.headers,
    });
    const handler = routes[`${request.method} ${path}`];
    if (!handler) return json(404, { status: 404, title: "Not found", detail: `no mock for ${path}` });
    return handler(request);
  });
  vi.stubGlobal("fetch", fetchMock);
  return calls;
}

export function json(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "content-type": status >= 400 ? "application/problem+json" : "application/json" },
  });
}

/** Sets (or with `null`, clears) the CSRF cookie the API client reads. */
export function setCsrfCookie(value: string | null): void {
  // biome-ignore lint/suspicious/noDocumentCookie: jsdom has no Cookie Store API; this is what the browser holds
  document.cookie = value ? `csrftoken=${value}` : "csrftoken=; expires=Thu, 01 Jan 1970 00:00:00 GMT";
}
