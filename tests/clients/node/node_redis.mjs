// Client-library checks with node-redis (`redis` on npm), default options: it opens with
// HELLO 3 (RESP3 is its default), AUTH inside HELLO, CLIENT SETINFO and MAINT_NOTIFICATIONS.
import { createClient, RESP_TYPES } from 'redis';
import { randomBytes } from 'node:crypto';
import { URL_, SOCKET, INT_ERR, USER, PASS, PLAIN_URL, prefix, expect, check, note, onCleanup, version, binaryValue, autoPipelined200 } from './lib.mjs';

const P = prefix('noderedis');
const k = (name) => P + name;
const client = createClient({ url: URL_, name: 'ct-node-redis' });
client.on('error', (e) => note(`client error event: ${e.message}`));
const bin = client.withTypeMapping({ [RESP_TYPES.BLOB_STRING]: Buffer });

// Keys as Buffers: the binary key is not valid UTF-8, and a string reply would mangle it.
async function deleteAll(c) {
  const keys = await c.withTypeMapping({ [RESP_TYPES.BLOB_STRING]: Buffer }).keys(P + '*');
  if (keys.length) await c.del(keys);
  return c.keys(P + '*');
}
onCleanup(async () => { await deleteAll(client); client.destroy(); });

// A client that must fail to log in: no reconnect, its error surfaced through connect().
async function rejectedLogin(options) {
  const c = createClient({ ...options, socket: { reconnectStrategy: false, connectTimeout: 5000 } });
  c.on('error', () => {});
  try {
    await c.connect();
    await c.get(k('s'));
  } catch (e) {
    return e.message;
  } finally {
    c.destroy();
  }
  return null;
}

await check(`connect+ping (node-redis ${version('redis')})`, async () => {
  await client.connect();
  expect((await client.ping()) === 'PONG', 'PING did not answer PONG');
});
await check('select db from url', async () => {
  expect((await client.select(Number(new URL(URL_).pathname.slice(1) || 0))) === undefined, 'SELECT failed');
});
await check('set/get', async () => {
  expect((await client.set(k('s'), 'hello')) === 'OK', 'SET not OK');
  expect((await client.get(k('s'))) === 'hello', 'GET returned wrong value');
  expect((await client.get(k('missing'))) === null, 'GET of a missing key is not null');
});
await check('expire/ttl', async () => {
  await client.set(k('ex'), 'v', { EX: 100 });
  const ttl = await client.ttl(k('ex'));
  expect(ttl > 0 && ttl <= 100, `TTL after SET EX 100 is ${ttl}`);
  await client.set(k('e2'), 'v');
  expect((await client.ttl(k('e2'))) === -1, 'TTL without expiry is not -1');
  expect((await client.expire(k('e2'), 50)) === 1, 'EXPIRE did not return 1');
  const t2 = await client.ttl(k('e2'));
  expect(t2 > 0 && t2 <= 50, `TTL after EXPIRE 50 is ${t2}`);
  expect((await client.ttl(k('missing'))) === -2, 'TTL of a missing key is not -2');
});
await check('mset/mget', async () => {
  expect((await client.mSet({ [k('m1')]: 'a', [k('m2')]: 'b', [k('m3')]: 'c' })) === 'OK', 'MSET not OK');
  const got = await client.mGet([k('m1'), k('missing'), k('m2'), k('m3')]);
  expect(JSON.stringify(got) === JSON.stringify(['a', null, 'b', 'c']), `MGET returned ${JSON.stringify(got)}`);
});
await check('incr/incrby', async () => {
  expect((await client.incr(k('n'))) === 1, 'INCR of a new key is not 1');
  expect((await client.incrBy(k('n'), 41)) === 42, 'INCRBY 41 is not 42');
  expect((await client.get(k('n'))) === '42', "GET after INCR is not '42'");
});
await check('incr non-integer error', async () => {
  await client.set(k('notint'), 'abc');
  const err = await client.incr(k('notint')).then(() => null, (e) => e);
  expect(err, 'INCR on a non-integer raised nothing');
  expect(err.message === INT_ERR, `error text is ${JSON.stringify(err.message)}`);
  note(`surfaced as ${err.constructor.name}(${JSON.stringify(err.message)})`);
  expect((await client.ping()) === 'PONG', 'connection unusable after an error reply');
});
await check('auto-pipelined 200 commands (Promise.all)', () => autoPipelined200(client, k));
await check('multi().execAsPipeline(), then one with an error reply', async () => {
  const ok = await client.multi().set(k('pa'), '1').incr(k('pa')).get(k('pa')).execAsPipeline();
  expect(JSON.stringify(ok) === JSON.stringify(['OK', 2, '2']), `replies ${JSON.stringify(ok)}`);
  // node-redis rejects the whole pipeline with its first error reply; the rest still ran.
  const err = await client.multi().set(k('pe'), 'before').incr(k('notint')).set(k('pe'), 'after')
    .execAsPipeline().then(() => null, (e) => e);
  expect(err && err.message === INT_ERR, `pipelined INCR error is ${err?.message}`);
  expect((await client.get(k('pe'))) === 'after', 'commands after the pipelined error not applied');
});
await check('binary-safe key and value (Buffer type mapping)', async () => {
  const val = binaryValue();
  const key = Buffer.concat([Buffer.from(k('bin')), Buffer.from([0, 13, 10, 255])]);
  await bin.set(key, val);
  const got = await bin.get(key);
  expect(Buffer.isBuffer(got) && got.equals(val), 'binary value not byte-exact');
  expect((await client.strLen(key)) === val.length, 'STRLEN of binary value wrong');
});
for (const [size, label] of [[1 << 20, '1 MiB'], [8 << 20, '8 MiB']]) {
  await check(`${label} value`, async () => {
    const val = randomBytes(size);
    expect((await bin.set(k(`big${size}`), val)) === 'OK', `SET of ${size} bytes not OK`);
    const got = await bin.get(k(`big${size}`));
    expect(got && got.length === size, `read back ${got?.length} bytes`);
    expect(got.equals(val), `${size}-byte value not byte-exact`);
  });
}
await check('hashes and sets', async () => {
  expect((await client.hSet(k('hash1'), { a: '1', b: 'two' })) === 2, 'HSET of two new fields is not 2');
  const all = await client.hGetAll(k('hash1'));
  expect(JSON.stringify(all) === JSON.stringify({ a: '1', b: 'two' }), `HGETALL returned ${JSON.stringify(all)}`);
  expect((await client.hIncrBy(k('hash1'), 'a', 5)) === 6, 'HINCRBY 5 of 1 is not 6');
  expect((await client.hIncrByFloat(k('hash1'), 'f', 1.5)) === '1.5', 'HINCRBYFLOAT of a new field is not 1.5');
  expect((await client.sAdd(k('set1'), ['x', 'y', '3'])) === 3, 'SADD of three new members is not 3');
  const members = (await client.sMembers(k('set1'))).sort();
  expect(JSON.stringify(members) === JSON.stringify(['3', 'x', 'y']), `SMEMBERS returned ${JSON.stringify(members)}`);
  await client.sAdd(k('set2'), ['y', 'z']);
  const inter = await client.sInter([k('set1'), k('set2')]);
  expect(JSON.stringify(inter) === JSON.stringify(['y']), `SINTER returned ${JSON.stringify(inter)}`);
  expect((await client.type(k('hash1'))) === 'hash', 'TYPE of a hash is not hash');
  const err = await client.get(k('hash1')).then(() => null, (e) => e);
  expect(err && err.message.startsWith('WRONGTYPE'), 'GET of a hash is not WRONGTYPE');
});
await check('del/exists', async () => {
  const n = await client.exists([k('s'), k('m1'), k('missing')]);
  expect(n === 2, `EXISTS counted ${n}`);
  expect((await client.del([k('s'), k('m1'), k('missing')])) === 2, 'DEL did not count 2');
  expect((await client.exists([k('s'), k('m1')])) === 0, 'keys still exist after DEL');
});
await check('wrong password / no auth rejected', async () => {
  if (PASS === undefined) return note('(URL has no password: wrong-password check skipped)');
  const bad = await rejectedLogin({ url: PLAIN_URL, username: USER, password: PASS + '-wrong' });
  expect(bad && (bad.startsWith('WRONGPASS') || bad.includes('invalid')), `wrong password: ${bad}`);
  note(`wrong password: ${JSON.stringify(bad)}`);
  const anon = await rejectedLogin({ url: PLAIN_URL });
  expect(anon && anon.startsWith('NOAUTH'), `no auth: ${anon}`);
  note(`no auth: ${JSON.stringify(anon)}`);
});
await check('unix socket', async () => {
  if (!SOCKET) return note('(REDIS_SOCKET unset: unix socket check skipped)');
  const s = createClient({ socket: { path: SOCKET }, username: USER, password: PASS });
  s.on('error', () => {});
  await s.connect();
  await s.set(k('sock'), 'via-socket');
  expect((await client.get(k('sock'))) === 'via-socket', 'value set over the socket not seen over TCP');
  s.destroy();
});
await check('cleanup', async () => {
  expect((await deleteAll(client)).length === 0, 'keys left after cleanup');
  client.destroy();
});
console.log('node-redis: all checks passed');
