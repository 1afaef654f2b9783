import { screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { FormProvider, useForm } from "react-hook-form";
import { describe, expect, it } from "vitest";
import { renderWithProviders } from "../test/render";
import { type JsonSchema, localized, type RawValues, SchemaFields, toPayload, toRaw } from "./SchemaForm";

const settings: JsonSchema = {
  type: "object",
  properties: {
    apiUrl: { title: "API address", type: "string", format: "uri", default: "https://api.myshoptet.com" },
    stockId: { title: "Warehouse", type: "integer", default: 1 },
    stockField: { title: "Stock level written as", type: "string", enum: ["quantity", "realStock"] },
    statuses: { title: "Statuses", type: "array", items: { type: "integer" } },
    statusMapping: { title: "Status mapping", type: "object", additionalProperties: { type: "string" } },
    quiet: { title: "No e-mail", type: "boolean", default: false },
  },
  required: ["apiUrl"],
};
const credentials: JsonSchema = {
  type: "object",
  properties: { apiToken: { title: "Private API token", type: "string", writeOnly: true } },
};

function Harness({
  values,
  secretsSet,
}: {
  values?: Record<string, unknown>;
  secretsSet?: Record<string, string>;
}) {
  const form = useForm<{ settings: RawValues; credentials: RawValues }>({
    defaultValues: {
      settings: toRaw(settings, values),
      credentials: toRaw(credentials, { apiToken: "leak" }),
    },
  });
  return (
    <FormProvider {...form}>
      <SchemaFields schema={settings} path="settings" legend="Settings" />
      <SchemaFields schema={credentials} path="credentials" legend="Access" secretsSet={secretsSet} />
    </FormProvider>
  );
}

describe("JSON Schema forms", () => {
  it("labels every field, fills defaults and never prefills a secret", () => {
    renderWithProviders(
      <Harness values={{ apiUrl: "http://127.0.0.1:1" }} secretsSet={{ apiToken: "set" }} />,
    );
    expect(screen.getByLabelText(/API address/)).toHaveValue("http://127.0.0.1:1");
    expect(screen.getByLabelText(/Warehouse/)).toHaveValue(1);
    expect(screen.getByLabelText(/Stock level/).tagName).toBe("SELECT");
    const secret = screen.getByLabelText(/Private API token/);
    expect(secret).toHaveAttribute("type", "password");
    expect(secret).toHaveValue("");
    expect(secret).toHaveAccessibleDescription(/Set\. Type a new value to replace it\./);
  });

  it("keeps lists, maps and booleans out of the way until asked for", async () => {
    renderWithProviders(<Harness />);
    const summary = screen.getByText("More options (3)");
    expect(screen.getByLabelText(/Status mapping/)).not.toBeVisible();
    await userEvent.click(summary);
    expect(screen.getByLabelText(/Status mapping/)).toBeVisible();
    expect(screen.getByLabelText(/No e-mail/)).toHaveAttribute("type", "checkbox");
  });

  it("turns form values into JSON of the schema's types", () => {
    const payload = toPayload(settings, {
      apiUrl: " https://api.myshoptet.com ",
      stockId: "2",
      stockField: "realStock",
      statuses: "-1, 3",
      statusMapping: "-1 = Nová\n3 = Vyřízená\nnonsense",
      quiet: true,
    });
    expect(payload).toEqual({
      apiUrl: "https://api.myshoptet.com",
      stockId: 2,
      stockField: "realStock",
      statuses: [-1, 3],
      statusMapping: { "-1": "Nová", "3": "Vyřízená" },
      quiet: true,
    });
    expect(toPayload(credentials, { apiToken: "" })).toEqual({});
    expect(toRaw(settings, { statusMapping: { a: "b" }, statuses: [1, 2] })).toMatchObject({
      statusMapping: "a = b",
      statuses: "1, 2",
    });
  });

  it("shows the connector's own translation of a field's title and description", () => {
    const field: JsonSchema = {
      title: "Warehouse (stock) ID",
      description: "ID of the e-shop's warehouse.",
      "x-translations": { cs: { title: "ID skladu", description: "ID skladu e-shopu." } },
    };
    expect(localized(field, "cs")).toEqual({ title: "ID skladu", description: "ID skladu e-shopu." });
    expect(localized(field, "cs-CZ").title).toBe("ID skladu");
    expect(localized(field, "en")).toEqual({
      title: "Warehouse (stock) ID",
      description: "ID of the e-shop's warehouse.",
    });
    expect(localized({ title: "Only English" }, "cs").title).toBe("Only English");
  });
});
