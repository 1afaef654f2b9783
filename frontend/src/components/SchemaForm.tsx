import { useId } from "react";
import { type UseFormRegister, useFormContext } from "react-hook-form";
import { useTranslation } from "react-i18next";

/** The subset of JSON Schema the connectors' settings and credentials use. */
export interface JsonSchema {
  type?: string | string[];
  title?: string;
  description?: string;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  enum?: (string | number)[];
  default?: unknown;
  format?: string;
  writeOnly?: boolean;
  items?: JsonSchema;
  additionalProperties?: boolean | JsonSchema;
  minimum?: number;
  maximum?: number;
  maxLength?: number;
  examples?: unknown[];
  /** The connector's own translations of ``title`` and ``description``, by language. */
  "x-translations"?: Record<string, { title?: string; description?: string }>;
}

/** ``title`` and ``description`` in ``language`` when the connector translated them, else as written. */
export function localized(schema: JsonSchema, language: string): { title?: string; description?: string } {
  const own = schema["x-translations"]?.[language.split("-")[0] ?? language];
  return { title: own?.title ?? schema.title, description: own?.description ?? schema.description };
}

type Raw = string | boolean;
export type RawValues = Record<string, Raw>;

function kindOf(schema: JsonSchema): "secret" | "enum" | "boolean" | "number" | "list" | "map" | "text" {
  const type = Array.isArray(schema.type) ? schema.type.find((t) => t !== "null") : schema.type;
  if (schema.writeOnly || schema.format === "password") return "secret";
  if (schema.enum) return "enum";
  if (type === "boolean") return "boolean";
  if (type === "integer" || type === "number") return "number";
  if (type === "array") return "list";
  if (type === "object") return "map";
  return "text";
}

/** Form values (strings and booleans) from JSON values; secrets are never prefilled. */
export function toRaw(schema: JsonSchema, values: Record<string, unknown> | undefined): RawValues {
  const out: RawValues = {};
  for (const [name, prop] of Object.entries(schema.properties ?? {})) {
    const value = values && name in values ? values[name] : prop.default;
    switch (kindOf(prop)) {
      case "secret":
        out[name] = "";
        break;
      case "boolean":
        out[name] = Boolean(value);
        break;
      case "list":
        out[name] = Array.isArray(value) ? value.join(", ") : "";
        break;
      case "map":
        out[name] =
          value && typeof value === "object"
            ? Object.entries(value as Record<string, unknown>)
                .map(([k, v]) => `${k} = ${String(v)}`)
                .join("\n")
            : "";
        break;
      default:
        out[name] = value === undefined || value === null ? "" : String(value);
    }
  }
  return out;
}

function scalar(schema: JsonSchema | undefined, text: string): unknown {
  const type = Array.isArray(schema?.type) ? schema?.type[0] : schema?.type;
  if ((type === "integer" || type === "number") && text !== "" && !Number.isNaN(Number(text)))
    return Number(text);
  return text;
}

/** JSON values from form values; empty optional fields (and empty secrets) are left out. */
export function toPayload(schema: JsonSchema, raw: RawValues): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, prop] of Object.entries(schema.properties ?? {})) {
    const value = raw[name];
    if (value === undefined) continue;
    const kind = kindOf(prop);
    if (kind === "boolean") {
      out[name] = Boolean(value);
      continue;
    }
    const text = String(value).trim();
    if (kind === "list") {
      out[name] = text
        ? text
            .split(",")
            .map((s) => s.trim())
            .filter(Boolean)
            .map((s) => scalar(prop.items, s))
        : [];
    } else if (kind === "map") {
      const map: Record<string, unknown> = {};
      for (const line of text.split("\n")) {
        const at = line.indexOf("=");
        if (at > 0) {
          map[line.slice(0, at).trim()] = scalar(
            typeof prop.additionalProperties === "object" ? prop.additionalProperties : undefined,
            line.slice(at + 1).trim(),
          );
        }
      }
      out[name] = map;
    } else if (text !== "") {
      out[name] = scalar(prop, text);
    }
  }
  return out;
}

function SchemaField({
  name,
  path,
  schema,
  required,
  secretSet,
  register,
  error,
}: {
  name: string;
  path: string;
  schema: JsonSchema;
  required: boolean;
  secretSet: boolean;
  register: UseFormRegister<Record<string, RawValues>>;
  error?: string | undefined;
}) {
  const { t, i18n } = useTranslation();
  const id = useId();
  const kind = kindOf(schema);
  const { title, description } = localized(schema, i18n.language);
  const label = title ?? name;
  const hints = [description];
  if (kind === "secret") hints.push(secretSet ? t("wizard.secretSet") : t("wizard.secretHint"));
  if (kind === "list") hints.push(t("wizard.listHint"));
  if (kind === "map") hints.push(t("wizard.mapHint"));
  const hint = hints.filter(Boolean).join(" ");
  const described =
    [hint ? `${id}-hint` : "", error ? `${id}-error` : ""].filter(Boolean).join(" ") || undefined;
  const requiredHere = required && !(kind === "secret" && secretSet);
  const common = {
    id,
    "aria-describedby": described,
    "aria-invalid": error ? true : undefined,
    ...register(`${path}.${name}` as const, {
      required: requiredHere && kind !== "boolean" ? t("common.required") : false,
    }),
  };

  let control: React.ReactNode;
  switch (kind) {
    case "secret":
      control = <input type="password" autoComplete="new-password" spellCheck={false} {...common} />;
      break;
    case "enum":
      control = (
        <select {...common}>
          {!required && schema.default === undefined ? <option value="">—</option> : null}
          {schema.enum?.map((v) => (
            <option key={String(v)} value={String(v)}>
              {String(v)}
            </option>
          ))}
        </select>
      );
      break;
    case "boolean":
      return (
        <div className="field field-check">
          <input type="checkbox" {...common} />
          <label htmlFor={id}>{label}</label>
          {hint ? (
            <p className="hint" id={`${id}-hint`}>
              {hint}
            </p>
          ) : null}
        </div>
      );
    case "number":
      control = (
        <input
          type="number"
          inputMode="numeric"
          min={schema.minimum}
          max={schema.maximum}
          step={1}
          {...common}
        />
      );
      break;
    case "map":
      control = <textarea rows={3} {...common} />;
      break;
    default:
      control = (
        <input
          type={schema.format === "uri" ? "url" : schema.format === "email" ? "email" : "text"}
          maxLength={schema.maxLength}
          placeholder={typeof schema.examples?.[0] === "string" ? schema.examples[0] : undefined}
          spellCheck={false}
          {...common}
        />
      );
  }
  return (
    <div className="field">
      <label htmlFor={id}>
        {label}
        {required || schema.default !== undefined ? null : (
          <span className="muted"> ({t("common.optional")})</span>
        )}
      </label>
      {control}
      {hint ? (
        <p className="hint" id={`${id}-hint`}>
          {hint}
        </p>
      ) : null}
      {error ? (
        <p className="field-error" id={`${id}-error`}>
          {error}
        </p>
      ) : null}
    </div>
  );
}

/** Fields of one JSON Schema object, registered under `path` in the surrounding react-hook-form. */
export function SchemaFields({
  schema,
  path,
  legend,
  secretsSet = {},
  serverErrors = {},
}: {
  schema: JsonSchema;
  path: string;
  legend: string;
  secretsSet?: Record<string, string>;
  serverErrors?: Record<string, string>;
}) {
  const { t } = useTranslation();
  const { register, formState } = useFormContext<Record<string, RawValues>>();
  const props = Object.entries(schema.properties ?? {});
  if (props.length === 0) return null;
  const required = new Set(schema.required ?? []);
  const clientErrors = (formState.errors[path] ?? {}) as Record<string, { message?: string } | undefined>;
  const render = ([name, prop]: [string, JsonSchema]) => (
    <SchemaField
      key={name}
      name={name}
      path={path}
      schema={prop}
      required={required.has(name)}
      secretSet={secretsSet[name] === "set"}
      register={register}
      error={clientErrors[name]?.message ?? serverErrors[name]}
    />
  );
  const simple = props.filter(([, p]) => ["secret", "enum", "number", "text"].includes(kindOf(p)));
  const more = props.filter(([, p]) => !["secret", "enum", "number", "text"].includes(kindOf(p)));
  return (
    <fieldset className="schema-form">
      <legend>{legend}</legend>
      {simple.map(render)}
      {more.length ? (
        <details>
          <summary>{t("wizard.moreOptions", { count: more.length })}</summary>
          {more.map(render)}
        </details>
      ) : null}
    </fieldset>
  );
}
