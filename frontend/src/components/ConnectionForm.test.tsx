import { cleanup, screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { Connection, Connector } from "../api/client";
import { json, mockApi, renderWithProviders, setCsrfCookie } from "../test/render";
import { ConnectionForm } from "./ConnectionForm";

const connector = {
  key: "shoptet",
  kind: "eshop",
  title: "Shoptet",
  capabilities: ["orders.read"],
  authMode: "api_token",
  available: true,
  description: "",
  simulated: false,
  error: null,
  settingsSchema: {
    type: "object",
    properties: { apiUrl: { title: "API address", type: "string", default: "https://api.myshoptet.com" } },
  },
  credentialsSchema: {
    type: "object",
    properties: { apiToken: { title: "Private API token", type: "string", writeOnly: true } },
  },
} as Connector;

const saved = {
  id: "c1",
  connector: "shoptet",
  kind: "eshop",
  name: "My shop",
  settings: { apiUrl: "http://127.0.0.1:9" },
  credentials: { apiToken: "set" },
  lastCheck: null,
  createdAt: "2026-11-27T10:00:00Z",
  updatedAt: "2026-11-27T10:00:00Z",
  webhookUrl: null,
} as Connection;

afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
});

describe("connection form", () => {
  it("creates the connection, tests it and shows the connector's answer", async () => {
    setCsrfCookie("tok");
    const onChecked = vi.fn();
    const calls = mockApi({
      "POST /api/v1/connections": () => json(201, saved),
      "POST /api/v1/connections/c1/check": () =>
        json(200, {
          ok: true,
          message: "Connected to the e-shop “Bylinky”.",
          checkedAt: saved.createdAt,
          details: {},
        }),
    });
    renderWithProviders(<ConnectionForm connector={connector} onChecked={onChecked} />);
    await userEvent.clear(screen.getByLabelText("Name of the connection"));
    await userEvent.type(screen.getByLabelText("Name of the connection"), "My shop");
    await userEvent.clear(screen.getByLabelText(/API address/));
    await userEvent.type(screen.getByLabelText(/API address/), "http://127.0.0.1:9");
    await userEvent.type(screen.getByLabelText(/Private API token/), "secret-token");
    await userEvent.click(screen.getByRole("button", { name: "Save and test the connection" }));
    expect(await screen.findByTestId("check-result")).toHaveTextContent(
      "Connected: Connected to the e-shop “Bylinky”.",
    );
    expect(calls[0]?.body).toEqual({
      connector: "shoptet",
      name: "My shop",
      settings: { apiUrl: "http://127.0.0.1:9" },
      credentials: { apiToken: "secret-token" },
    });
    // The secret is gone from the form once saved.
    expect(screen.getByLabelText(/Private API token/)).toHaveValue("");
    expect(onChecked).toHaveBeenCalledWith(saved, expect.objectContaining({ ok: true }));
  });

  it("keeps stored credentials when none are typed, and explains a failed check", async () => {
    setCsrfCookie("tok");
    const calls = mockApi({
      "PATCH /api/v1/connections/c1": () => json(200, saved),
      "POST /api/v1/connections/c1/check": () =>
        json(200, {
          ok: false,
          message: "The API token was refused.",
          checkedAt: saved.createdAt,
          details: {},
        }),
    });
    renderWithProviders(<ConnectionForm connector={connector} connection={saved} />);
    expect(screen.getByLabelText(/Private API token/)).toHaveValue("");
    await userEvent.click(screen.getByRole("button", { name: "Test again" }));
    expect(await screen.findByTestId("check-result")).toHaveTextContent(
      "The connection does not work: The API token was refused.",
    );
    expect(calls[0]?.body).toEqual({ name: "My shop", settings: { apiUrl: "http://127.0.0.1:9" } });
  });
});
