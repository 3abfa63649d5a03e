import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

// Minified, no sourcemaps: the output is committed as a test fixture.
export default defineConfig({ plugins: [react()], build: { sourcemap: false, minify: true } });
