// Client-library checks with ioredis, application-style options (connectionName only).
// ioredis 6 opens with HELLO 3 (AUTH inside it), falling back to RESP2 when HELLO is refused.
import Redis from 'ioredis';
import { randomBytes } from 'node:crypto';
import { URL_, SOCKET, INT_ERR, USER, PASS, PLAIN_URL, prefix, expect, check, note, onCleanup, version, binaryValue } from './lib.mjs';

const P = prefix('ioredis');
const k = (name) => P + name;
const redis = new Redis(URL_, { connectionName: 'ct-ioredis' });
redis.on('error', (e) => note(`client error event: ${e.message}`));

async function deleteAll() {
  const keys = await redis.keysBuffer(P + '*'); // Buffers: the binary key is not valid UTF-8
  if (keys.length) await redis.del(...keys);
  return redis.keys(P + '*');
}
onCleanup(async () => { await deleteAll(); redis.disconnect(); });

// A client that must fail to log in: no retries. ioredis emits the server's reply as an
// 'error' event and rejects connect() with "Connection is closed."; the event is returned.
async function rejectedLogin(url, options) {
  const c = new Redis(url, { ...options, lazyConnect: true, retryStrategy: () => null, maxRetriesPerRequest: 0 });
  const events = [];
  c.on('error', (e) => events.push(e.message));
  try {
    await c.connect();
    await c.get(k('s'));
  } catch (e) {
    return events[0] ?? e.message;
  } finally {
    c.disconnect();
  }
  return null;
}

await check(`connect+ping (ioredis ${version('ioredis')})`, async () => {
  expect((await redis.ping()) === 'PONG', 'PING did not answer PONG');
});
await check('select db from url', async () => {
  expect((await redis.select(Number(new URL(URL_).pathname.slice(1) || 0))) === 'OK', 'SELECT not OK');
});
await check('set/get', async () => {
  expect((await redis.set(k('s'), 'hello')) === 'OK', 'SET not OK');
  expect((await redis.get(k('s'))) === 'hello', 'GET returned wrong value');
  expect((await redis.get(k('missing'))) === null, 'GET of a missing key is not null');
});
await check('expire/ttl', async () => {
  await redis.set(k('ex'), 'v', 'EX', 100);
  const ttl = await redis.ttl(k('ex'));
  expect(ttl > 0 && ttl <= 100, `TTL after SET EX 100 is ${ttl}`);
  await redis.set(k('e2'), 'v');
  expect((await redis.ttl(k('e2'))) === -1, 'TTL without expiry is not -1');
  expect((await redis.expire(k('e2'), 50)) === 1, 'EXPIRE did not return 1');
  const t2 = await redis.ttl(k('e2'));
  expect(t2 > 0 && t2 <= 50, `TTL after EXPIRE 50 is ${t2}`);
  expect((await redis.ttl(k('missing'))) === -2, 'TTL of a missing key is not -2');
});
await check('mset/mget', async () => {
  expect((await redis.mset({ [k('m1')]: 'a', [k('m2')]: 'b', [k('m3')]: 'c' })) === 'OK', 'MSET not OK');
  const got = await redis.mget(k('m1'), k('missing'), k('m2'), k('m3'));
  expect(JSON.stringify(got) === JSON.stringify(['a', null, 'b', 'c']), `MGET returned ${JSON.stringify(got)}`);
});
await check('incr/incrby', async () => {
  expect((await redis.incr(k('n'))) === 1, 'INCR of a new key is not 1');
  expect((await redis.incrby(k('n'), 41)) === 42, 'INCRBY 41 is not 42');
  expect((await redis.get(k('n'))) === '42', "GET after INCR is not '42'");
});
await check('incr non-integer error', async () => {
  await redis.set(k('notint'), 'abc');
  const err = await redis.incr(k('notint')).then(() => null, (e) => e);
  expect(err, 'INCR on a non-integer raised nothing');
  expect(err.message === INT_ERR, `error text is ${JSON.stringify(err.message)}`);
  note(`surfaced as ${err.constructor.name}(${JSON.stringify(err.message)})`);
  expect((await redis.ping()) === 'PONG', 'connection unusable after an error reply');
});
await check('pipeline 201 commands', async () => {
  const p = redis.pipeline();
  for (let i = 0; i < 100; i++) p.set(k(`p${i}`), String(i));
  p.incr(k('notint'));
  for (let i = 0; i < 100; i++) p.get(k(`p${i}`));
  const res = await p.exec(); // [[err, reply], ...]
  expect(res.length === 201, `pipeline returned ${res.length} replies`);
  expect(res.slice(0, 100).every(([e, r]) => !e && r === 'OK'), 'pipelined SETs not all OK');
  expect(res[100][0]?.message === INT_ERR, `pipelined INCR error is ${res[100][0]}`);
  expect(res.slice(101).every(([e, r], i) => !e && r === String(i)), 'pipelined GETs wrong');
});
await check('binary-safe key and value (getBuffer)', async () => {
  const val = binaryValue();
  const key = Buffer.concat([Buffer.from(k('bin')), Buffer.from([0, 13, 10, 255])]);
  await redis.set(key, val);
  const got = await redis.getBuffer(key);
  expect(got.equals(val), 'binary value not byte-exact');
  expect((await redis.strlen(key)) === val.length, 'STRLEN of binary value wrong');
});
for (const [size, label] of [[1 << 20, '1 MiB'], [8 << 20, '8 MiB']]) {
  await check(`${label} value`, async () => {
    const val = randomBytes(size);
    expect((await redis.set(k(`big${size}`), val)) === 'OK', `SET of ${size} bytes not OK`);
    const got = await redis.getBuffer(k(`big${size}`));
    expect(got && got.length === size, `read back ${got?.length} bytes`);
    expect(got.equals(val), `${size}-byte value not byte-exact`);
  });
}
await check('hashes and sets', async () => {
  expect((await redis.hset(k('hash1'), { a: '1', b: 'two' })) === 2, 'HSET of two new fields is not 2');
  const all = await redis.hgetall(k('hash1'));
  expect(JSON.stringify(all) === JSON.stringify({ a: '1', b: 'two' }), `HGETALL returned ${JSON.stringify(all)}`);
  expect((await redis.hincrby(k('hash1'), 'a', 5)) === 6, 'HINCRBY 5 of 1 is not 6');
  expect((await redis.hincrbyfloat(k('hash1'), 'f', 1.5)) === '1.5', 'HINCRBYFLOAT of a new field is not 1.5');
  expect((await redis.sadd(k('set1'), 'x', 'y', '3')) === 3, 'SADD of three new members is not 3');
  const members = (await redis.smembers(k('set1'))).sort();
  expect(JSON.stringify(members) === JSON.stringify(['3', 'x', 'y']), `SMEMBERS returned ${JSON.stringify(members)}`);
  await redis.sadd(k('set2'), 'y', 'z');
  const inter = await redis.sinter(k('set1'), k('set2'));
  expect(JSON.stringify(inter) === JSON.stringify(['y']), `SINTER returned ${JSON.stringify(inter)}`);
  expect((await redis.type(k('hash1'))) === 'hash', 'TYPE of a hash is not hash');
  const err = await redis.get(k('hash1')).then(() => null, (e) => e);
  expect(err && err.message.startsWith('WRONGTYPE'), 'GET of a hash is not WRONGTYPE');
});
await check('del/exists', async () => {
  const n = await redis.exists(k('s'), k('m1'), k('missing'));
  expect(n === 2, `EXISTS counted ${n}`);
  expect((await redis.del(k('s'), k('m1'), k('missing'))) === 2, 'DEL did not count 2');
  expect((await redis.exists(k('s'), k('m1'))) === 0, 'keys still exist after DEL');
});
await check('wrong password / no auth rejected', async () => {
  if (PASS === undefined) return note('(URL has no password: wrong-password check skipped)');
  const bad = await rejectedLogin(PLAIN_URL, { username: USER, password: PASS + '-wrong' });
  expect(bad && (bad.startsWith('WRONGPASS') || bad.includes('invalid')), `wrong password: ${bad}`);
  note(`wrong password: ${JSON.stringify(bad)}`);
  const anon = await rejectedLogin(PLAIN_URL, {});
  expect(anon && anon.startsWith('NOAUTH'), `no auth: ${anon}`);
  note(`no auth: ${JSON.stringify(anon)}`);
});
await check('unix socket', async () => {
  if (!SOCKET) return note('(REDIS_SOCKET unset: unix socket check skipped)');
  const s = new Redis({ path: SOCKET, username: USER, password: PASS });
  s.on('error', () => {});
  await s.set(k('sock'), 'via-socket');
  expect((await redis.get(k('sock'))) === 'via-socket', 'value set over the socket not seen over TCP');
  s.disconnect();
});
await check('cleanup', async () => {
  expect((await deleteAll()).length === 0, 'keys left after cleanup');
  redis.disconnect();
});
console.log('ioredis: all checks passed');
