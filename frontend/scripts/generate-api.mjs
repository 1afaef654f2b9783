// Regenerates src/api/schema.d.ts from the API's OpenAPI document, exported by the Python app
// factory (no server needed). With --check, fails when the committed file differs: the front end
// and the API cannot drift apart unnoticed.
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import openapiTS, { astToString } from "openapi-typescript";

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, "..", "..");
const target = join(here, "..", "src", "api", "schema.d.ts");
const python = process.env.SPOJKA_PYTHON ?? join(root, ".venv", "bin", "python");

const json = execFileSync(python, [join(here, "export_openapi.py")], {
  cwd: root,
  encoding: "utf8",
  maxBuffer: 64 * 1024 * 1024,
  env: { ...process.env, SPOJKA_LOG_LEVEL: process.env.SPOJKA_LOG_LEVEL ?? "WARNING" },
});
const ast = await openapiTS(JSON.parse(json), { alphabetize: true });
const header =
  "// Generated from the API's OpenAPI document by `npm run api:generate`. Do not edit by hand.\n\n";
const generated = header + astToString(ast);

if (process.argv.includes("--check")) {
  const current = existsSync(target) ? readFileSync(target, "utf8") : "";
  if (current !== generated) {
    console.error(
      "frontend/src/api/schema.d.ts is out of date with the API. Run `make api-client` " +
        "(or `npm run api:generate` in frontend/), then fix the type errors it shows.",
    );
    process.exit(1);
  }
  console.log("API client is up to date with the OpenAPI document.");
} else {
  writeFileSync(target, generated);
  console.log(`wrote ${target}`);
}
