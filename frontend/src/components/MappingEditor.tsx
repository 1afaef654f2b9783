import { useEffect, useId, useRef, useState } from "react";
import { type FieldPath, type FieldValues, useController, useFormContext } from "react-hook-form";
import { useTranslation } from "react-i18next";
import type { Option } from "./ConnectionChoices";
import { toMap } from "./linkText";
import { Field } from "./ui";
import { ValueSelect } from "./ValueSelect";

interface Row {
  id: number;
  key: string;
  value: string;
}

const serialize = (rows: Row[]) =>
  rows
    .filter((r) => r.key.trim() && r.value.trim())
    .map((r) => `${r.key.trim()} = ${r.value.trim()}`)
    .join("\n");

/**
 * One mapping of a link (order statuses, payment methods, ...): e-shop value → accounting value.
 *
 * With the e-shop's list, one row per e-shop choice; stored mappings of values the e-shop no longer
 * lists still show, marked, and can be removed. Without it, free rows. With the accounting's list,
 * each row selects from it ("keep as is" = no mapping; "Other value…" to type one); without it,
 * each row is typed. Without either list, the mapping is typed as "key = value" lines, as before.
 * The form holds the mapping as those lines either way.
 */
export function MappingEditor<T extends FieldValues>({
  name,
  label,
  keys,
  values,
}: {
  name: FieldPath<T>;
  label: string;
  /** The e-shop's choices (the mapping's keys), or null when it offers none. */
  keys: Option[] | null;
  /** The accounting's choices (the mapping's values), or null when it offers none. */
  values: Option[] | null;
}) {
  const { t } = useTranslation();
  const { register } = useFormContext<T>();
  if (!keys && !values) {
    return (
      <Field label={label} hint={t("wizard.mapHint")}>
        {(p) => <textarea rows={3} {...p} {...register(name)} />}
      </Field>
    );
  }
  return <MappingRows name={name} label={label} keys={keys} values={values} />;
}

function MappingRows<T extends FieldValues>({
  name,
  label,
  keys,
  values,
}: {
  name: FieldPath<T>;
  label: string;
  keys: Option[] | null;
  values: Option[] | null;
}) {
  const { t } = useTranslation();
  const id = useId();
  const { field } = useController<T>({ name });
  const text = typeof field.value === "string" ? field.value : "";
  const nextId = useRef(0);
  const parse = (s: string): Row[] =>
    Object.entries(toMap(s)).map(([key, value]) => ({ id: nextId.current++, key, value }));
  const [rows, setRows] = useState<Row[]>(() => parse(text));
  // The text this editor last wrote: another text (the form was reset after saving) is read anew.
  const written = useRef(text);
  // biome-ignore lint/correctness/useExhaustiveDependencies: re-read only when the form's text changes
  useEffect(() => {
    if (text !== written.current) {
      written.current = text;
      setRows(parse(text));
    }
  }, [text]);
  const update = (next: Row[]) => {
    setRows(next);
    const serialized = serialize(next);
    written.current = serialized;
    if (serialized !== text) field.onChange(serialized);
  };
  const setValue = (key: string, value: string) => {
    const at = rows.findIndex((r) => r.key === key);
    if (at < 0) {
      if (value) update([...rows, { id: nextId.current++, key, value }]);
      return;
    }
    update(rows.map((r, i) => (i === at ? { ...r, value } : r)));
  };
  const listed = new Set((keys ?? []).map((k) => k.value));
  const extra = keys ? rows.filter((r) => !listed.has(r.key)) : [];
  const hintId = `${id}-hint`;

  const valueCell = (
    rowId: string,
    keyLabel: string,
    value: string,
    onChange: (v: string) => void,
    ariaLabel?: string,
  ) =>
    values ? (
      <ValueSelect
        id={rowId}
        {...(ariaLabel ? { ariaLabel } : {})}
        options={values}
        value={value}
        onChange={onChange}
        emptyLabel={t("choices.keep")}
        otherLabel={t("choices.otherFor", { label: keyLabel })}
      />
    ) : (
      <input
        id={rowId}
        type="text"
        aria-label={ariaLabel}
        value={value}
        maxLength={200}
        placeholder={t("choices.keepTyped")}
        onChange={(e) => onChange(e.target.value)}
      />
    );

  return (
    <fieldset className="mapping" aria-describedby={hintId} data-testid={`mapping-${String(name)}`}>
      <legend>{label}</legend>
      <p className="hint" id={hintId}>
        {keys ? (values ? t("choices.mapHintListed") : t("choices.mapHintTyped")) : t("choices.mapHintFree")}
      </p>
      <div className="mapping-head" aria-hidden="true">
        <span>{t("choices.inEshop")}</span>
        <span>{t("choices.inAccounting")}</span>
      </div>
      {keys?.map((k, i) => {
        const rowId = `${id}-k${i}`;
        return (
          <div className="mapping-row" key={k.value}>
            <label htmlFor={rowId}>{k.label}</label>
            {valueCell(rowId, k.label, rows.find((r) => r.key === k.value)?.value ?? "", (v) =>
              setValue(k.value, v),
            )}
          </div>
        );
      })}
      {extra.map((r) => {
        const rowId = `${id}-x${r.id}`;
        return (
          <div className="mapping-row mapping-extra" key={r.id} data-testid="mapping-extra">
            <label htmlFor={rowId}>
              {r.key} <span className="badge badge-warn">{t("choices.notListed")}</span>
            </label>
            {valueCell(rowId, r.key, r.value, (v) =>
              update(rows.map((x) => (x.id === r.id ? { ...x, value: v } : x))),
            )}
            <button
              type="button"
              aria-label={t("choices.removeFor", { label: r.key })}
              onClick={() => update(rows.filter((x) => x.id !== r.id))}
            >
              {t("choices.remove")}
            </button>
          </div>
        );
      })}
      {keys
        ? null
        : rows.map((r, i) => {
            const rowId = `${id}-f${r.id}`;
            const keyLabel = r.key || t("choices.row", { n: i + 1 });
            return (
              <div className="mapping-row mapping-free" key={r.id}>
                <input
                  type="text"
                  aria-label={t("choices.eshopValue", { n: i + 1 })}
                  value={r.key}
                  maxLength={200}
                  onChange={(e) =>
                    update(rows.map((x) => (x.id === r.id ? { ...x, key: e.target.value } : x)))
                  }
                />
                {valueCell(
                  rowId,
                  keyLabel,
                  r.value,
                  (v) => update(rows.map((x) => (x.id === r.id ? { ...x, value: v } : x))),
                  t("choices.accountingValueFor", { label: keyLabel }),
                )}
                <button
                  type="button"
                  aria-label={t("choices.removeFor", { label: keyLabel })}
                  onClick={() => update(rows.filter((x) => x.id !== r.id))}
                >
                  {t("choices.remove")}
                </button>
              </div>
            );
          })}
      {keys ? null : (
        <button
          type="button"
          className="mapping-add"
          onClick={() => update([...rows, { id: nextId.current++, key: "", value: "" }])}
        >
          {t("choices.addRow")}
        </button>
      )}
    </fieldset>
  );
}
