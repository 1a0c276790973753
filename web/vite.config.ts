import { defineConfig } from "vitest/config";
import react from "@vitejs/plugin-react";

// base "./": every URL in the build is relative, so nginx can serve it
// under any path prefix.  `npm run dev` proxies the API and the pad
// websocket to a stack started with `make run` (127.0.0.1:8080).
const backend = process.env.RUNPAD_BACKEND ?? "http://127.0.0.1:8080";

export default defineConfig({
  base: "./",
  plugins: [react()],
  build: { target: "es2022", sourcemap: false, chunkSizeWarningLimit: 1200 },
  server: {
    proxy: {
      "/api": { target: backend, changeOrigin: true },
      "/ws": { target: backend, ws: true, changeOrigin: true },
    },
  },
  test: { environment: "node", include: ["src/**/*.test.ts"] },
});
