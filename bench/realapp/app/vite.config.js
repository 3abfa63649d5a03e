import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

// One minified bundle, no sourcemaps: the point of this app is a JavaScript bundle over 1 MB
// (antd + echarts), as a real dashboard ships; the size warning is expected.
export default defineConfig({
  plugins: [react()],
  build: { sourcemap: false, minify: true, chunkSizeWarningLimit: 4096 },
});
