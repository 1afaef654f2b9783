import { afterEach, describe, expect, it } from "vitest";
import { formatDateTime, formatMoney, formatNumber } from "./format";
import i18n from "./index";

afterEach(async () => {
  await i18n.changeLanguage("en");
});

// Intl separates groups and units with (narrow) no-break spaces.
const plain = (text: string) => text.replace(/[\u00a0\u202f]/g, " ");

describe("Czech and English", () => {
  it("counts in Czech plurals", async () => {
    await i18n.changeLanguage("cs");
    expect(i18n.t("wizard.every", { count: 1 })).toBe("každou minutu");
    expect(i18n.t("wizard.every", { count: 3 })).toBe("každé 3 minuty");
    expect(i18n.t("wizard.every", { count: 15 })).toBe("každých 15 minut");
    await i18n.changeLanguage("en");
    expect(i18n.t("wizard.every", { count: 15 })).toBe("every 15 minutes");
  });

  it("formats numbers, money and dates for the language", async () => {
    await i18n.changeLanguage("cs");
    expect(plain(formatNumber(12345.5))).toBe("12 345,5");
    expect(plain(formatMoney("1234.5"))).toBe("1 234,50 Kč");
    expect(plain(formatDateTime("2026-11-27T10:05:00Z"))).toMatch(/^27\. 11\. 2026/);
    await i18n.changeLanguage("en");
    expect(plain(formatNumber(12345.5))).toBe("12,345.5");
    expect(plain(formatMoney("1234.5"))).toBe("CZK 1,234.50");
    expect(plain(formatDateTime("2026-11-27T10:05:00Z"))).toMatch(/^27 Nov 2026/);
  });
});
