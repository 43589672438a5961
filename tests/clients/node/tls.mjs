// node-redis (`redis` on npm) over TLS with a client certificate, for a server with
// tls-auth-clients yes: HELLO 3 (its default) and commands over rediss://, a 1 MiB value, and
// the connections that must fail (no client certificate; a server certificate from a CA the
// client does not trust). Run by tests/integration/tls_client_test.py, which sets
//   REDIS_URL           rediss://127.0.0.1:<tls-port>/0
//   REDIS_TLS_CA        the CA that signed the server's and the client's certificates
//   REDIS_TLS_CERT/KEY  the client certificate and its key
//   REDIS_TLS_OTHER_CA  a CA that signed neither
import { createClient, RESP_TYPES } from 'redis';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { URL_, prefix, expect, check, note, onCleanup, version, autoPipelined200 } from './lib.mjs';

const read = (name) => readFileSync(process.env[name]);
const ca = read('REDIS_TLS_CA');
const cert = read('REDIS_TLS_CERT');
const key = read('REDIS_TLS_KEY');
const otherCa = read('REDIS_TLS_OTHER_CA');

const P = prefix('nodetls');
const k = (name) => P + name;
const client = createClient({ url: URL_, name: 'ct-node-tls', socket: { tls: true, ca, cert, key } });
client.on('error', (e) => note(`client error event: ${e.message}`));
const bin = client.withTypeMapping({ [RESP_TYPES.BLOB_STRING]: Buffer });
onCleanup(async () => {
  const keys = await client.keys(P + '*');
  if (keys.length) await client.del(keys);
  client.destroy();
});

// A client that must not get through: no reconnect, its error surfaced by connect() or by
// the first command (under TLS 1.3 the server's verdict on the client certificate arrives
// after the client's handshake is done).
async function refused(socket) {
  const c = createClient({ url: URL_, socket: { tls: true, reconnectStrategy: false, connectTimeout: 5000, ...socket } });
  c.on('error', () => {});
  try {
    await c.connect();
    await c.ping();
  } catch (e) {
    return e.message || String(e);
  } finally {
    c.destroy();
  }
  return null;
}

await check(`connect over TLS + ping (node-redis ${version('redis')})`, async () => {
  await client.connect();
  expect((await client.ping()) === 'PONG', 'PING did not answer PONG');
});
await check('set/get', async () => {
  expect((await client.set(k('s'), 'hello')) === 'OK', 'SET not OK');
  expect((await client.get(k('s'))) === 'hello', 'GET returned wrong value');
  expect((await client.get(k('missing'))) === null, 'GET of a missing key is not null');
});
await check('auto-pipelined 200 commands (Promise.all)', () => autoPipelined200(client, k));
await check('1 MiB value', async () => {
  const val = randomBytes(1 << 20);
  expect((await bin.set(k('big'), val)) === 'OK', 'SET of 1 MiB not OK');
  const got = await bin.get(k('big'));
  expect(Buffer.isBuffer(got) && got.equals(val), `read back ${got?.length} bytes, not the ones sent`);
});
await check('refused without a client certificate', async () => {
  const why = await refused({ ca });
  expect(why, 'a client without a certificate was served');
  note(`refused: ${JSON.stringify(why)}`);
});
await check('server certificate from an untrusted CA rejected', async () => {
  const why = await refused({ ca: otherCa, cert, key });
  expect(why, 'a client that does not trust the server certificate connected');
  note(`rejected: ${JSON.stringify(why)}`);
});
await check('cleanup', async () => {
  const keys = await client.keys(P + '*');
  if (keys.length) await client.del(keys);
  expect((await client.keys(P + '*')).length === 0, 'keys left after cleanup');
  client.destroy();
});
console.log('node-redis TLS: all checks passed');
