/**
 * How the link form holds the flows' lists and mappings: as the text a merchant could type
 * ("a, b" for lists, "key = value" lines for mappings), and back to the API's arrays and objects.
 * The mapping editor and the checklists read and write the same text, so the form saves the same shape
 * whichever way a value was edited.
 */

export const list = (v: readonly string[] | undefined) => (v ?? []).join(", ");

export const map = (v: Record<string, string> | undefined) =>
  Object.entries(v ?? {})
    .map(([k, x]) => `${k} = ${x}`)
    .join("\n");

export const toList = (s: string) =>
  s
    .split(",")
    .map((x) => x.trim())
    .filter(Boolean);

export const toMap = (s: string): Record<string, string> =>
  Object.fromEntries(
    s
      .split("\n")
      .map((line) => line.split("="))
      .filter((parts) => parts.length >= 2 && parts[0]?.trim())
      .map(([k, ...v]) => [k?.trim() ?? "", v.join("=").trim()]),
  );
