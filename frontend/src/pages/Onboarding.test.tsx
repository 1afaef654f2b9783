import { cleanup, screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { Connector } from "../api/client";
import i18n from "../i18n";
import { renderWithProviders } from "../test/render";
import { ConnectorCard } from "./Onboarding";

afterEach(() => cleanup());

const shoptet = {
  key: "shoptet",
  kind: "eshop",
  title: "Shoptet",
  capabilities: ["orders.read", "stock.write"],
  authMode: "api_token",
  available: true,
  description: "Shoptet e-shop through its REST API.",
  simulated: false,
  error: null,
  settingsSchema: {},
  credentialsSchema: {},
} as Connector;

describe("connector cards", () => {
  it("show initials, the description and what the connector can do, in words", async () => {
    const onSelect = vi.fn();
    renderWithProviders(<ConnectorCard connector={shoptet} selected={false} onSelect={onSelect} />);
    const card = screen.getByRole("button", { name: /Shoptet/ });
    expect(card).toHaveAttribute("aria-pressed", "false");
    expect(card).toHaveTextContent("S");
    expect(card).toHaveTextContent("reads orders");
    expect(card).toHaveTextContent("writes stock");
    await userEvent.click(card);
    expect(onSelect).toHaveBeenCalled();
  });

  it("show the connector's own Czech description in Czech", async () => {
    const translated = {
      ...shoptet,
      translations: { cs: { description: "E-shop na Shoptetu přes jeho REST API." } },
    } as Connector;
    await i18n.changeLanguage("cs");
    try {
      renderWithProviders(<ConnectorCard connector={translated} selected={false} onSelect={vi.fn()} />);
      const card = screen.getByRole("button", { name: /Shoptet/ });
      expect(card).toHaveTextContent("E-shop na Shoptetu přes jeho REST API.");
      expect(card).toHaveTextContent("čte objednávky");
    } finally {
      await i18n.changeLanguage("en");
    }
  });

  it("show a plugin that failed to load as unavailable, and cannot be chosen", async () => {
    const onSelect = vi.fn();
    const broken = {
      ...shoptet,
      key: "abra",
      title: "ABRA Flexi",
      available: false,
      error: "failed to load",
    };
    renderWithProviders(<ConnectorCard connector={broken} selected={false} onSelect={onSelect} />);
    const card = screen.getByRole("button", { name: /ABRA Flexi/ });
    expect(card).toBeDisabled();
    expect(card).toHaveTextContent("Unavailable");
    expect(card).toHaveTextContent("failed to load");
    await userEvent.click(card);
    expect(onSelect).not.toHaveBeenCalled();
  });
});
