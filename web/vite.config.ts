import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

// In development the API runs separately (`orderly start` on :4000); in production it serves dist/.
const api = 'http://localhost:4000';

export default defineConfig({
  plugins: [react()],
  build: { outDir: 'dist', emptyOutDir: true },
  server: {
    proxy: {
      '/v1': api,
      '/health': api,
      '/openapi.json': api,
      '/docs': api,
    },
  },
});
