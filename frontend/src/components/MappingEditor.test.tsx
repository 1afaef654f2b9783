import { screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import type { ReactNode } from "react";
import { FormProvider, useForm } from "react-hook-form";
import { describe, expect, it, vi } from "vitest";
import { renderWithProviders } from "../test/render";
import type { Option } from "./ConnectionChoices";
import { toList, toMap } from "./linkText";
import { MappingEditor } from "./MappingEditor";
import { OptionChecklist, OptionSelect } from "./OptionChecklist";

type Values = { map: string; list: string; code: string };

function Harness({
  defaults,
  onSave,
  children,
}: {
  defaults: Partial<Values>;
  onSave: (v: Values) => void;
  children: ReactNode;
}) {
  const form = useForm<Values>({ defaultValues: { map: "", list: "", code: "", ...defaults } });
  return (
    <FormProvider {...form}>
      <form onSubmit={form.handleSubmit(onSave)}>
        {children}
        <button type="submit">Save</button>
      </form>
    </FormProvider>
  );
}

const statuses: Option[] = [
  { value: "-1", label: "Nevyřízená" },
  { value: "1", label: "Vyřízena" },
  { value: "2", label: "Stornována" },
];
const books: Option[] = [
  { value: "new", label: "Nová" },
  { value: "done", label: "Vyřízeno" },
];

async function save(onSave: ReturnType<typeof vi.fn>): Promise<Values> {
  await userEvent.click(screen.getByRole("button", { name: "Save" }));
  expect(onSave).toHaveBeenCalled();
  return onSave.mock.calls.at(-1)?.[0] as Values;
}

/** A form reset from outside, as the link page does after saving. */
function Resetting() {
  const form = useForm<Values>({ defaultValues: { map: "1 = done", list: "", code: "" } });
  return (
    <FormProvider {...form}>
      <MappingEditor name="map" label="Order status mapping" keys={statuses} values={books} />
      <button type="button" onClick={() => form.reset({ map: "2 = new", list: "", code: "" })}>
        Reset
      </button>
    </FormProvider>
  );
}

describe("mapping editor", () => {
  it("has a row per e-shop choice, maps chosen values, and keeps and removes unknown ones", async () => {
    const onSave = vi.fn();
    renderWithProviders(
      <Harness defaults={{ map: "1 = done\n99 = old" }} onSave={onSave}>
        <MappingEditor name="map" label="Order status mapping" keys={statuses} values={books} />
      </Harness>,
    );
    const group = screen.getByRole("group", { name: "Order status mapping" });
    // Labels shown, values stored; an unmapped status keeps as is.
    expect(within(group).getByLabelText("Nevyřízená")).toHaveValue("");
    expect(within(group).getByLabelText("Vyřízena")).toHaveValue("done");
    // A stored mapping of a status the e-shop no longer has: shown, marked, removable.
    const extra = screen.getByTestId("mapping-extra");
    expect(extra).toHaveTextContent("99");
    expect(extra).toHaveTextContent("not in the list");
    expect(within(extra).getByRole("textbox", { name: "Own value for 99" })).toHaveValue("old");
    await userEvent.click(within(group).getByRole("button", { name: "Remove the mapping of 99" }));
    expect(screen.queryByTestId("mapping-extra")).toBeNull();

    await userEvent.selectOptions(within(group).getByLabelText("Nevyřízená"), "Nová");
    await userEvent.selectOptions(within(group).getByLabelText("Vyřízena"), "— keep as is —");
    // A value the accounting does not list, typed.
    await userEvent.selectOptions(within(group).getByLabelText("Stornována"), "Other value…");
    await userEvent.type(within(group).getByRole("textbox", { name: "Own value for Stornována" }), "storno");
    const saved = await save(onSave);
    expect(toMap(saved.map)).toEqual({ "-1": "new", "2": "storno" });
  });

  it("offers free rows when the e-shop lists nothing, typed values when accounting lists nothing", async () => {
    const onSave = vi.fn();
    renderWithProviders(
      <Harness defaults={{ map: "cod = dobirka" }} onSave={onSave}>
        <MappingEditor name="map" label="Payment method mapping" keys={null} values={null} />
        <MappingEditor name="code" label="VAT rate mapping" keys={null} values={books} />
      </Harness>,
    );
    // No list on either side: the text of "key = value" lines, as before.
    expect(screen.getByLabelText("Payment method mapping").tagName).toBe("TEXTAREA");
    const vat = screen.getByRole("group", { name: "VAT rate mapping" });
    expect(within(vat).getByText(/does not list its values/)).toBeVisible();
    await userEvent.click(within(vat).getByRole("button", { name: "Add a row" }));
    await userEvent.type(within(vat).getByRole("textbox", { name: "Value in the e-shop, row 1" }), "21");
    await userEvent.selectOptions(
      within(vat).getByRole("combobox", { name: "Value in accounting for 21" }),
      "Vyřízeno",
    );
    await userEvent.click(within(vat).getByRole("button", { name: "Add a row" }));
    await userEvent.type(within(vat).getByRole("textbox", { name: "Value in the e-shop, row 2" }), "12");
    const saved = await save(onSave);
    // A row without a value is no mapping.
    expect(toMap(saved.code)).toEqual({ "21": "done" });
    expect(toMap(saved.map)).toEqual({ cod: "dobirka" });
  });

  it("re-reads the form's text when the form is reset (after saving)", async () => {
    renderWithProviders(<Resetting />);
    expect(screen.getByLabelText("Vyřízena")).toHaveValue("done");
    await userEvent.click(screen.getByRole("button", { name: "Reset" }));
    expect(screen.getByLabelText("Vyřízena")).toHaveValue("");
    expect(screen.getByLabelText("Stornována")).toHaveValue("new");
  });
});

describe("checklists and selects of a system's choices", () => {
  it("check statuses (none = all), keep unknown ones, and select a code or the default", async () => {
    const onSave = vi.fn();
    renderWithProviders(
      <Harness defaults={{ list: "2, gone", code: "X9" }} onSave={onSave}>
        <OptionChecklist
          name="list"
          label="Order statuses to transfer"
          options={statuses}
          noneMeans="None checked: orders in all statuses are transferred."
        />
        <OptionSelect name="code" label="Number series" options={books} />
      </Harness>,
    );
    const group = screen.getByRole("group", { name: "Order statuses to transfer" });
    expect(group).toHaveAccessibleDescription("None checked: orders in all statuses are transferred.");
    expect(within(group).getByLabelText("Stornována")).toBeChecked();
    expect(within(group).getByLabelText(/gone/)).toBeChecked();
    await userEvent.click(within(group).getByLabelText("Nevyřízená"));
    await userEvent.click(within(group).getByLabelText(/gone/));
    // A stored code the system does not list shows as typed.
    expect(screen.getByRole("textbox", { name: "Own value for Number series" })).toHaveValue("X9");
    await userEvent.selectOptions(screen.getByLabelText("Number series"), "Nová");
    let saved = await save(onSave);
    expect(toList(saved.list)).toEqual(["-1", "2"]);
    expect(saved.code).toBe("new");
    await userEvent.selectOptions(screen.getByLabelText("Number series"), "— the connection's default —");
    saved = await save(onSave);
    expect(saved.code).toBe("");
  });

  it("are typed when the system lists nothing", () => {
    renderWithProviders(
      <Harness defaults={{ list: "1, 2", code: "OBJ" }} onSave={vi.fn()}>
        <OptionChecklist name="list" label="Warehouses" options={null} noneMeans="None: all." />
        <OptionSelect name="code" label="Number series" options={null} />
      </Harness>,
    );
    expect(screen.getByRole("textbox", { name: "Warehouses" })).toHaveValue("1, 2");
    expect(screen.getByRole("textbox", { name: "Warehouses" })).toHaveAccessibleDescription(
      "Comma-separated. None: all.",
    );
    expect(screen.getByRole("textbox", { name: "Number series" })).toHaveValue("OBJ");
  });
});
