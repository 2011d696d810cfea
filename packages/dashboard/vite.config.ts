import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

// The control plane serves `dist/` at `/` with a strict CSP (no inline scripts, same-origin
// connections only), so the build emits plain hashed assets and nothing inline.
export default defineConfig({
  root: import.meta.dirname,
  base: '/',
  plugins: [react()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: false,
    modulePreload: { polyfill: false },
    chunkSizeWarningLimit: 1024,
  },
  server: {
    // `npm run dev -w @satusky/dashboard` next to `npm start`: the API and its WebSockets proxied.
    proxy: { '/v1': { target: 'http://127.0.0.1:4600', ws: true } },
  },
});
