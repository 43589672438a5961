// connect-redis as an express-session store: a tiny express app on a free loopback port,
// backed by a node-redis client (default options), checked from a second client.
import express from 'express';
import session from 'express-session';
import { RedisStore } from 'connect-redis';
import { createClient } from 'redis';
import { URL_, prefix, expect, check, note, onCleanup, version } from './lib.mjs';

const P = prefix('connect');
const storeClient = createClient({ url: URL_ });
const probe = createClient({ url: URL_ });
for (const c of [storeClient, probe]) c.on('error', (e) => note(`client error event: ${e.message}`));
let server;
onCleanup(async () => {
  const keys = await probe.keys(P + '*');
  if (keys.length) await probe.del(keys);
  server?.close();
  storeClient.destroy();
  probe.destroy();
});

const app = express();
app.use(session({
  store: new RedisStore({ client: storeClient, prefix: P + 'sess:' }),
  secret: 'ct-secret',
  resave: false,
  saveUninitialized: false,
  cookie: { maxAge: 600_000 },
}));
app.get('/login', (req, res) => { req.session.user = 'alice'; req.session.visits = 1; res.json({ ok: true }); });
app.get('/me', (req, res) => { req.session.visits = (req.session.visits ?? 0) + 1; res.json(req.session); });
app.get('/logout', (req, res) => req.session.destroy(() => res.json({ ok: true })));

let base, cookie, sid;
const get = (path) => fetch(base + path, { headers: cookie ? { cookie } : {} });

await check(`start app with connect-redis ${version('connect-redis')}`, async () => {
  await storeClient.connect();
  await probe.connect();
  await new Promise((resolve) => { server = app.listen(0, '127.0.0.1', resolve); });
  base = `http://127.0.0.1:${server.address().port}`;
});
await check('first request creates a session', async () => {
  const res = await get('/login');
  expect(res.status === 200, `GET /login answered ${res.status}`);
  const set = res.headers.get('set-cookie');
  expect(set && set.startsWith('connect.sid='), `no session cookie: ${set}`);
  cookie = set.split(';')[0];
  sid = decodeURIComponent(cookie.slice('connect.sid='.length)).replace(/^s:/, '').split('.')[0];
});
await check('session key is in Redis with a TTL', async () => {
  const raw = await probe.get(P + 'sess:' + sid);
  expect(raw, `no key ${P}sess:${sid}`);
  expect(JSON.parse(raw).user === 'alice', `stored session is ${raw}`);
  const ttl = await probe.ttl(P + 'sess:' + sid);
  expect(ttl > 0 && ttl <= 600, `TTL of the session key is ${ttl}`);
  note(`session key TTL ${ttl}s`);
});
await check('second request reads the session back', async () => {
  const body = await (await get('/me')).json();
  expect(body.user === 'alice' && body.visits === 2, `session read back as ${JSON.stringify(body)}`);
  const stored = JSON.parse(await probe.get(P + 'sess:' + sid));
  expect(stored.visits === 2, `stored visits ${stored.visits}`);
});
await check('logout deletes the session key', async () => {
  await get('/logout');
  expect((await probe.exists(P + 'sess:' + sid)) === 0, 'session key still exists after destroy');
});
await check('cleanup', async () => {
  const keys = await probe.keys(P + '*');
  if (keys.length) await probe.del(keys);
  expect((await probe.keys(P + '*')).length === 0, 'keys left after cleanup');
  server.close();
  storeClient.destroy();
  probe.destroy();
});
console.log('connect-redis: all checks passed');
