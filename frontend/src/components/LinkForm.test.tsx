import { screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { Route, Routes } from "react-router";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { Flows, Link } from "../api/client";
import { LinkEditPage } from "../pages/LinkEdit";
import { json, mockApi, renderWithProviders, setCsrfCookie } from "../test/render";
import type { ConnectionOptions } from "./ConnectionChoices";
import { flowsPayload, linkValues } from "./LinkForm";

afterEach(() => vi.unstubAllGlobals());

const flows = {
  orders: {
    enabled: true,
    everyMinutes: 15,
    webhooks: true,
    statuses: [],
    statusMap: { "1": "done", "99": "old" },
    paymentMap: {},
    shippingMap: {},
    vatMap: { "21": "high" },
    numberSeries: null,
    warehouse: null,
    invoice: "never",
    invoiceStatuses: [],
    reserveStock: false,
    onChange: "flag",
  },
  stock: {
    enabled: true,
    everyMinutes: 60,
    afterOrders: true,
    rule: "available",
    warehouses: [],
    combine: "single",
    purchasePrices: true,
  },
  products: { enabled: true, nightlyAtHour: 2, timeZone: "Europe/Prague", store: null },
  fulfilment: { enabled: true, everyMinutes: 15, trackingField: null, fulfilledStatus: null },
} as Flows;

const link = {
  id: "l1",
  name: "Bylinky → POHODA",
  eshopConnectionId: "shop",
  accountingConnectionId: "books",
  paused: false,
  flows,
  createdAt: "2026-11-20T00:00:00Z",
  updatedAt: "2026-11-20T00:00:00Z",
} as Link;

const none: ConnectionOptions = {
  supported: false,
  orderStatuses: [],
  paymentMethods: [],
  shippingMethods: [],
  vatRates: [],
  numberSeries: [],
  warehouses: [],
};
const shopOptions: ConnectionOptions = {
  ...none,
  supported: true,
  orderStatuses: [
    { value: "-1", label: "Nevyřízená" },
    { value: "1", label: "Vyřízena" },
  ],
  paymentMethods: [
    { value: "cod", label: "Dobírka" },
    { value: "card", label: "Platba kartou" },
  ],
  vatRates: [{ value: "21", label: "21 %" }],
};
const bookOptions: ConnectionOptions = {
  ...none,
  supported: true,
  orderStatuses: [
    { value: "new", label: "Nová" },
    { value: "done", label: "Vyřízeno" },
  ],
  paymentMethods: [
    { value: "hotove", label: "Hotově" },
    { value: "dobirka", label: "Dobírkou" },
  ],
  vatRates: [{ value: "high", label: "Základní sazba" }],
  numberSeries: [{ value: "OBJ", label: "OBJ – Přijaté objednávky" }],
  warehouses: [
    { value: "HL", label: "Hlavní sklad" },
    { value: "ES", label: "E-shop" },
  ],
};

function serve(shop: () => Response, books: () => Response) {
  setCsrfCookie("tok");
  return mockApi({
    "GET /api/v1/links/l1": () => json(200, link),
    "GET /api/v1/connections/shop/options": shop,
    "GET /api/v1/connections/books/options": books,
    "PATCH /api/v1/links/l1": async (request) => {
      const body = (await request.json()) as { name: string; flows: Flows };
      return json(200, { ...link, name: body.name, flows: body.flows });
    },
  });
}

const page = () =>
  renderWithProviders(
    <Routes>
      <Route path="/links/:linkId/edit" element={<LinkEditPage />} />
    </Routes>,
    { route: "/links/l1/edit" },
  );

const patched = (calls: ReturnType<typeof mockApi>) =>
  calls.find((c) => c.method === "PATCH")?.body as { name: string; flows: Flows };

describe("link editor with the systems' choices", () => {
  it("saves the same flows as before when nothing is changed", async () => {
    const calls = serve(
      () => json(200, shopOptions),
      () => json(200, bookOptions),
    );
    page();
    await screen.findByRole("group", { name: "Order status mapping" });
    await userEvent.click(screen.getByRole("button", { name: "Save" }));
    await screen.findByText("Saved.");
    expect(patched(calls).flows).toEqual(flowsPayload(linkValues(link.name, flows)));
    expect(patched(calls).flows).toEqual(flows);
  });

  it("maps from rows of the e-shop's choices and saves objects, lists and codes", async () => {
    const calls = serve(
      () => json(200, shopOptions),
      () => json(200, bookOptions),
    );
    page();
    const statusMap = await screen.findByRole("group", { name: "Order status mapping" });
    await userEvent.click(screen.getByText(/^Order status mapping, /));
    expect(within(statusMap).getByLabelText("Vyřízena")).toHaveValue("done");
    expect(within(statusMap).getByTestId("mapping-extra")).toHaveTextContent("99");
    await userEvent.click(within(statusMap).getByRole("button", { name: "Remove the mapping of 99" }));
    await userEvent.selectOptions(within(statusMap).getByLabelText("Nevyřízená"), "Nová");
    const payment = screen.getByRole("group", { name: "Payment method mapping" });
    await userEvent.selectOptions(within(payment).getByLabelText("Dobírka"), "Dobírkou");
    // Neither side lists shipping methods: typed lines, as before.
    await userEvent.type(screen.getByLabelText("Shipping method mapping"), "zasilkovna = ZAS");
    const statuses = screen.getByRole("group", { name: "Order statuses to transfer" });
    expect(statuses).toHaveAccessibleDescription("None checked: orders in all statuses are transferred.");
    await userEvent.click(within(statuses).getByLabelText("Vyřízena"));
    await userEvent.selectOptions(screen.getByLabelText("Number series"), "OBJ – Přijaté objednávky");
    await userEvent.click(
      within(screen.getByRole("group", { name: "Warehouses the stock comes from" })).getByLabelText("E-shop"),
    );
    await userEvent.selectOptions(screen.getByLabelText("Status of a fulfilled order"), "Vyřízena");
    await userEvent.click(screen.getByRole("button", { name: "Save" }));
    await screen.findByText("Saved.");
    const sent = patched(calls).flows;
    expect(sent.orders?.statusMap).toEqual({ "1": "done", "-1": "new" });
    expect(sent.orders?.paymentMap).toEqual({ cod: "dobirka" });
    expect(sent.orders?.shippingMap).toEqual({ zasilkovna: "ZAS" });
    expect(sent.orders?.vatMap).toEqual({ "21": "high" });
    expect(sent.orders?.statuses).toEqual(["1"]);
    expect(sent.orders?.numberSeries).toBe("OBJ");
    expect(sent.orders?.warehouse).toBeNull();
    expect(sent.stock?.warehouses).toEqual(["ES"]);
    expect(sent.fulfilment?.fulfilledStatus).toBe("1");
    // The saved link is shown as saved: the editor reads the form anew.
    expect(within(statusMap).getByLabelText("Nevyřízená")).toHaveValue("new");
    expect(within(statusMap).queryByTestId("mapping-extra")).toBeNull();
  });

  it("types a side's fields when its connector cannot list them, and says so", async () => {
    serve(
      () => json(200, none),
      () => json(200, none),
    );
    page();
    expect(await screen.findByText(/This e-shop cannot list its statuses/)).toBeVisible();
    expect(await screen.findByText(/This accounting system cannot list its choices/)).toBeVisible();
    expect(screen.getByLabelText("Order status mapping").tagName).toBe("TEXTAREA");
    expect(screen.getByLabelText("Order status mapping")).toHaveValue("1 = done\n99 = old");
    expect(screen.getByRole("textbox", { name: "Order statuses to transfer" })).toHaveValue("");
    expect(screen.getByRole("textbox", { name: "Number series" })).toHaveValue("");
    expect(screen.queryByRole("group", { name: "Order status mapping" })).toBeNull();
  });

  it("offers no status mapping when the accounting lists its choices but no statuses", async () => {
    const noStatuses = { ...bookOptions, orderStatuses: [] };
    setCsrfCookie("tok");
    mockApi({
      "GET /api/v1/links/l1": () =>
        json(200, { ...link, flows: { ...flows, orders: { ...flows.orders, statusMap: {} } } }),
      "GET /api/v1/connections/shop/options": () => json(200, shopOptions),
      "GET /api/v1/connections/books/options": () => json(200, noStatuses),
    });
    page();
    expect(await screen.findByRole("group", { name: "Payment method mapping" })).toBeInTheDocument();
    expect(screen.queryByRole("group", { name: "Order status mapping" })).toBeNull();
    expect(screen.queryByLabelText("Order status mapping")).toBeNull();
  });

  it("keeps a status mapping already set even when the accounting lists no statuses", async () => {
    serve(
      () => json(200, shopOptions),
      () => json(200, { ...bookOptions, orderStatuses: [] }),
    );
    page();
    expect(await screen.findByRole("group", { name: "Order status mapping" })).toBeInTheDocument();
  });

  it("shows a 503's words and a retry button, and types meanwhile", async () => {
    let down = true;
    serve(
      () => json(200, shopOptions),
      () =>
        down
          ? json(503, {
              status: 503,
              title: "Service Unavailable",
              detail: "POHODA mServer does not answer; is it running?",
            })
          : json(200, bookOptions),
    );
    page();
    const alert = await screen.findByRole("alert");
    expect(alert).toHaveAttribute("data-testid", "choices-accounting");
    expect(alert).toHaveTextContent(
      "The accounting's choices could not be read: POHODA mServer does not answer; is it running?",
    );
    // The accounting side is typed; the e-shop side is chosen.
    expect(screen.getByRole("textbox", { name: "Number series" })).toBeInTheDocument();
    const statusMap = screen.getByRole("group", { name: "Order status mapping" });
    expect(within(statusMap).getByLabelText("Vyřízena")).toHaveValue("done");
    down = false;
    await userEvent.click(within(alert).getByRole("button", { name: "Try again" }));
    expect(await screen.findByRole("combobox", { name: "Number series" })).toBeInTheDocument();
    expect(screen.queryByTestId("choices-accounting")).toBeNull();
  });
});
