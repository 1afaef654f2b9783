import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useEffect, useRef, useState } from "react";
import { FormProvider, useForm } from "react-hook-form";
import { useTranslation } from "react-i18next";
import { useNavigate } from "react-router";
import { api, type Connection, type Connector, unwrap } from "../api/client";
import { keys, useConnections, useConnectors } from "../api/queries";
import { ConnectionForm } from "../components/ConnectionForm";
import { flowsPayload, LinkFlowsFields, type LinkValues, linkValues } from "../components/LinkForm";
import { Badge, ErrorBox, initials, Loading } from "../components/ui";

type Kind = "eshop" | "accounting";

export function ConnectorCard({
  connector,
  selected,
  onSelect,
}: {
  connector: Connector;
  selected: boolean;
  onSelect: () => void;
}) {
  const { t, i18n } = useTranslation();
  // Capability keys have dots ("orders.read"), which i18next reads as nesting: take the whole map.
  const capabilityNames = t("capabilities", { returnObjects: true }) as unknown as Record<string, string>;
  const language = i18n.language.split("-")[0] ?? i18n.language;
  const description = connector.translations?.[language]?.description ?? connector.description;
  return (
    <button
      type="button"
      className={`connector-card${selected ? " selected" : ""}`}
      onClick={onSelect}
      disabled={!connector.available}
      aria-pressed={selected}
      data-testid={`connector-${connector.key}`}
    >
      <span className="logo" aria-hidden="true">
        {initials(connector.title)}
      </span>
      <span className="connector-title">{connector.title}</span>
      {description ? <span className="hint">{description}</span> : null}
      <span className="badges">
        {!connector.available ? <Badge tone="bad">{t("wizard.unavailable")}</Badge> : null}
        {connector.simulated ? <Badge tone="warn">{t("wizard.simulated")}</Badge> : null}
        {connector.capabilities.map((c) => (
          <Badge key={c} tone="neutral">
            {capabilityNames[c] ?? c}
          </Badge>
        ))}
      </span>
      {connector.error ? <span className="field-error">{connector.error}</span> : null}
    </button>
  );
}

function ConnectionStep({
  kind,
  chosen,
  onDone,
}: {
  kind: Kind;
  chosen: Connection | null;
  onDone: (connection: Connection | null) => void;
}) {
  const { t } = useTranslation();
  const connectors = useConnectors();
  const connections = useConnections();
  const [connectorKey, setConnectorKey] = useState<string | null>(chosen?.connector ?? null);
  const formRef = useRef<HTMLDivElement>(null);
  const all = connectors.data?.items ?? [];
  // A connector that failed to load has no kind: show it on both steps, as unavailable.
  const offered = all.filter((c) => c.kind === kind || (!c.available && !c.kind));
  const connector = all.find((c) => c.key === connectorKey);
  const existing = (connections.data?.items ?? []).filter((c) => c.kind === kind && c.lastCheck?.ok);
  useEffect(() => {
    if (connectorKey) formRef.current?.querySelector<HTMLInputElement>("input")?.focus();
  }, [connectorKey]);
  if (connectors.isPending) return <Loading />;
  return (
    <section aria-labelledby="step-title">
      <h2 id="step-title">{kind === "eshop" ? t("wizard.chooseShop") : t("wizard.chooseAccounting")}</h2>
      <ErrorBox error={connectors.error} />
      <div className="connector-grid">
        {offered.map((c) => (
          <ConnectorCard
            key={c.key}
            connector={c}
            selected={c.key === connectorKey}
            onSelect={() => {
              setConnectorKey(c.key);
              onDone(null);
            }}
          />
        ))}
      </div>
      {existing.length && !connector ? (
        <div className="existing">
          <h3>{t("wizard.useExisting")}</h3>
          <ul className="plain">
            {existing.map((c) => (
              <li key={c.id}>
                <button type="button" onClick={() => onDone(c)} aria-pressed={chosen?.id === c.id}>
                  {c.name} ({c.connector})
                </button>
              </li>
            ))}
          </ul>
        </div>
      ) : null}
      {connector ? (
        <div ref={formRef} className="card">
          <h3>{t("wizard.connectTitle", { title: connector.title })}</h3>
          <ConnectionForm
            key={connector.key}
            connector={connector}
            connection={chosen?.connector === connector.key ? chosen : null}
            onChecked={(connection, check) => onDone(check.ok ? connection : null)}
          />
        </div>
      ) : null}
    </section>
  );
}

export function OnboardingPage() {
  const { t } = useTranslation();
  const navigate = useNavigate();
  const client = useQueryClient();
  const [step, setStep] = useState(0);
  const [shop, setShop] = useState<Connection | null>(null);
  const [books, setBooks] = useState<Connection | null>(null);
  const form = useForm<LinkValues>({ defaultValues: linkValues("") });
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    if (shop && books && !form.getValues("name")) form.setValue("name", `${shop.name} → ${books.name}`);
  }, [shop, books, form]);
  // Move focus to the heading when the step changes, so keyboard and screen reader users follow.
  // biome-ignore lint/correctness/useExhaustiveDependencies: runs on purpose whenever the step changes
  useEffect(() => {
    heading.current?.focus();
  }, [step]);
  const create = useMutation({
    mutationFn: async (values: LinkValues) => {
      if (!shop || !books) throw new Error("missing connections");
      return unwrap(
        api.POST("/api/v1/links", {
          body: {
            name: values.name,
            eshopConnectionId: shop.id,
            accountingConnectionId: books.id,
            flows: flowsPayload(values),
            paused: false,
          },
        }),
      );
    },
    onSuccess: async () => {
      await client.invalidateQueries({ queryKey: keys.links });
      navigate("/", { state: { created: true } });
    },
  });
  const steps = [
    t("wizard.steps.shop"),
    t("wizard.steps.accounting"),
    t("wizard.steps.link"),
    t("wizard.steps.summary"),
  ];
  const canContinue = [Boolean(shop), Boolean(books), true, true][step];
  const values = form.watch();
  return (
    <div className="wizard">
      <h1 ref={heading} tabIndex={-1}>
        {t("wizard.title")}
      </h1>
      <ol className="steps" aria-label={t("wizard.stepOf", { step: step + 1, total: steps.length })}>
        {steps.map((label, i) => (
          <li key={label} aria-current={i === step ? "step" : undefined} className={i < step ? "done" : ""}>
            <span className="step-no">{i + 1}</span> {label}
          </li>
        ))}
      </ol>
      {step === 0 ? <ConnectionStep kind="eshop" chosen={shop} onDone={setShop} /> : null}
      {step === 1 ? <ConnectionStep kind="accounting" chosen={books} onDone={setBooks} /> : null}
      <FormProvider {...form}>
        {step === 2 ? (
          <section aria-labelledby="step-title">
            <h2 id="step-title">{t("wizard.steps.link")}</h2>
            <LinkFlowsFields eshopConnectionId={shop?.id} accountingConnectionId={books?.id} />
          </section>
        ) : null}
        {step === 3 ? (
          <section aria-labelledby="step-title">
            <h2 id="step-title">{t("wizard.steps.summary")}</h2>
            <p>{t("wizard.summaryIntro")}</p>
            <dl className="summary">
              <dt>{t("wizard.linkName")}</dt>
              <dd>{values.name}</dd>
              <dt>{t("dashboard.shop")}</dt>
              <dd>{shop?.name}</dd>
              <dt>{t("dashboard.accounting")}</dt>
              <dd>{books?.name}</dd>
              {(["orders", "stock", "products", "fulfilment"] as const).map((flow) => (
                <div key={flow} className="summary-row">
                  <dt>{t(`flows.${flow}`)}</dt>
                  <dd>
                    {values[flow].enabled
                      ? flow === "products"
                        ? t("dashboard.nightlyAt", { hour: values.products.nightlyAtHour })
                        : t("wizard.every", {
                            count: Number((values[flow] as { everyMinutes: string }).everyMinutes),
                          })
                      : t("state.disabled")}
                    {" — "}
                    {t(`flows.${flow}Help`)}
                  </dd>
                </div>
              ))}
            </dl>
            <ErrorBox error={create.error} />
          </section>
        ) : null}
      </FormProvider>
      <div className="wizard-nav">
        {step > 0 ? (
          <button type="button" onClick={() => setStep(step - 1)}>
            {t("common.back")}
          </button>
        ) : null}
        {step < 3 ? (
          <button type="button" className="primary" disabled={!canContinue} onClick={() => setStep(step + 1)}>
            {t("common.next")}
          </button>
        ) : (
          <button
            type="button"
            className="primary"
            disabled={create.isPending}
            onClick={form.handleSubmit((v) => create.mutate(v))}
          >
            {t("wizard.start")}
          </button>
        )}
      </div>
    </div>
  );
}
