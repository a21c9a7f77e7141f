// The browser test: Debian's headless Chromium, driven by playwright-core, against each demo
// server binary given on the command line. For each server it checks that the page receives
// the clock, the words (and stops at the end), the token stream, messages published with
// POST /publish and the chat; then the server drops every stream (POST /disconnect), more is
// published while the browser is away, and the browser must resume with Last-Event-ID and
// end up with every message exactly once, in order. The background-job card runs a job to the
// end (the bar fills, `done` closes it); a second job is left mid-way, and GET /stats must
// show the server stopped it; coming back resumes after the last step seen. Last, SIGTERM: the
// page shows the server's `shutdown` notice and the server exits with 0.
//
// Then cross-origin, with each demo started with `--cors-origin` for a page served by a node
// server on another port: that page's `EventSource(url, { withCredentials: true })` receives
// events and its JSON `fetch`es (preflighted) publish and chat; a page on a port not allowed
// gets no events, and its simple `text/plain` POSTs to /publish, /chat and /disconnect
// change nothing (the hub's counts in /stats stay, the allowed stream stays open).
//
// Last, a hub at `--max-subscribers 1`: an EventSource refused for `too_many_subscribers`
// (answered 200 with `retry:` and a `refused` event, not a 503 that would stop it for good)
// reconnects, and receives events once the other subscriber has left.
//
//   node tests/browser/run.mjs target/debug/demo-axum [target/debug/demo-actix ...]
//   SCREENSHOT=docs/demo.png node tests/browser/run.mjs target/debug/demo-axum
//
// Prints "browser: N passed, M failed" and exits non-zero on any failure.

import { spawn } from "node:child_process";
import { createServer } from "node:http";
import { createInterface } from "node:readline";
import { chromium } from "playwright-core";

const CHROMIUM = process.env.CHROMIUM || "/usr/bin/chromium";
const WORDS = "Server-sent events push text from server to browser".split(" ");
const TEXT = "Streaming an answer, token by token — naïvely fast ✓";
const PATIENCE = { timeout: 20_000 };

function startServer(binary, args = []) {
  return new Promise((resolve, reject) => {
    const child = spawn(binary, ["--addr", "127.0.0.1:0", "--allow-disconnect", ...args], { stdio: ["ignore", "pipe", "inherit"] });
    const lines = createInterface({ input: child.stdout });
    lines.once("line", (line) => {
      const url = line.slice(line.indexOf("http://")).trim();
      lines.on("line", () => {}); // keep draining
      resolve({ child, url });
    });
    child.once("error", reject);
    child.once("exit", (code) => reject(new Error(`${binary} exited with ${code}`)));
  });
}

function check(condition, message) {
  if (!condition) throw new Error(message);
}

async function post(url, body) {
  const response = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  check(response.ok, `POST ${url}: ${response.status} ${await response.text()}`);
  return response;
}

async function jobsRunning(url) {
  const response = await fetch(`${url}/stats`);
  check(response.ok, `GET /stats: ${response.status}`);
  const stats = await response.json();
  check(typeof stats.jobs_running === "number" && typeof stats.hub?.subscribers === "number", `stats: ${JSON.stringify(stats)}`);
  return stats.jobs_running;
}

// Polls GET /stats until no job runs: the server notices a client that left (its keep-alive
// writes every 2 s at the latest). A generous deadline, not a measure of speed.
async function waitForNoJobs(url) {
  const deadline = Date.now() + 20_000;
  let running;
  while ((running = await jobsRunning(url)) !== 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
  check(running === 0, `jobs still running after the client left: ${running}`);
}

const range = (from, to) => Array.from({ length: to - from + 1 }, (_, i) => String(from + i));

async function testServer(browser, binary) {
  const { child, url } = await startServer(binary);
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  const errors = [];
  page.on("pageerror", (error) => errors.push(error.message));
  try {
    await page.goto(url);
    const demo = (expression) => page.evaluate(`window.demo.${expression}`);

    // The multiplexed stream opens; the clock and metrics tick.
    await page.waitForFunction(() => window.demo.state === "open" && window.demo.clockTicks >= 2 && window.demo.metrics >= 1, null, PATIENCE);

    // A finite stream: start it now, it takes a word a second.
    await page.click("#words-start");

    // The token stream.
    await page.fill("#tokens-text", TEXT);
    await page.click("#tokens-start");
    await page.waitForFunction(() => window.demo.tokensDone, null, PATIENCE);
    check((await demo("tokens")) === TEXT, `tokens: ${JSON.stringify(await demo("tokens"))}`);

    // On-demand publishing from a handler.
    for (let n = 1; n <= 5; n++) await post(`${url}/publish`, { topic: "news", event: "news", data: `before-${n}` });
    await page.waitForFunction(() => window.demo.news.length >= 5, null, PATIENCE);

    // The server drops every hub stream; more is published while the browser is away.
    await post(`${url}/disconnect`);
    for (let n = 1; n <= 5; n++) await post(`${url}/publish`, { topic: "news", event: "news", data: `after-${n}` });
    await page.waitForFunction(() => window.demo.reconnects >= 1 && window.demo.news.length >= 10, null, PATIENCE);
    const news = (await demo("news")).map((message) => message.data);
    const expected = [1, 2, 3, 4, 5].map((n) => `before-${n}`).concat([1, 2, 3, 4, 5].map((n) => `after-${n}`));
    check(JSON.stringify(news) === JSON.stringify(expected), `news after resuming: ${JSON.stringify(news)}`);
    const ids = (await demo("news")).map((message) => message.id);
    check(new Set(ids).size === ids.length, `repeated ids: ${ids}`);
    check((await demo("missed")).length === 0, "nothing should be missed");

    // Chat through the page's own form.
    await page.fill("#chat-text", "hello from chromium");
    await page.click("#chat-send");
    await page.waitForFunction(() => window.demo.chat.some((m) => m.text === "hello from chromium"), null, PATIENCE);

    // The background job: the bar fills as progress arrives, `done` closes the EventSource.
    await page.fill("#job-steps", "8");
    await page.fill("#job-interval", "100");
    await page.click("#job-start");
    await page.waitForFunction(() => window.demo.job.done, null, PATIENCE);
    check((await demo("job.step")) === 8, `job step: ${await demo("job.step")}`);
    check(JSON.stringify(await demo("job.ids")) === JSON.stringify(range(1, 9)), `job ids: ${JSON.stringify(await demo("job.ids"))}`);
    check((await page.$eval("#job-bar", (bar) => bar.style.width)) === "100%", "the bar is full");
    check(await page.isEnabled("#job-start"), "a new job can start");

    // Another job, left mid-way: the server stops its task.
    await page.fill("#job-steps", "1000");
    await page.click("#job-start");
    await page.waitForFunction(() => window.demo.job.step >= 3, null, PATIENCE);
    check((await jobsRunning(url)) === 1, "the job runs while its page watches");
    const width = parseFloat(await page.$eval("#job-bar", (bar) => bar.style.width));
    check(width > 0 && width < 100, `the bar is part-way: ${width}%`);
    await page.click("#job-leave");
    const left = await demo("job.step");
    await waitForNoJobs(url);
    check((await demo("job.step")) === left, "nothing arrives after leaving");

    // Coming back resumes after the last step seen; leaving again stops it again.
    await page.click("#job-return");
    await page.waitForFunction((left) => window.demo.job.step >= left + 2, left, PATIENCE);
    await page.click("#job-leave");
    const jobIds = await demo("job.ids");
    check(JSON.stringify(jobIds) === JSON.stringify(range(1, jobIds.length)), `job ids after coming back: ${JSON.stringify(jobIds)}`);
    await waitForNoJobs(url);

    // The words arrived, and the end stuck (204 on reconnect).
    await page.waitForFunction(() => window.demo.wordsDone, null, PATIENCE);
    check(JSON.stringify(await demo("words")) === JSON.stringify(WORDS), `words: ${JSON.stringify(await demo("words"))}`);
    check(errors.length === 0, `page errors: ${errors}`);

    if (process.env.SCREENSHOT) {
      await page.waitForTimeout(3_000); // a few more metric samples for the chart
      await page.screenshot({ path: process.env.SCREENSHOT, fullPage: true });
    }

    // SIGTERM: the hub stream's final `shutdown` event reaches the page, and the server exits 0.
    const exited = new Promise((resolve) => child.once("exit", (code, signal) => resolve({ code, signal })));
    child.kill("SIGTERM");
    await page.waitForFunction(() => window.demo.shutdown !== null, null, PATIENCE);
    check(await page.isVisible("#notice"), "the shutdown notice shows");
    const exit = await Promise.race([exited, new Promise((resolve) => setTimeout(() => resolve(null), 10_000))]);
    check(exit !== null, "the server exits within 10 s of SIGTERM");
    check(exit.code === 0, `exit: ${JSON.stringify(exit)}`);
    check(errors.length === 0, `page errors: ${errors}`);
  } finally {
    await page.close();
    child.kill();
  }
}

// A page on another origin (a free loopback port): any path answers a blank page.
function servePage() {
  return new Promise((resolve, reject) => {
    const server = createServer((_, response) => {
      response.writeHead(200, { "content-type": "text/html; charset=utf-8" });
      response.end("<!doctype html><title>another origin</title>");
    });
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve({ server, origin: `http://127.0.0.1:${server.address().port}` }));
  });
}

// A browser's EventSource gives up for good on any status but 200: refused for a passing
// reason (a hub at --max-subscribers 1, held by another client), it must get the 200 stream
// that says `refused` and when to retry, reconnect, and receive events once there is room.
async function testRefusedComesBack(browser, binary) {
  const { child, url } = await startServer(binary, ["--no-periodic", "--max-subscribers", "1"]);
  const page = await browser.newPage();
  const holder = new AbortController();
  try {
    const held = await fetch(`${url}/events?topic=hold`, { signal: holder.signal });
    check(held.status === 200, `the first subscriber: ${held.status}`);
    await page.goto(`${url}/stats`); // same origin, and no EventSource of the page's own
    await page.evaluate(() => {
      window.seen = { refused: [], news: [], closed: false };
      const source = new EventSource("/events?topic=news");
      source.addEventListener("refused", (event) => window.seen.refused.push(JSON.parse(event.data).error));
      source.onmessage = (event) => window.seen.news.push(event.data);
      source.onerror = () => { if (source.readyState === EventSource.CLOSED) window.seen.closed = true; };
    });
    await page.waitForFunction(() => window.seen.refused.length >= 1, null, PATIENCE);
    let seen = await page.evaluate(() => window.seen);
    check(seen.refused[0] === "too_many_subscribers", `refused for: ${JSON.stringify(seen)}`);
    holder.abort();
    // Room again: publish until the reconnected browser has one (it retries every second).
    const deadline = Date.now() + PATIENCE.timeout;
    while (Date.now() < deadline) {
      seen = await page.evaluate(() => window.seen);
      if (seen.news.length > 0 || seen.closed) break;
      await post(`${url}/publish`, { topic: "news", data: "back" });
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    check(!seen.closed, "the EventSource gave up");
    check(seen.news[0] === "back", `after the refusal: ${JSON.stringify(seen)}`);
  } finally {
    holder.abort();
    await page.close();
    child.kill();
  }
}

async function hubStats(url) {
  const response = await fetch(`${url}/stats`);
  check(response.ok, `GET /stats: ${response.status}`);
  return (await response.json()).hub;
}

async function testCrossOrigin(browser, binary) {
  const allowed = await servePage();
  const other = await servePage();
  const { child, url } = await startServer(binary, ["--no-periodic", "--cors-origin", allowed.origin]);
  const good = await browser.newPage();
  const bad = await browser.newPage();
  try {
    await good.goto(`${allowed.origin}/`);
    await bad.goto(`${other.origin}/`);
    // Each page listens to the hub with credentials; the allowed one also posts JSON.
    const listen = (server) => {
      window.seen = { open: false, errors: 0, news: [], chat: [] };
      window.events = new EventSource(`${server}/events?topic=news&topic=chat`, { withCredentials: true });
      events.onopen = () => { seen.open = true; };
      events.onerror = () => { seen.errors++; };
      events.addEventListener("news", (e) => seen.news.push(e.data));
      events.addEventListener("chat", (e) => seen.chat.push(JSON.parse(e.data).text));
    };
    await good.evaluate(listen, url);
    await bad.evaluate(listen, url);
    await good.waitForFunction(() => window.seen.open, null, PATIENCE);
    // Not allowed: the stream's answer is withheld, the EventSource fails and gives up.
    await bad.waitForFunction(() => window.seen.errors >= 1 && window.events.readyState === EventSource.CLOSED, null, PATIENCE);
    const before = await hubStats(url);
    check(before.subscribers >= 1, `subscribers: ${JSON.stringify(before)}`);

    // The other page's simple requests (no preflight: text/plain), which a browser sends to
    // any origin. Each resolves once the server has answered.
    const statuses = await bad.evaluate(async (server) => {
      const forge = (path, body) => fetch(`${server}${path}`, {
        method: "POST", mode: "no-cors", credentials: "include", headers: { "content-type": "text/plain" }, body,
      }).then((response) => response.type);
      return [
        await forge("/publish", JSON.stringify({ topic: "news", event: "news", data: "forged" })),
        await forge("/chat", JSON.stringify({ user: "mallory", text: "forged" })),
        await forge("/disconnect", ""),
      ];
    }, url);
    check(statuses.every((type) => type === "opaque"), `forged requests: ${statuses}`);
    const after = await hubStats(url);
    check(after.published === before.published, `published by forged requests: ${before.published} -> ${after.published}`);
    check(after.subscribers === before.subscribers, `subscribers after a forged disconnect: ${before.subscribers} -> ${after.subscribers}`);

    // The allowed page publishes and chats with JSON (preflighted, credentialed) and reads
    // the answers.
    const answers = await good.evaluate(async (server) => {
      const post = async (path, body) => {
        const response = await fetch(`${server}${path}`, {
          method: "POST", credentials: "include", headers: { "content-type": "application/json", "idempotency-key": "k1" }, body: JSON.stringify(body),
        });
        return { status: response.status, body: await response.json() };
      };
      return [
        await post("/publish", { topic: "news", event: "news", data: "genuine" }),
        await post("/chat", { user: "ada", text: "genuine" }),
      ];
    }, url);
    check(answers.every((answer) => answer.status === 200 && typeof answer.body.id === "string"), `allowed posts: ${JSON.stringify(answers)}`);
    await good.waitForFunction(() => window.seen.chat.length >= 1, null, PATIENCE);
    const seen = await good.evaluate(() => window.seen);
    check(JSON.stringify(seen.news) === JSON.stringify(["genuine"]), `news on the allowed page: ${JSON.stringify(seen.news)}`);
    check(JSON.stringify(seen.chat) === JSON.stringify(["genuine"]), `chat on the allowed page: ${JSON.stringify(seen.chat)}`);
    check(seen.errors === 0, "the allowed stream was never dropped");
    const unseen = await bad.evaluate(() => window.seen);
    check(unseen.news.length === 0 && unseen.chat.length === 0 && !unseen.open, `the other page got: ${JSON.stringify(unseen)}`);
  } finally {
    await good.close();
    await bad.close();
    child.kill();
    allowed.server.close();
    other.server.close();
  }
}

const binaries = process.argv.slice(2);
if (binaries.length === 0) {
  console.error("usage: node tests/browser/run.mjs <demo binary>...");
  process.exit(2);
}
// playwright launches with a fresh temporary profile (user data dir) every time.
const browser = await chromium.launch({
  executablePath: CHROMIUM,
  args: [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
  ],
});
let passed = 0;
let failed = 0;
for (const binary of binaries) {
  const started = Date.now();
  try {
    await testServer(browser, binary);
    await testCrossOrigin(browser, binary);
    await testRefusedComesBack(browser, binary);
    passed++;
    console.log(`ok   ${binary} (${((Date.now() - started) / 1000).toFixed(1)} s)`);
  } catch (error) {
    failed++;
    console.log(`FAIL ${binary}: ${error.message}`);
  }
}
await browser.close();
console.log(`browser: ${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
