import react from "@vitejs/plugin-react";
import { defineConfig } from "vitest/config";

const api = process.env.SPOJKA_API ?? "http://127.0.0.1:8000";

export default defineConfig({
  plugins: [react()],
  server: {
    proxy: Object.fromEntries(
      ["/api", "/schema", "/health", "/ready"].map((path) => [path, { target: api, changeOrigin: false }]),
    ),
  },
  build: { sourcemap: false, chunkSizeWarningLimit: 400 },
  test: {
    environment: "jsdom",
    globals: true,
    setupFiles: ["src/test/setup.ts"],
    include: ["src/**/*.test.{ts,tsx}"],
  },
});
