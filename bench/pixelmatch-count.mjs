// Reference counts for tests/diff_images.rs: pixelmatch 7 on two PNG files.
// Usage: node pixelmatch-count.mjs A.png B.png [threshold] [includeAA]
// Prints {"diff": N, "total": N}. Images of different sizes: pixelmatch 7 on their overlap
// (top-left aligned) plus every pixel inside only one of them, as reprise counts them.
import fs from 'node:fs';
import { PNG } from 'pngjs';
import pixelmatch from 'pixelmatch';

const [, , a, b, threshold = '0.1', includeAA = 'false'] = process.argv;
const img1 = PNG.sync.read(fs.readFileSync(a));
const img2 = PNG.sync.read(fs.readFileSync(b));
const w = Math.min(img1.width, img2.width);
const h = Math.min(img1.height, img2.height);
const crop = (img) => {
  if (img.width === w && img.height === h) return img.data;
  const out = Buffer.alloc(w * h * 4);
  for (let y = 0; y < h; y++) img.data.copy(out, y * w * 4, y * img.width * 4, (y * img.width + w) * 4);
  return out;
};
const opts = { threshold: +threshold, includeAA: includeAA === 'true' };
let diff = pixelmatch(crop(img1), crop(img2), null, w, h, opts);
const area = (i) => i.width * i.height;
diff += area(img1) + area(img2) - 2 * w * h;
const total = Math.max(img1.width, img2.width) * Math.max(img1.height, img2.height);
console.log(JSON.stringify({ diff, total }));
