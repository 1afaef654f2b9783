import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import AxeBuilder from "@axe-core/playwright";
import { expect, type Page, test } from "@playwright/test";
import { type Simulator, STACK_FILE, type Stack } from "./global-setup";

const shots = join(dirname(fileURLToPath(import.meta.url)), "..", "test-results", "screenshots");
const stack = (): Stack => JSON.parse(readFileSync(STACK_FILE, "utf8")) as Stack;

async function shot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: join(shots, `${name}.png`), fullPage: true });
}

/** No serious or critical accessibility violation (labels, contrast, roles...) on the page as it is. */
async function accessible(page: Page): Promise<void> {
  const { violations } = await new AxeBuilder({ page }).withTags(["wcag2a", "wcag2aa"]).analyze();
  const serious = violations
    .filter((v) => v.impact === "serious" || v.impact === "critical")
    .map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(" ")).join(", ")})`);
  expect(serious).toEqual([]);
}

/** Fills a connection form generated from the connector's JSON Schemas with a simulator's values. */
async function fillConnection(page: Page, sim: Simulator): Promise<void> {
  for (const [group, values] of [
    ["settings", sim.settings],
    ["credentials", sim.credentials],
  ] as const) {
    for (const [key, value] of Object.entries(values)) {
      const field = page.locator(`[name="${group}.${key}"]`);
      if ((await field.count()) === 0) continue;
      if (!(await field.isVisible())) await field.locator("xpath=ancestor::details/summary").click();
      await field.fill(String(value));
    }
  }
}

/** The link editor has asked both systems for their choices (lists, or a notice why they are typed). */
async function choicesRead(page: Page, loading: RegExp): Promise<void> {
  await expect(page.getByText(loading)).toHaveCount(0, { timeout: 40_000 });
}

test.describe.configure({ mode: "serial" });

test("a Czech merchant signs up, links Shoptet to POHODA, runs orders and sees stock come back", async ({
  browser,
}) => {
  const { url, shoptet, pohoda } = stack();
  const context = await browser.newContext({ locale: "cs-CZ", baseURL: url });
  const page = await context.newPage();
  const problems: string[] = [];
  page.on("pageerror", (e) => problems.push(String(e)));
  page.on("console", (m) => {
    // The browser logs every 4xx answer (the weak password, a 401 probe); the app must log nothing else.
    if (m.type() === "error" && !/Failed to load resource/.test(m.text())) problems.push(m.text());
  });

  // Signup, in Czech for a Czech browser; the password rules are shown before submitting.
  await page.goto("/");
  await expect(page).toHaveURL(/\/login$/);
  await page.getByRole("link", { name: "Založte si účet" }).click();
  await expect(page.getByRole("heading", { name: "Založení účtu" })).toBeVisible();
  await expect(page.getByText("mít alespoň 10 znaků")).toBeVisible();
  await page.getByLabel("Název firmy").fill("Bylinky s.r.o.");
  const email = `jana+${Date.now()}@bylinky.cz`;
  const password = "zelený čaj s mátou a medem";
  await page.getByLabel("E-mail").fill(email);
  await page.getByLabel("Heslo").fill("heslo");
  await page.getByRole("button", { name: "Založit účet" }).click();
  await expect(page.getByRole("alert")).toContainText("password");
  await shot(page, "01-signup");
  await accessible(page);
  await page.getByLabel("Heslo").fill(password);
  await page.getByRole("button", { name: "Založit účet" }).click();

  // Wizard step 1: the e-shop.
  await expect(page).toHaveURL(/\/onboarding$/);
  await expect(page.getByRole("heading", { name: "Jakou platformu e-shopu používáte?" })).toBeVisible();
  await page.getByTestId("connector-shoptet").click();
  await fillConnection(page, shoptet);
  await expect(page.locator('[name="credentials.apiToken"]')).toHaveAttribute("type", "password");
  await page.getByRole("button", { name: "Uložit a vyzkoušet připojení" }).click();
  await expect(page.getByTestId("check-result")).toContainText("Připojeno");
  await shot(page, "02-wizard-eshop");
  await accessible(page);
  await page.getByRole("button", { name: "Pokračovat" }).click();

  // Step 2: the accounting.
  await expect(page.getByRole("heading", { name: "Jaký účetní systém používáte?" })).toBeVisible();
  await page.getByTestId("connector-pohoda").click();
  await fillConnection(page, pohoda);
  await page.getByRole("button", { name: "Uložit a vyzkoušet připojení" }).click();
  await expect(page.getByTestId("check-result")).toContainText("Připojeno");
  // The secret is never shown again: the field is empty after saving.
  await expect(page.locator('[name="credentials.password"]')).toHaveValue("");
  await shot(page, "03-wizard-accounting");
  await page.getByRole("button", { name: "Pokračovat" }).click();

  // Step 3: flows; step 4: summary, then start.
  await expect(page.getByRole("heading", { name: "Co synchronizovat" })).toBeVisible();
  // The choices are read live from both systems; where a system cannot list them, they are typed.
  await choicesRead(page, /^Načítám z /);
  await page.locator("details.mappings > summary").click();
  await shot(page, "04-wizard-flows");
  await accessible(page);
  await page.getByRole("button", { name: "Pokračovat" }).click();
  await expect(page.getByRole("heading", { name: "Shrnutí" })).toBeVisible();
  await shot(page, "05-wizard-summary");
  await page.getByRole("button", { name: "Spustit synchronizaci" }).click();

  // Dashboard: run orders by hand and watch it finish live.
  await expect(page.getByRole("heading", { name: "Přehled" })).toBeVisible();
  await expect(page.getByText("Propojení běží.")).toBeVisible();
  // Orders first: POHODA has no stock cards for the shop's products yet, and the dashboard says so.
  await page.getByRole("button", { name: "Spustit Objednávky teď" }).click();
  const orders = page.getByTestId("flow-orders");
  await expect(orders.getByText("Selhává")).toBeVisible({ timeout: 60_000 });
  await expect(page.getByRole("heading", { name: "Nejnovější chyby" })).toBeVisible();
  await expect(page.getByText(/or run the products flow/).first()).toBeVisible();
  await shot(page, "06-dashboard-error");
  // As the error says: the products flow makes the stock cards, then orders go through.
  await page.getByRole("button", { name: "Spustit Produkty teď" }).click();
  await expect(page.getByTestId("flow-products").getByText("V pořádku")).toBeVisible({ timeout: 60_000 });
  await page.getByRole("button", { name: "Spustit Objednávky teď" }).click();
  await expect(orders.getByText("V pořádku")).toBeVisible({ timeout: 60_000 });
  await expect(orders.getByText("Úspěch")).toBeVisible();

  // The stock comes back from POHODA.
  await page.getByRole("button", { name: "Spustit Sklad teď" }).click();
  const stock = page.getByTestId("flow-stock");
  await expect(stock.getByText("V pořádku")).toBeVisible({ timeout: 60_000 });
  await page.getByRole("button", { name: "Grafy" }).click();
  await expect(page.getByTestId("charts").locator("canvas")).toHaveCount(3);
  await shot(page, "07-dashboard-cs");
  await accessible(page);

  // Run history, filtered by flow, and the orders run with its per-record events.
  await page.getByRole("link", { name: "Historie běhů" }).click();
  await page.getByLabel("Tok").selectOption("orders");
  const table = page.getByTestId("runs-table");
  await expect(table.getByText("Ručně").first()).toBeVisible();
  await shot(page, "08-run-history");
  // The scheduler may have run orders too; open the run that transferred them.
  await page.getByLabel("Výsledek").selectOption("succeeded");
  const transferred = table
    .locator("tbody tr")
    .filter({ hasNot: page.locator("td:nth-child(5)", { hasText: /^0$/ }) });
  await transferred.first().getByRole("link").click();
  await expect(page.getByRole("heading", { name: /Běh toku Objednávky/ })).toBeVisible();
  const events = page.getByTestId("events-table");
  await expect(events).toBeVisible();
  for (const number of shoptet.orders ?? []) await expect(events).toContainText(number);
  await shot(page, "09-run-events");
  await accessible(page);

  // Switch to English: the same page, in English, with dates formatted for it.
  await page.getByTestId("language").selectOption("en");
  await expect(page.getByRole("heading", { name: /Run of Orders/ })).toBeVisible();
  await expect(page.locator("html")).toHaveAttribute("lang", "en");
  await page.getByRole("link", { name: "Dashboard" }).click();
  await expect(page.getByTestId("flow-orders").getByText("Healthy")).toBeVisible();
  await shot(page, "10-dashboard-en");

  // The link's settings after the wizard: orders every 30 minutes instead of 15.
  await page.getByRole("link", { name: /^Settings: / }).click();
  await expect(page.getByRole("heading", { name: /Link settings/ })).toBeVisible();
  await choicesRead(page, /^Reading the /);
  await page.locator("details.mappings > summary").click();
  await shot(page, "10b-link-settings");
  await accessible(page);
  // POHODA's number series, when it lists them (else the code is typed): the choice is kept.
  const series = page.getByRole("combobox", { name: "Number series" });
  const chosenSeries = (await series.count())
    ? await series.locator("option").nth(1).getAttribute("value")
    : null;
  if (chosenSeries) await series.selectOption(chosenSeries);
  await page.locator('[name="orders.everyMinutes"]').fill("30");
  await page.getByRole("button", { name: "Save" }).click();
  await expect(page.getByText("Saved.")).toBeVisible();
  if (chosenSeries) {
    await page.reload();
    await expect(page.getByRole("heading", { name: /Link settings/ })).toBeVisible();
    await choicesRead(page, /^Reading the /);
    await expect(page.getByRole("combobox", { name: "Number series" })).toHaveValue(chosenSeries);
  }
  await page.getByRole("link", { name: "Dashboard", exact: true }).click();

  // The other pages.
  await page.getByRole("link", { name: "Connections" }).click();
  await expect(page.getByTestId("connection")).toHaveCount(2);
  await shot(page, "11-connections");
  await page.getByRole("link", { name: "Team" }).click();
  await expect(page.getByRole("heading", { name: "Members" })).toBeVisible();
  await page.getByRole("link", { name: "Audit log" }).click();
  await expect(page.getByRole("table")).toBeVisible();
  await shot(page, "12-audit");
  await accessible(page);

  // Sign out, and back in.
  await page.getByRole("button", { name: "Sign out" }).click();
  await expect(page.getByText("You have been signed out.")).toBeVisible();
  await page.getByLabel("E-mail").fill(email);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByRole("heading", { name: "Dashboard" })).toBeVisible();

  // The session ends on the server's side: the next request says so, and leads back to sign in.
  await context.clearCookies({ name: "spojka_session" });
  await page.getByRole("link", { name: "Connections" }).click();
  await expect(page.getByText("Your session has expired. Sign in again.")).toBeVisible();
  await expect(page).toHaveURL(/\/login$/);
  expect(problems).toEqual([]);
  await context.close();
});

test("an English browser gets English; a wrong sign-in is explained in plain words", async ({ browser }) => {
  const { url } = stack();
  const context = await browser.newContext({ locale: "en-US", baseURL: url });
  const page = await context.newPage();
  await page.goto("/login");
  await expect(page.getByRole("heading", { name: "Sign in" })).toBeVisible();
  await page.getByLabel("E-mail").fill("nobody@example.cz");
  await page.getByLabel("Password").fill("not the right one at all");
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByRole("alert")).toBeVisible();
  await shot(page, "00-login-en");
  // Keyboard only: the skip link and the form are reachable with Tab.
  await page.goto("/signup");
  await expect(page.getByRole("heading", { name: "Create your account" })).toBeVisible();
  await page.keyboard.press("Tab");
  await expect(page.getByTestId("language")).toBeFocused();
  await page.keyboard.press("Tab");
  await expect(page.getByLabel("Company name")).toBeFocused();
  await page.keyboard.type("Keyboard s.r.o.");
  await page.keyboard.press("Tab");
  await expect(page.getByLabel("E-mail")).toBeFocused();
  await context.close();
});
