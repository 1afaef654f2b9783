import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, "..", "..");
const spojka = join(root, ".venv", "bin", "spojka");

export interface Simulator {
  simulator: string;
  baseUrl: string;
  settings: Record<string, unknown>;
  credentials: Record<string, string>;
  orders?: string[];
  codes?: string[];
}

export interface Stack {
  url: string;
  shoptet: Simulator;
  pohoda: Simulator;
}

export const STACK_FILE = join(here, "..", "test-results", "stack.json");

function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const server = createServer();
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() =>
        typeof address === "object" && address ? ok(address.port) : fail(new Error("no port")),
      );
    });
  });
}

// The stack runs on the embedded default (SQLite + embedded Redis), whatever CI points pytest at.
const UNSET = ["SPOJKA_DATABASE_URL", "SPOJKA_MIGRATION_DATABASE_URL", "SPOJKA_REDIS_URL", "SPOJKA_ENV"];

function start(args: string[], extra: Record<string, string>, log: string): ChildProcess {
  const env: NodeJS.ProcessEnv = { ...process.env, ...extra };
  for (const name of UNSET) delete env[name];
  const child = spawn(spojka, args, {
    cwd: root,
    env,
    stdio: ["ignore", "pipe", "pipe"],
    detached: true, // its own process group: stopped as one at the end
  });
  child.stderr?.on("data", (chunk: Buffer) => {
    if (process.env.SPOJKA_E2E_VERBOSE) process.stderr.write(`[${log}] ${chunk}`);
  });
  return child;
}

function firstLine(child: ChildProcess, name: string): Promise<string> {
  return new Promise((ok, fail) => {
    const timer = setTimeout(() => fail(new Error(`${name} did not announce itself in 30 s`)), 30_000);
    const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
    lines.once("line", (line) => {
      clearTimeout(timer);
      ok(line);
    });
    child.once("exit", (code) => fail(new Error(`${name} exited with ${code}`)));
  });
}

async function waitReady(url: string, seconds: number): Promise<void> {
  const until = Date.now() + seconds * 1000;
  let last = "";
  while (Date.now() < until) {
    try {
      const response = await fetch(`${url}/ready`);
      if (response.ok) return;
      last = `${response.status} ${await response.text()}`;
    } catch (error) {
      last = String(error);
    }
    await new Promise((r) => setTimeout(r, 300));
  }
  throw new Error(`spojka at ${url} not ready in ${seconds} s: ${last}`);
}

function stop(children: ChildProcess[]): void {
  for (const child of children) {
    if (child.pid && child.exitCode === null) {
      try {
        process.kill(-child.pid, "SIGINT");
      } catch {
        // already gone
      }
    }
  }
}

export default async function globalSetup(): Promise<() => Promise<void>> {
  if (!existsSync(spojka)) throw new Error(`${spojka} is missing: run \`make install\` first`);
  if (!existsSync(join(here, "..", "dist", "index.html")))
    throw new Error("frontend/dist is missing: run `make frontend`");
  const children: ChildProcess[] = [];
  const varDir = mkdtempSync(join(tmpdir(), "spojka-e2e-"));
  try {
    const shoptetProcess = start(["simulate", "shoptet"], {}, "shoptet");
    children.push(shoptetProcess);
    const pohodaProcess = start(["simulate", "pohoda"], {}, "pohoda");
    children.push(pohodaProcess);
    const [shoptet, pohoda] = await Promise.all([
      firstLine(shoptetProcess, "shoptet simulator").then((l) => JSON.parse(l) as Simulator),
      firstLine(pohodaProcess, "pohoda simulator").then((l) => JSON.parse(l) as Simulator),
    ]);
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const env: Record<string, string> = {
      SPOJKA_PORT: String(port),
      SPOJKA_VAR_DIR: varDir,
      SPOJKA_LOG_LEVEL: "WARNING",
    };
    const run = start(["run"], env, "spojka");
    children.push(run);
    run.stdout?.on("data", (chunk: Buffer) => {
      if (process.env.SPOJKA_E2E_VERBOSE) process.stderr.write(`[spojka] ${chunk}`);
    });
    await waitReady(url, 90);
    process.env.SPOJKA_E2E_URL = url;
    const stack: Stack = { url, shoptet, pohoda };
    mkdirSync(dirname(STACK_FILE), { recursive: true });
    writeFileSync(STACK_FILE, JSON.stringify(stack, null, 2));
  } catch (error) {
    stop(children);
    throw error;
  }
  return async () => {
    stop(children);
    await new Promise((r) => setTimeout(r, 1500));
    rmSync(varDir, { recursive: true, force: true });
  };
}
