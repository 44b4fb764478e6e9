import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

// `npm run dev -w @berth/web` serves the UI with hot reload against a Berth on :8080.
export default defineConfig({
  plugins: [react()],
  build: { outDir: 'dist', emptyOutDir: true, chunkSizeWarningLimit: 1500 },
  server: { proxy: { '/api': { target: 'http://127.0.0.1:8080', ws: true } } },
});
