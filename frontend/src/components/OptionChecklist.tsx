import { useId } from "react";
import { type FieldPath, type FieldValues, useController, useFormContext } from "react-hook-form";
import { useTranslation } from "react-i18next";
import type { Option } from "./ConnectionChoices";
import { list, toList } from "./linkText";
import { Field } from "./ui";
import { ValueSelect } from "./ValueSelect";

/**
 * A list setting (order statuses to transfer, warehouses, ...) as checkboxes of a system's choices,
 * with what none checked means said next to it. Stored values the system does not list stay,
 * checked and marked, until unchecked. Without a list, the codes are typed, comma-separated.
 * The form holds the list as "a, b" text either way.
 */
export function OptionChecklist<T extends FieldValues>({
  name,
  label,
  options,
  noneMeans,
}: {
  name: FieldPath<T>;
  label: string;
  options: Option[] | null;
  /** What an empty list means, e.g. "None checked: all statuses are transferred." */
  noneMeans: string;
}) {
  const { t } = useTranslation();
  const { register } = useFormContext<T>();
  if (!options) {
    return (
      <Field label={label} hint={`${t("choices.commaSeparated")} ${noneMeans}`}>
        {(p) => <input type="text" {...p} {...register(name)} />}
      </Field>
    );
  }
  return <Checklist name={name} label={label} options={options} noneMeans={noneMeans} />;
}

function Checklist<T extends FieldValues>({
  name,
  label,
  options,
  noneMeans,
}: {
  name: FieldPath<T>;
  label: string;
  options: Option[];
  noneMeans: string;
}) {
  const { t } = useTranslation();
  const id = useId();
  const { field } = useController<T>({ name });
  const chosen = toList(typeof field.value === "string" ? field.value : "");
  const known = new Set(options.map((o) => o.value));
  const unknown = chosen.filter((v) => !known.has(v));
  const toggle = (value: string, on: boolean) => {
    // The system's order first, then values it does not list (as stored).
    const next = new Set(chosen);
    if (on) next.add(value);
    else next.delete(value);
    const ordered = [...options.map((o) => o.value), ...unknown].filter((v) => next.has(v));
    field.onChange(list(ordered));
  };
  return (
    <fieldset className="checklist span2" aria-describedby={`${id}-hint`} data-testid={`checklist-${name}`}>
      <legend>{label}</legend>
      <p className="hint" id={`${id}-hint`}>
        {noneMeans}
      </p>
      <div className="checklist-items">
        {options.map((o, i) => (
          <div className="field-check" key={o.value}>
            <input
              type="checkbox"
              id={`${id}-${i}`}
              checked={chosen.includes(o.value)}
              onChange={(e) => toggle(o.value, e.target.checked)}
            />
            <label htmlFor={`${id}-${i}`}>{o.label}</label>
          </div>
        ))}
        {unknown.map((v, i) => (
          <div className="field-check" key={`unknown-${v}`}>
            <input type="checkbox" id={`${id}-u${i}`} checked onChange={(e) => toggle(v, e.target.checked)} />
            <label htmlFor={`${id}-u${i}`}>
              {v} <span className="badge badge-warn">{t("choices.notListed")}</span>
            </label>
          </div>
        ))}
      </div>
    </fieldset>
  );
}

/**
 * A single code (number series, warehouse, fulfilled status) as a select of a system's choices;
 * empty is the connection's default. Without a list, the code is typed.
 */
export function OptionSelect<T extends FieldValues>({
  name,
  label,
  options,
  hint,
}: {
  name: FieldPath<T>;
  label: string;
  options: Option[] | null;
  hint?: string;
}) {
  const { t } = useTranslation();
  const { register } = useFormContext<T>();
  if (!options) {
    return (
      <Field label={label} hint={hint ?? t("choices.defaultHint")}>
        {(p) => <input type="text" {...p} {...register(name)} />}
      </Field>
    );
  }
  return <Selected name={name} label={label} options={options} hint={hint} />;
}

function Selected<T extends FieldValues>({
  name,
  label,
  options,
  hint,
}: {
  name: FieldPath<T>;
  label: string;
  options: Option[];
  hint?: string | undefined;
}) {
  const { t } = useTranslation();
  const { field } = useController<T>({ name });
  return (
    <Field label={label} hint={hint}>
      {(p) => (
        <ValueSelect
          id={p.id}
          describedBy={p["aria-describedby"]}
          options={options}
          value={typeof field.value === "string" ? field.value : ""}
          onChange={field.onChange}
          emptyLabel={t("choices.default")}
          otherLabel={t("choices.otherFor", { label })}
        />
      )}
    </Field>
  );
}
