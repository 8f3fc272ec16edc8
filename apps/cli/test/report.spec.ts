import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { AlertV1 } from '@netsentry/contracts';
import { haveSharedPcaps, itIf } from '@netsentry/testing';
import { chromium } from 'playwright-core';
import { cli, pcap, tempDir } from './helpers';

const CHROMIUM = '/usr/bin/chromium';
const CHARTS = ['packets-per-second', 'bytes-per-second', 'protocols', 'packet-lengths', 'alerts-timeline', 'top-talkers', 'feature-correlation'];

/** report.html opened in real headless Chromium: renders, no console errors, no network, charts have data. */
describe('report.html', () => {
  let tmp: ReturnType<typeof tempDir>;
  beforeAll(() => (tmp = tempDir()));
  afterAll(() => tmp.cleanup());

  itIf(existsSync(CHROMIUM) && haveSharedPcaps, `needs ${CHROMIUM} and ../shared/data/pcaps`)(
    'renders every chart with data, the alert and anomaly tables, without errors or requests',
    async () => {
      const out = join(tmp.dir, 'r');
      // A port scan next to ordinary web traffic: alerts, anomalies and several protocols.
      const r = await cli(['analyze', pcap('esnet-curated/masscan_tcp_0_1000_20190821.pcap'), pcap('esnet-curated/masscan_udp_0_1000_20190821.pcap'), '--out', out, '--quiet']);
      expect(r.code).toBe(0);
      const html = readFileSync(join(out, 'report.html'), 'utf8');
      // Self-contained: nothing to fetch.
      expect(html).not.toMatch(/<(script|link|img|iframe)[^>]+(src|href)=/i);
      expect(html.replace(/xmlns="http:\/\/www\.w3\.org\/2000\/svg"/g, '')).not.toMatch(/https?:\/\//);
      const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
      try {
        const page = await browser.newPage();
        const errors: string[] = [];
        const requests: string[] = [];
        page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
        page.on('pageerror', (e) => errors.push(String(e)));
        page.on('request', (req) => requests.push(req.url()));
        const url = pathToFileURL(join(out, 'report.html')).href;
        await page.goto(url, { waitUntil: 'load' });
        expect(errors).toEqual([]);
        expect(requests).toEqual([url]);
        for (const name of CHARTS) {
          const svg = page.locator(`svg[data-chart="${name}"]`);
          expect(await svg.count()).toBe(1);
          expect(Number(await svg.getAttribute('data-points'))).toBeGreaterThan(0);
          const box = await svg.boundingBox();
          expect(box!.width).toBeGreaterThan(100);
          expect(await svg.locator('polyline, rect').count()).toBeGreaterThan(0);
        }
        // Two scans → alerts in the table and on the timeline.
        const s = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8'));
        expect(s.alerts.length).toBeGreaterThan(0);
        expect(await page.locator('svg[data-chart="alerts-timeline"] rect').count()).toBe(s.alerts.length);
        expect(await page.locator('main').innerText()).toContain(s.alerts[0].summary);
        // Anomaly rows carry their explanation (top features with typical values).
        if (s.counts.anomalies > 0) expect(await page.locator('#anomalies tbody tr').first().innerText()).toMatch(/typical/);
        // The inline sort script works (click sorts, no error).
        await page.locator('#anomalies th').first().click().catch(() => undefined);
        expect(errors).toEqual([]);
      } finally {
        await browser.close();
      }
    },
    120_000,
  );

  itIf(existsSync(CHROMIUM) && haveSharedPcaps, `needs ${CHROMIUM} and ../shared/data/pcaps`)(
    'DNS amplification: the udp_flood closed as part of the ddos alert says "part of <id>" with a link to that alert',
    async () => {
      const out = join(tmp.dir, 'dns-amp');
      const r = await cli(['analyze', pcap('stopddos/amp.dns.RRSIG.fragmented.pcap'), '--out', out, '--quiet']);
      expect(r.code).toBe(0);
      const s = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8'));
      const ddos = s.alerts.find((a: AlertV1) => a.type === 'ddos') as AlertV1;
      const udp = s.alerts.find((a: AlertV1) => a.type === 'udp_flood') as AlertV1;
      expect(udp.supersededBy).toBe(ddos.id);
      const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
      try {
        const page = await browser.newPage();
        const errors: string[] = [];
        page.on('pageerror', (e) => errors.push(String(e)));
        const url = pathToFileURL(join(out, 'report.html')).href;
        await page.goto(url, { waitUntil: 'load' });
        const row = (a: AlertV1) => page.locator('tr', { hasText: a.summary }).filter({ has: page.locator('td', { hasText: new RegExp(`^${a.type}$`) }) });
        expect(await row(udp).count()).toBe(1);
        expect(await row(udp).innerText()).toContain(`(part of ${ddos.id})`);
        expect(await row(ddos).innerText()).not.toContain('part of');
        // The link leads to the ddos alert's row.
        const link = row(udp).locator('a', { hasText: ddos.id });
        const target = (await link.getAttribute('href'))!;
        expect(await page.locator(`tr${target}`).innerText()).toContain(ddos.summary);
        await link.click();
        expect(new URL(page.url()).hash).toBe(target);
        // The timeline's tooltip of the udp_flood says so too.
        expect(await page.locator('svg[data-chart="alerts-timeline"] title').allTextContents()).toContain(`high udp_flood: ${udp.summary} (part of ${ddos.id})`);
        expect(errors).toEqual([]);
      } finally {
        await browser.close();
      }
    },
    120_000,
  );
});
