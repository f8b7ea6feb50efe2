// A supervisor on the reports page, driven by tests/tests/browser_reports.rs over the morning of
// tests/src/report_history.rs (Monday 2025-03-03, UTC; the browser's clock is in UTC too):
//   1. open SB_URL/reports, log in as SB_USER; set the filters (Tab order, Enter submits): queue
//      SB_QUEUE only, the day 2025-03-03, 15-minute grain; show;
//   2. the queue table has SB_ROWS rows; the calls chart has three bars per row (offered,
//      answered, abandoned) and is described for screen readers;
//   3. the queue CSV downloads and its rows hold the table's numbers; the agent CSV too;
//   4. axe-core finds nothing serious in English and in Korean; screenshots. Prints "PASSED".
import { readFileSync } from 'node:fs';
import { check, checkAccessibility, env, logIn, messagesOf, openPage, run, screenshot, stepper } from './lib.mjs';

const url = env('SB_URL');
const user = env('SB_USER');
const password = env('SB_PASSWORD');
const queue = env('SB_QUEUE');
const rows = Number(env('SB_ROWS'));
const step = stepper('reports.mjs');

/** The queue table as [queue, interval, offered, answered, abandoned] per row. */
const tableRows = (page) =>
  page.$$eval('#queue-table tbody tr', (trs) =>
    trs.map((tr) => Array.from(tr.children, (c) => c.textContent.trim()).slice(0, 5)),
  );

/** A downloaded CSV (RFC 4180, no quoted fields expected here) as rows of cells. */
async function download(page, selector) {
  const [file] = await Promise.all([page.waitForEvent('download'), page.click(selector)]);
  const text = readFileSync(await file.path(), 'utf8');
  check(text.endsWith('\r\n'), `${selector}: lines end with CRLF`);
  return text
    .split('\r\n')
    .filter((l) => l)
    .map((l) => l.split(','));
}

await run('reports', async (browser, state) => {
  const { page, problems } = await openPage(browser, { locale: 'en-GB', timezoneId: 'UTC', viewport: { width: 1440, height: 1000 } });
  state.page = page;
  state.problems = problems;

  step(`opening ${url}/reports`);
  const response = await page.goto(`${url}/reports`);
  check(response && response.ok(), `GET /reports: ${response && response.status()}`);
  await logIn(page, user, password);
  check(await page.$eval('a[href="/reports"]', (a) => a.getAttribute('aria-current')) === 'page', 'the nav marks the page');
  await page.waitForFunction(() => document.querySelectorAll('#r-queues option').length > 0);

  step('setting the filters');
  await page.focus('#r-queues');
  // The list holds the configured queues; pick ours alone.
  await page.selectOption('#r-queues', [queue]);
  // Tab moves through the filters in order, to the button.
  await page.focus('#r-grain');
  await page.keyboard.press('Tab');
  check(await page.evaluate(() => document.activeElement.id) === 'r-show', 'Tab from the grain reaches the button');
  await page.fill('#r-from', '2025-03-03');
  await page.fill('#r-to', '2025-03-03');
  await page.focus('#r-grain');
  await page.selectOption('#r-grain', '15m');
  await page.focus('#r-show');
  check(await page.evaluate(() => document.activeElement.id) === 'r-show', 'the button takes the focus');
  const answered = page.waitForResponse((r) => r.url().includes('/api/reports/queues?') && r.status() === 200);
  await page.keyboard.press('Enter');
  await answered;
  await page.waitForFunction((n) => document.querySelectorAll('#queue-table tbody tr').length === n, rows);

  const table = await tableRows(page);
  step(`table: ${JSON.stringify(table)}`);
  check(table.every((r) => r[0] === queue), `only ${queue} in the table: ${JSON.stringify(table)}`);

  step('checking the calls chart');
  await page.waitForFunction(() => {
    const img = document.getElementById('chart-calls');
    return img.complete && img.naturalWidth > 0;
  });
  const chart = await page.evaluate(async () => {
    const img = document.getElementById('chart-calls');
    const svg = await (await fetch(img.src)).text();
    return { alt: img.alt, bars: (svg.match(/<rect class="bar"/g) || []).length, svg };
  });
  check(chart.bars === 3 * rows, `the calls chart has ${chart.bars} bars for ${rows} intervals`);
  check(chart.alt.length > 10, `the chart has no description: "${chart.alt}"`);
  check(chart.svg.includes('role="img"') && chart.svg.includes('<title id="chart-title">'), 'the SVG is labelled');
  for (const id of ['chart-sl', 'chart-times', 'chart-occupancy']) {
    await page.waitForFunction((i) => {
      const img = document.getElementById(i);
      return img.complete && img.naturalWidth > 0;
    }, id);
  }

  step('downloading the CSV files');
  const csv = await download(page, '#queue-csv');
  const header = csv[0];
  const col = (name) => header.indexOf(name);
  check(csv.length === 1 + rows, `the CSV has ${csv.length - 1} rows, the table ${rows}`);
  csv.slice(1).forEach((line, i) => {
    const [q, , offered, answeredN, abandoned] = table[i];
    const got = [line[col('queue')], line[col('offered')], line[col('answered')], line[col('abandoned')]];
    check(
      JSON.stringify(got) === JSON.stringify([q, offered, answeredN, abandoned]),
      `CSV row ${i}: ${JSON.stringify(got)} but the table shows ${JSON.stringify(table[i])}`,
    );
  });
  const agents = await download(page, '#agent-csv');
  const shown = await page.$$eval('#agent-table tbody th', (ths) => ths.map((th) => th.textContent.trim()));
  check(
    JSON.stringify(agents.slice(1).map((l) => l[0])) === JSON.stringify(shown),
    `agent CSV ${JSON.stringify(agents)} vs table ${JSON.stringify(shown)}`,
  );

  await checkAccessibility(page, 'reports (English)');
  await screenshot(page, 'reports-en');

  step('in Korean');
  const ko = messagesOf('ko');
  await page.selectOption('#lang-select', 'ko');
  await page.waitForFunction((title) => document.getElementById('queue-table-title').textContent === title, ko['reports.queue_table']);
  await page.waitForFunction(() => document.getElementById('chart-calls').src.includes('lang=ko'));
  await page.waitForFunction(() => {
    const img = document.getElementById('chart-calls');
    return img.complete && img.naturalWidth > 0;
  });
  check(await page.$eval('#chart-calls', (i) => i.alt) === ko['reports.chart_calls'], 'the chart is described in Korean');
  await checkAccessibility(page, 'reports (Korean)');
  await screenshot(page, 'reports-ko');
});
