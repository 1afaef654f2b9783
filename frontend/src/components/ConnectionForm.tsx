import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { FormProvider, useForm } from "react-hook-form";
import { useTranslation } from "react-i18next";
import { api, type CheckResult, type Connection, type Connector, unwrap } from "../api/client";
import { fieldErrors } from "../api/problems";
import { keys } from "../api/queries";
import { type JsonSchema, type RawValues, SchemaFields, toPayload, toRaw } from "./SchemaForm";
import { ErrorBox, Field, Notice } from "./ui";

interface Values {
  name: string;
  settings: RawValues;
  credentials: RawValues;
}

export function CheckAnswer({ check }: { check: CheckResult | null | undefined }) {
  const { t } = useTranslation();
  if (!check) return null;
  return (
    <Notice tone={check.ok ? "success" : "error"}>
      <span data-testid="check-result">
        {check.ok
          ? t("wizard.checkOk", { message: check.message })
          : t("wizard.checkFailed", { message: check.message })}
      </span>
    </Notice>
  );
}

/**
 * A connection's name, settings and credentials, as forms generated from the connector's JSON
 * Schemas; saving tests the connection at once. Credentials are write-only: never prefilled,
 * sent only when typed.
 */
export function ConnectionForm({
  connector,
  connection,
  onChecked,
  submitLabel,
}: {
  connector: Connector;
  connection?: Connection | null;
  onChecked?: (connection: Connection, check: CheckResult) => void;
  submitLabel?: string;
}) {
  const { t } = useTranslation();
  const client = useQueryClient();
  const [saved, setSaved] = useState<Connection | null>(connection ?? null);
  const [check, setCheck] = useState<CheckResult | null>(connection?.lastCheck ?? null);
  const settingsSchema = connector.settingsSchema as JsonSchema;
  const credentialsSchema = connector.credentialsSchema as JsonSchema;
  const form = useForm<Values>({
    defaultValues: {
      name: connection?.name ?? connector.title,
      settings: toRaw(settingsSchema, connection?.settings),
      credentials: toRaw(credentialsSchema, undefined),
    },
  });

  const save = useMutation({
    mutationFn: async (values: Values) => {
      const settings = toPayload(settingsSchema, values.settings);
      const credentials = toPayload(credentialsSchema, values.credentials) as Record<string, string>;
      let current: Connection;
      if (saved) {
        const body: {
          name: string;
          settings: Record<string, unknown>;
          credentials?: Record<string, string>;
        } = {
          name: values.name,
          settings,
        };
        if (Object.keys(credentials).length) body.credentials = credentials;
        current = await unwrap(
          api.PATCH("/api/v1/connections/{connection_id}", {
            params: { path: { connection_id: saved.id } },
            body,
          }),
        );
      } else {
        current = await unwrap(
          api.POST("/api/v1/connections", {
            body: { connector: connector.key, name: values.name, settings, credentials },
          }),
        );
      }
      setSaved(current);
      form.resetField("credentials", { defaultValue: toRaw(credentialsSchema, undefined) });
      const result = await unwrap(
        api.POST("/api/v1/connections/{connection_id}/check", {
          params: { path: { connection_id: current.id } },
        }),
      );
      return { current, result };
    },
    onSuccess: ({ current, result }) => {
      setCheck(result);
      void client.invalidateQueries({ queryKey: keys.connections });
      onChecked?.(current, result);
    },
  });

  const server = fieldErrors(save.error);
  return (
    <FormProvider {...form}>
      <form onSubmit={form.handleSubmit((v) => save.mutate(v))} noValidate aria-busy={save.isPending}>
        <Field label={t("wizard.connectionName")} error={form.formState.errors.name?.message ?? server.name}>
          {(p) => <input {...p} {...form.register("name", { required: t("common.required") })} />}
        </Field>
        <SchemaFields
          schema={settingsSchema}
          path="settings"
          legend={t("wizard.settings")}
          serverErrors={server}
        />
        <SchemaFields
          schema={credentialsSchema}
          path="credentials"
          legend={t("wizard.credentials")}
          secretsSet={(saved?.credentials ?? {}) as Record<string, string>}
          serverErrors={server}
        />
        <ErrorBox error={save.error} />
        {save.isPending ? <Notice>{t("wizard.checking")}</Notice> : <CheckAnswer check={check} />}
        <button type="submit" className="primary" disabled={save.isPending}>
          {submitLabel ?? (saved ? t("wizard.recheck") : t("wizard.saveAndCheck"))}
        </button>
      </form>
    </FormProvider>
  );
}
