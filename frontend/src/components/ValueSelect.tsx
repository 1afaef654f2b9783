import { useState } from "react";
import { useTranslation } from "react-i18next";
import type { Option } from "./ConnectionChoices";

/** The select's value for "type another value"; no system names a choice like this. */
const OTHER = "spojka:other-value";

/**
 * A select of a system's choices, with "empty" first (no choice: keep as is / the default) and
 * "Other value…" last, which shows a text box for a value the list does not have. A stored value
 * that is not in the list shows in that text box.
 */
export function ValueSelect({
  id,
  options,
  value,
  onChange,
  emptyLabel,
  otherLabel,
  describedBy,
  ariaLabel,
}: {
  id: string;
  options: Option[];
  value: string;
  onChange: (value: string) => void;
  emptyLabel: string;
  /** The text box's accessible name, e.g. "Own value for Paid". */
  otherLabel: string;
  describedBy?: string | undefined;
  ariaLabel?: string;
}) {
  const { t } = useTranslation();
  const [otherChosen, setOtherChosen] = useState(false);
  const listed = options.some((o) => o.value === value);
  const other = otherChosen || (value !== "" && !listed);
  return (
    <div className="value-select">
      <select
        id={id}
        aria-label={ariaLabel}
        aria-describedby={describedBy}
        value={other ? OTHER : value}
        onChange={(e) => {
          const next = e.target.value;
          if (next === OTHER) {
            setOtherChosen(true);
          } else {
            setOtherChosen(false);
            onChange(next);
          }
        }}
      >
        <option value="">{emptyLabel}</option>
        {options.map((o) => (
          <option key={o.value} value={o.value}>
            {o.label}
          </option>
        ))}
        <option value={OTHER}>{t("choices.other")}</option>
      </select>
      {other ? (
        <input
          type="text"
          aria-label={otherLabel}
          value={value}
          maxLength={200}
          onChange={(e) => {
            setOtherChosen(true);
            onChange(e.target.value);
          }}
        />
      ) : null}
    </div>
  );
}
