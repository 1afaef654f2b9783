import { useFormContext } from "react-hook-form";
import { useTranslation } from "react-i18next";
import type { Flows } from "../api/client";
import { ChoicesNotice, choices, useChoiceSide } from "./ConnectionChoices";
import { list, map, toList, toMap } from "./linkText";
import { MappingEditor } from "./MappingEditor";
import { OptionChecklist, OptionSelect } from "./OptionChecklist";
import { Field } from "./ui";

/** What the link form edits: the flows' settings as strings and booleans. */
export interface LinkValues {
  name: string;
  orders: {
    enabled: boolean;
    everyMinutes: string;
    webhooks: boolean;
    statuses: string;
    statusMap: string;
    paymentMap: string;
    shippingMap: string;
    vatMap: string;
    numberSeries: string;
    warehouse: string;
    invoice: "never" | "on_create" | "on_paid" | "on_statuses";
    invoiceStatuses: string;
    reserveStock: boolean;
    onChange: "flag" | "recreate";
  };
  stock: {
    enabled: boolean;
    everyMinutes: string;
    afterOrders: boolean;
    rule: "available" | "on_hand";
    warehouses: string;
    purchasePrices: boolean;
  };
  products: { enabled: boolean; nightlyAtHour: string; timeZone: string };
  fulfilment: { enabled: boolean; everyMinutes: string; trackingField: string; fulfilledStatus: string };
}

const orNull = (s: string) => (s.trim() ? s.trim() : null);
const int = (s: string, fallback: number) => (s.trim() && !Number.isNaN(Number(s)) ? Number(s) : fallback);

export function linkValues(name: string, flows?: Flows): LinkValues {
  const o = flows?.orders;
  const s = flows?.stock;
  const p = flows?.products;
  const f = flows?.fulfilment;
  return {
    name,
    orders: {
      enabled: o?.enabled ?? true,
      everyMinutes: String(o?.everyMinutes ?? 15),
      webhooks: o?.webhooks ?? true,
      statuses: list(o?.statuses),
      statusMap: map(o?.statusMap),
      paymentMap: map(o?.paymentMap),
      shippingMap: map(o?.shippingMap),
      vatMap: map(o?.vatMap),
      numberSeries: o?.numberSeries ?? "",
      warehouse: o?.warehouse ?? "",
      invoice: (o?.invoice as LinkValues["orders"]["invoice"]) ?? "never",
      invoiceStatuses: list(o?.invoiceStatuses),
      reserveStock: o?.reserveStock ?? false,
      onChange: (o?.onChange as LinkValues["orders"]["onChange"]) ?? "flag",
    },
    stock: {
      enabled: s?.enabled ?? true,
      everyMinutes: String(s?.everyMinutes ?? 60),
      afterOrders: s?.afterOrders ?? true,
      rule: (s?.rule as LinkValues["stock"]["rule"]) ?? "available",
      warehouses: list(s?.warehouses),
      purchasePrices: s?.purchasePrices ?? true,
    },
    products: {
      enabled: p?.enabled ?? true,
      nightlyAtHour: String(p?.nightlyAtHour ?? 2),
      timeZone: p?.timeZone ?? "Europe/Prague",
    },
    fulfilment: {
      enabled: f?.enabled ?? true,
      everyMinutes: String(f?.everyMinutes ?? 15),
      trackingField: f?.trackingField ?? "",
      fulfilledStatus: f?.fulfilledStatus ?? "",
    },
  };
}

export function flowsPayload(v: LinkValues): Flows {
  return {
    orders: {
      enabled: v.orders.enabled,
      everyMinutes: int(v.orders.everyMinutes, 15),
      webhooks: v.orders.webhooks,
      statuses: toList(v.orders.statuses),
      statusMap: toMap(v.orders.statusMap),
      paymentMap: toMap(v.orders.paymentMap),
      shippingMap: toMap(v.orders.shippingMap),
      vatMap: toMap(v.orders.vatMap),
      numberSeries: orNull(v.orders.numberSeries),
      warehouse: orNull(v.orders.warehouse),
      invoice: v.orders.invoice,
      invoiceStatuses: toList(v.orders.invoiceStatuses),
      reserveStock: v.orders.reserveStock,
      onChange: v.orders.onChange,
    },
    stock: {
      enabled: v.stock.enabled,
      everyMinutes: int(v.stock.everyMinutes, 60),
      afterOrders: v.stock.afterOrders,
      rule: v.stock.rule,
      warehouses: toList(v.stock.warehouses),
      combine: "single",
      purchasePrices: v.stock.purchasePrices,
    },
    products: {
      enabled: v.products.enabled,
      nightlyAtHour: int(v.products.nightlyAtHour, 2),
      timeZone: v.products.timeZone.trim() || "Europe/Prague",
      store: null,
    },
    fulfilment: {
      enabled: v.fulfilment.enabled,
      everyMinutes: int(v.fulfilment.everyMinutes, 15),
      trackingField: orNull(v.fulfilment.trackingField),
      fulfilledStatus: orNull(v.fulfilment.fulfilledStatus),
    },
  } as Flows;
}

function Check({ name, label }: { name: string; label: string }) {
  const { register } = useFormContext();
  const id = `f-${name.replace(/\./g, "-")}`;
  return (
    <div className="field field-check">
      <input type="checkbox" id={id} {...register(name)} />
      <label htmlFor={id}>{label}</label>
    </div>
  );
}

function Text({
  name,
  label,
  hint,
  type = "text",
}: {
  name: string;
  label: string;
  hint?: string;
  type?: string;
}) {
  const { register } = useFormContext();
  return (
    <Field label={label} hint={hint}>
      {(p) => <input type={type} {...p} {...register(name)} />}
    </Field>
  );
}

function Choice({ name, label, options }: { name: string; label: string; options: Record<string, string> }) {
  const { register } = useFormContext();
  return (
    <Field label={label}>
      {(p) => (
        <select {...p} {...register(name)}>
          {Object.entries(options).map(([value, text]) => (
            <option key={value} value={value}>
              {text}
            </option>
          ))}
        </select>
      )}
    </Field>
  );
}

/**
 * The flows of a link: on/off, schedules, mappings and options. Used by the wizard and link editing.
 * With the link's two connections, the mappings and codes are chosen from what each system lists
 * (read live); a side that cannot list them, or does not answer, is typed as before.
 */
export function LinkFlowsFields({
  eshopConnectionId,
  accountingConnectionId,
}: {
  eshopConnectionId?: string | undefined;
  accountingConnectionId?: string | undefined;
} = {}) {
  const { t } = useTranslation();
  const { watch } = useFormContext<LinkValues>();
  const enabled = {
    orders: watch("orders.enabled"),
    stock: watch("stock.enabled"),
    products: watch("products.enabled"),
    fulfilment: watch("fulfilment.enabled"),
  };
  const invoice = watch("orders.invoice");
  const shop = useChoiceSide("eshop", eshopConnectionId);
  const books = useChoiceSide("accounting", accountingConnectionId);
  // An accounting system that lists its choices but no order statuses (POHODA) takes no status
  // from Spojka: its mapping would do nothing, so it is not offered (unless one is already set).
  const statusMapUsed =
    !(books.status === "listed" && books.options?.orderStatuses.length === 0) ||
    watch("orders.statusMap").trim() !== "";
  const opts = (key: string) => t(key, { returnObjects: true }) as unknown as Record<string, string>;
  return (
    <>
      <Text name="name" label={t("wizard.linkName")} />
      <ChoicesNotice side={shop} />
      <ChoicesNotice side={books} />
      <fieldset className="flow">
        <legend>{t("flows.orders")}</legend>
        <p className="hint">{t("flows.ordersHelp")}</p>
        <Check name="orders.enabled" label={t("wizard.enabled")} />
        {enabled.orders ? (
          <div className="grid2">
            <Text name="orders.everyMinutes" type="number" label={t("wizard.everyMinutes")} />
            <Choice
              name="orders.invoice"
              label={t("wizard.invoice")}
              options={opts("wizard.invoiceOptions")}
            />
            <Check name="orders.webhooks" label={t("wizard.webhooks")} />
            <Check name="orders.reserveStock" label={t("wizard.reserveStock")} />
            <OptionSelect<LinkValues>
              name="orders.numberSeries"
              label={t("wizard.numberSeries")}
              options={choices(books, "numberSeries")}
            />
            <OptionSelect<LinkValues>
              name="orders.warehouse"
              label={t("wizard.warehouse")}
              options={choices(books, "warehouses")}
            />
            <Choice
              name="orders.onChange"
              label={t("wizard.onChange")}
              options={opts("wizard.onChangeOptions")}
            />
            <OptionChecklist<LinkValues>
              name="orders.statuses"
              label={t("wizard.statuses")}
              options={choices(shop, "orderStatuses")}
              noneMeans={t("choices.statusesNone")}
            />
            {invoice === "on_statuses" ? (
              <OptionChecklist<LinkValues>
                name="orders.invoiceStatuses"
                label={t("wizard.invoiceStatuses")}
                options={choices(shop, "orderStatuses")}
                noneMeans={t("choices.invoiceStatusesNone")}
              />
            ) : null}
            <details className="span2 mappings">
              <summary>
                {statusMapUsed ? `${t("wizard.statusMap")}, ` : ""}
                {t("wizard.paymentMap")}, {t("wizard.shippingMap")}, {t("wizard.vatMap")}
              </summary>
              {statusMapUsed ? (
                <MappingEditor<LinkValues>
                  name="orders.statusMap"
                  label={t("wizard.statusMap")}
                  keys={choices(shop, "orderStatuses")}
                  values={choices(books, "orderStatuses")}
                />
              ) : null}
              <MappingEditor<LinkValues>
                name="orders.paymentMap"
                label={t("wizard.paymentMap")}
                keys={choices(shop, "paymentMethods")}
                values={choices(books, "paymentMethods")}
              />
              <MappingEditor<LinkValues>
                name="orders.shippingMap"
                label={t("wizard.shippingMap")}
                keys={choices(shop, "shippingMethods")}
                values={choices(books, "shippingMethods")}
              />
              <MappingEditor<LinkValues>
                name="orders.vatMap"
                label={t("wizard.vatMap")}
                keys={choices(shop, "vatRates")}
                values={choices(books, "vatRates")}
              />
            </details>
          </div>
        ) : null}
      </fieldset>
      <fieldset className="flow">
        <legend>{t("flows.stock")}</legend>
        <p className="hint">{t("flows.stockHelp")}</p>
        <Check name="stock.enabled" label={t("wizard.enabled")} />
        {enabled.stock ? (
          <div className="grid2">
            <Text name="stock.everyMinutes" type="number" label={t("wizard.everyMinutes")} />
            <Choice name="stock.rule" label={t("wizard.rule")} options={opts("wizard.ruleOptions")} />
            <Check name="stock.afterOrders" label={t("wizard.afterOrders")} />
            <Check name="stock.purchasePrices" label={t("wizard.purchasePrices")} />
            <OptionChecklist<LinkValues>
              name="stock.warehouses"
              label={t("wizard.stockWarehouses")}
              options={choices(books, "warehouses")}
              noneMeans={t("choices.warehousesNone")}
            />
          </div>
        ) : null}
      </fieldset>
      <fieldset className="flow">
        <legend>{t("flows.products")}</legend>
        <p className="hint">{t("flows.productsHelp")}</p>
        <Check name="products.enabled" label={t("wizard.enabled")} />
        {enabled.products ? (
          <div className="grid2">
            <Text name="products.nightlyAtHour" type="number" label={t("wizard.nightlyAtHour")} />
            <Text name="products.timeZone" label={t("wizard.timeZone")} />
          </div>
        ) : null}
      </fieldset>
      <fieldset className="flow">
        <legend>{t("flows.fulfilment")}</legend>
        <p className="hint">{t("flows.fulfilmentHelp")}</p>
        <Check name="fulfilment.enabled" label={t("wizard.enabled")} />
        {enabled.fulfilment ? (
          <div className="grid2">
            <Text name="fulfilment.everyMinutes" type="number" label={t("wizard.everyMinutes")} />
            <OptionSelect<LinkValues>
              name="fulfilment.fulfilledStatus"
              label={t("wizard.fulfilledStatus")}
              options={choices(shop, "orderStatuses")}
            />
          </div>
        ) : null}
      </fieldset>
    </>
  );
}
