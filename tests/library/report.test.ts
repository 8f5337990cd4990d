// The report in a real browser (headless Chromium through playwright-core):
// thumbnails shown, each plugin's tags present, a detector's boxes drawn
// over the thumbnail where they belong, the tag filter works, no
// network request is made; the screenshot is kept under build/.
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { photo, root } from '../helpers/paths.js';
import { runCli } from '../helpers/run-cli.js';

const CHROMIUM = '/usr/bin/chromium';

describe.skipIf(!existsSync(CHROMIUM) && !process.env.CI)('imlage report', () => {
  it('tags the paths, writes one self-contained page, and it works in Chromium', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'imlage-report-'));
    mkdirSync(join(dir, 'p'));
    for (const f of ['apple.jpg', 'baboon.jpg', 'fruits.jpg', 'messi5.jpg', 'home.jpg']) copyFileSync(photo(f), join(dir, 'p', f));
    copyFileSync(join(root, 'package.json'), join(dir, 'p', 'broken.jpg'));
    const out = join(dir, 'report.html');
    // A fresh cache folder, so that the thumbnails found there afterwards were made by this run.
    const r = await runCli(['report', join(dir, 'p'), '--db', join(dir, 'r.db'), '-o', out], { IMLAGE_CACHE_DIR: join(dir, 'cache') });
    expect(r.stderr).toContain(`report of 6 images (1 failures) in ${out}`);
    expect(r.code).toBe(0);

    // A new empty profile folder each run (playwright passes it as --user-data-dir).
    const browser = await chromium.launchPersistentContext(mkdtempSync(join(tmpdir(), 'imlage-chromium-')), {
      executablePath: CHROMIUM,
      headless: true,
      viewport: { width: 1400, height: 1000 },
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    });
    try {
      const page = await browser.newPage();
      const requests: string[] = [];
      page.on('request', (q) => requests.push(q.url()));
      await page.goto(pathToFileURL(out).href);
      const cards = page.locator('article.card');
      expect(await cards.count()).toBe(6);
      // Every decodable image has its thumbnail drawn.
      const drawn = await page.$$eval('article.card img', (imgs) => imgs.map((i) => (i as HTMLImageElement).complete && (i as HTMLImageElement).naturalWidth > 0));
      expect(drawn).toEqual([true, true, true, true, true]);
      expect(await page.locator('.plugin[data-plugin="nsfw"]').count()).toBe(5);
      expect(await page.locator('.plugin[data-plugin="objects"]').count()).toBe(5);
      expect(await page.locator('.failures li').count()).toBe(1);
      expect(await page.locator('.failures li').innerText()).toContain('broken.jpg');
      // messi5 has a person in it: filtering by that tag keeps it and hides images without one.
      const personCards = await page.$$eval('article.card', (cs) => cs.filter((c) => c.querySelector('.tag[data-label="person"]')).length);
      expect(personCards).toBeGreaterThan(0);
      await page.fill('#q', 'person');
      expect(await page.locator('article.card:not(.hidden)').count()).toBe(personCards);
      expect(await page.locator('#shown').innerText()).toBe(String(personCards));
      // messi5's person box is drawn over its thumbnail, inside the picture, named on hover.
      const messi = page.locator('article.card', { has: page.locator('.name', { hasText: 'messi5.jpg' }) });
      const box = messi.locator('.box[data-plugin="objects"]', { has: page.locator('span', { hasText: /^person$/ }) }).first();
      expect(await box.getAttribute('title')).toMatch(/^person \d+% \(objects\)$/);
      const [b, pic] = [await box.boundingBox(), await messi.locator('.frame img').boundingBox()];
      expect(b!.width).toBeGreaterThan(10);
      expect(b!.height).toBeGreaterThan(10);
      // Inside the picture (the 2 px border may reach over its edge).
      expect(b!.x).toBeGreaterThanOrEqual(pic!.x - 2);
      expect(b!.y).toBeGreaterThanOrEqual(pic!.y - 2);
      expect(b!.x + b!.width).toBeLessThanOrEqual(pic!.x + pic!.width + 2);
      expect(b!.y + b!.height).toBeLessThanOrEqual(pic!.y + pic!.height + 2);
      // 548x342 as displayed: the frame keeps its shape.
      expect(pic!.width / pic!.height).toBeCloseTo(548 / 342, 1);
      expect(await messi.locator('.legend').innerText()).toContain('person');
      await box.hover();
      expect(await box.locator('span').isVisible()).toBe(true);
      // Unticking a plugin hides its column.
      await page.uncheck('input[data-plugin="objects"]');
      expect(await page.locator('.plugin[data-plugin="objects"]:not(.hidden)').count()).toBe(0);
      expect(await page.locator('.box[data-plugin="objects"]:not(.hidden)').count()).toBe(0);
      await page.check('input[data-plugin="objects"]');
      await page.fill('#q', '');
      mkdirSync(join(root, 'build', 'test-artifacts'), { recursive: true });
      await page.screenshot({ path: join(root, 'build', 'test-artifacts', 'report.png'), fullPage: true });
      expect(requests.filter((u) => !u.startsWith('file:') && !u.startsWith('data:'))).toEqual([]);
    } finally {
      await browser.close();
    }
    // Thumbnails were cached: one per decodable image.
    expect(readdirSync(join(dir, 'cache', 'thumbs')).length).toBe(5);
  });
});
