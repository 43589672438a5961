// Shared helpers for the node client checks: target from the environment, a random key
// prefix, one line per check, exit 1 on the first failure (after deleting the prefix's keys).
import { randomBytes } from 'node:crypto';

export const URL_ = process.env.REDIS_URL || 'redis://127.0.0.1:6379/0';
export const SOCKET = process.env.REDIS_SOCKET || '';
export const INT_ERR = 'ERR value is not an integer or out of range';
export const target = new URL(URL_);
export const USER = target.username ? decodeURIComponent(target.username) : undefined;
export const PASS = target.password ? decodeURIComponent(target.password) : undefined;
// The same host and port without credentials, for the rejected-login checks.
export const PLAIN_URL = `redis://${target.hostname}:${target.port || 6379}/0`;

export function prefix(lib) {
  return `ct:${lib}:${randomBytes(6).toString('hex')}:`;
}

export class Failed extends Error {}
export function expect(cond, what) {
  if (!cond) throw new Failed(what);
}

let cleanupFn = async () => {};
export function onCleanup(fn) { cleanupFn = fn; }

export async function check(name, fn) {
  try {
    await fn();
  } catch (e) {
    console.log(`FAIL ${name}: ${e?.constructor?.name}: ${e?.message ?? e}`);
    try { await cleanupFn(); } catch { /* best effort */ }
    process.exit(1);
  }
  console.log(`ok   ${name}`);
}

export const note = (s) => console.log(`     ${s}`);
export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
export const binaryValue = () =>
  Buffer.concat([Buffer.from([...Array(256).keys()]), Buffer.from([...Array(256).keys()]), Buffer.from('\r\n\0end')]);

// The installed version of a package (read from node_modules: not every package exports it).
import { readFileSync } from 'node:fs';
export const version = (name) =>
  JSON.parse(readFileSync(new URL(`./node_modules/${name}/package.json`, import.meta.url))).version;

// 100 SETs and 100 GETs issued at once, which node-redis pipelines by itself: every reply
// comes back, in order.
export async function autoPipelined200(client, k) {
  const sets = Array.from({ length: 100 }, (_, i) => client.set(k(`p${i}`), String(i)));
  const gets = Array.from({ length: 100 }, (_, i) => client.get(k(`p${i}`)));
  const res = await Promise.all([...sets, ...gets]);
  expect(res.slice(0, 100).every((r) => r === 'OK'), 'SETs not all OK');
  expect(res.slice(100).every((r, i) => r === String(i)), 'GETs wrong');
}
