import { cleanup, screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { FlowStatus, LinkDaily, Run } from "../api/client";
import { toSeries } from "../components/LinkCharts";
import { json, mockApi, renderWithProviders, setCsrfCookie } from "../test/render";
import { DashboardPage } from "./Dashboard";

afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
});

const link = {
  id: "l1",
  name: "Bylinky → POHODA",
  eshopConnectionId: "e1",
  accountingConnectionId: "a1",
  paused: false,
  flows: {},
  createdAt: "2026-11-20T00:00:00Z",
  updatedAt: "2026-11-20T00:00:00Z",
};

const counts = { created: 0, updated: 0, skipped: 0, failed: 0 };
const run = (flow: string, status: string, extra: Partial<Run> = {}): Run => ({
  id: `r-${flow}`,
  linkId: "l1",
  flow,
  trigger: "manual",
  status,
  counts,
  queuedAt: "2026-11-27T10:00:00Z",
  startedAt: "2026-11-27T10:00:00Z",
  finishedAt: status === "running" ? null : "2026-11-27T10:00:05Z",
  error: null,
  ...extra,
});
const day = { runs: 0, failedRuns: 0, created: 0, updated: 0, skipped: 0, failed: 0 };
const flow = (f: string, state: string, extra: Partial<FlowStatus> = {}): FlowStatus => ({
  flow: f,
  enabled: true,
  state,
  lastRun: null,
  nextRunAt: null,
  failuresInRow: 0,
  lastError: null,
  lastDay: day,
  ...extra,
});

function serve(flows: FlowStatus[]) {
  return mockApi({
    "GET /api/v1/links": () => json(200, { items: [link], total: 1, limit: 200, offset: 0 }),
    "GET /api/v1/connections": () =>
      json(200, {
        items: [
          { id: "e1", name: "Bylinky e-shop" },
          { id: "a1", name: "Účetnictví" },
        ],
        total: 2,
        limit: 200,
        offset: 0,
      }),
    "GET /api/v1/links/l1/status": () => json(200, { linkId: "l1", paused: false, flows }),
    "GET /api/v1/runs/r-orders/events": () =>
      json(200, {
        items: [
          {
            id: "ev1",
            runId: "r-orders",
            entity: "order",
            sourceId: "2026000003",
            targetId: null,
            label: "2026000003",
            action: "create",
            outcome: "failed",
            message: "POHODA has no stock card TRI-L.",
            createdAt: "2026-11-27T10:00:01Z",
          },
        ],
        total: 1,
        limit: 200,
        offset: 0,
      }),
    "POST /api/v1/links/l1/runs": () => json(202, { id: "r-new", status: "queued", created: true }),
  });
}

describe("dashboard", () => {
  it("shows each enabled flow's state, the last day's counts and the newest errors", async () => {
    serve([
      flow("orders", "failing", {
        lastRun: run("orders", "partial", { counts: { ...counts, created: 2, failed: 1 } }),
        lastDay: { ...day, runs: 1, failedRuns: 1, created: 2, failed: 1 },
      }),
      flow("stock", "healthy", { lastRun: run("stock", "succeeded"), nextRunAt: "2099-01-01T00:00:00Z" }),
      flow("products", "idle"),
      flow("fulfilment", "disabled", { enabled: false }),
    ]);
    renderWithProviders(<DashboardPage />);
    expect(await screen.findByRole("heading", { name: "Bylinky → POHODA" })).toBeInTheDocument();
    expect(await screen.findByText("Bylinky e-shop → Účetnictví")).toBeInTheDocument();
    const orders = await screen.findByTestId("flow-orders");
    expect(within(orders).getByText("Failing")).toBeInTheDocument();
    expect(within(orders).getByText("Partly failed")).toBeInTheDocument();
    expect(within(screen.getByTestId("flow-stock")).getByText("Healthy")).toBeInTheDocument();
    expect(within(screen.getByTestId("flow-products")).getByText("Not run yet")).toBeInTheDocument();
    expect(screen.queryByTestId("flow-fulfilment")).toBeNull();
    expect(await screen.findByText(/POHODA has no stock card TRI-L\./)).toBeInTheDocument();
    expect(screen.getByRole("link", { name: "2026000003" })).toHaveAttribute("href", "/runs/r-orders");
  });

  it("runs a flow now with the CSRF token, and says it is live while it runs", async () => {
    setCsrfCookie("tok");
    const calls = serve([flow("orders", "running", { lastRun: run("orders", "running") })]);
    renderWithProviders(<DashboardPage />);
    expect(await screen.findByRole("status")).toHaveTextContent("Live");
    await userEvent.click(await screen.findByRole("button", { name: "Run Orders now" }));
    const post = calls.find((c) => c.method === "POST");
    expect(post?.path).toBe("/api/v1/links/l1/runs");
    expect(post?.body).toEqual({ flow: "orders" });
    expect(post?.headers.get("X-CSRFToken")).toBe("tok");
    setCsrfCookie(null);
  });
});

describe("charts", () => {
  it("has a value for every day of the window, and the error rate only where there were runs", () => {
    const data: LinkDaily = {
      linkId: "l1",
      timeZone: "Europe/Prague",
      since: "2026-11-25",
      until: "2026-11-27",
      items: [
        {
          day: "2026-11-25",
          flow: "orders",
          runs: 2,
          failedRuns: 1,
          created: 3,
          updated: 1,
          skipped: 0,
          failed: 1,
        },
        {
          day: "2026-11-25",
          flow: "stock",
          runs: 2,
          failedRuns: 0,
          created: 0,
          updated: 10,
          skipped: 5,
          failed: 0,
        },
        {
          day: "2026-11-27",
          flow: "orders",
          runs: 1,
          failedRuns: 0,
          created: 2,
          updated: 0,
          skipped: 0,
          failed: 0,
        },
      ],
    };
    expect(toSeries(data)).toEqual({
      days: ["2026-11-25", "2026-11-26", "2026-11-27"],
      orders: [4, 0, 2],
      stock: [10, 0, 0],
      errorRate: [0.25, null, 0],
    });
  });
});
