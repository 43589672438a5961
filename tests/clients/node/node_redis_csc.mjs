// node-redis with the `clientSideCache` option (client-side caching; RESP3 required).
// The client sends CLIENT TRACKING ON at connect and keeps GET replies locally until the
// server pushes an invalidation for the key. A second, uncached client makes the changes.
import { createClient } from 'redis';
import { URL_, prefix, expect, check, note, onCleanup, version, sleep } from './lib.mjs';

const P = prefix('nodecsc');
const k = (name) => P + name;
// No reconnects: a server that refuses CLIENT TRACKING would otherwise be retried forever.
const socket = { reconnectStrategy: false };
const cached = createClient({ url: URL_, RESP: 3, clientSideCache: { ttl: 0, maxEntries: 0 }, name: 'ct-node-csc', socket });
const other = createClient({ url: URL_, name: 'ct-node-csc-writer', socket });
for (const c of [cached, other]) c.on('error', (e) => note(`client error event: ${e.message}`));
const stats = () => cached.clientSideCache.stats();
onCleanup(async () => {
  const keys = await other.keys(P + '*');
  if (keys.length) await other.del(keys);
  cached.destroy();
  other.destroy();
});

// The cached client must see `want` within 2 s (an invalidation push is asynchronous).
async function eventually(key, want) {
  let got;
  for (let i = 0; i < 40; i++) {
    got = await cached.get(key);
    if (got === want) return;
    await sleep(50);
  }
  throw new Error(`cached GET still ${JSON.stringify(got)}, want ${JSON.stringify(want)}: no invalidation`);
}

await check(`connect with clientSideCache (node-redis ${version('redis')})`, async () => {
  await cached.connect();
  await other.connect();
  expect((await cached.ping()) === 'PONG', 'PING did not answer PONG');
});
await check('second GET served from the local cache', async () => {
  await other.set(k('a'), 'v1');
  const before = stats();
  expect((await cached.get(k('a'))) === 'v1', 'first GET wrong');
  expect((await cached.get(k('a'))) === 'v1', 'second GET wrong');
  const d = stats().minus(before);
  expect(d.missCount === 1 && d.hitCount === 1, `misses ${d.missCount}, hits ${d.hitCount}, want 1 and 1`);
  expect(cached.clientSideCache.size() >= 1, 'cache holds no entry');
});
await check('write by another client invalidates the entry', async () => {
  await other.set(k('a'), 'v2');
  await eventually(k('a'), 'v2');
});
await check('own write invalidates the entry', async () => {
  await cached.get(k('a'));
  await cached.set(k('a'), 'v3');
  await eventually(k('a'), 'v3');
});
await check('DEL and expiry by another client invalidate', async () => {
  await cached.get(k('a'));
  await other.del(k('a'));
  await eventually(k('a'), null);
  await other.set(k('b'), 'short', { PX: 300 });
  expect((await cached.get(k('b'))) === 'short', 'GET of the short-lived key wrong');
  await sleep(400);
  await eventually(k('b'), null);
});
await check('MGET is cached and invalidated per key', async () => {
  await other.mSet({ [k('m1')]: 'x', [k('m2')]: 'y' });
  const before = stats();
  expect(JSON.stringify(await cached.mGet([k('m1'), k('m2')])) === '["x","y"]', 'first MGET wrong');
  expect(JSON.stringify(await cached.mGet([k('m1'), k('m2')])) === '["x","y"]', 'second MGET wrong');
  note(`MGET cache hits: ${stats().minus(before).hitCount}`);
  await other.set(k('m2'), 'z');
  for (let i = 0; i < 40; i++) {
    if (JSON.stringify(await cached.mGet([k('m1'), k('m2')])) === '["x","z"]') return;
    await sleep(50);
  }
  throw new Error('cached MGET not invalidated after SET of one of its keys');
});
await check('cleanup', async () => {
  const keys = await other.keys(P + '*');
  if (keys.length) await other.del(keys);
  expect((await other.keys(P + '*')).length === 0, 'keys left after cleanup');
  cached.destroy();
  other.destroy();
});
console.log('node-redis clientSideCache: all checks passed');
