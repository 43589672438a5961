#!/usr/bin/python3
"""Client-library checks with Debian's python3-redis (redis-py).

Target: REDIS_URL (redis://[[user]:pass@]host:port/db), optional REDIS_SOCKET=/path.
Prints one line per check; exits 1 on the first failed assertion.
Run with /usr/bin/python3: the Debian package installs for the system interpreter.
"""
import os
import sys
import urllib.parse

import redis

URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
SOCKET = os.environ.get("REDIS_SOCKET")
P = ("ct:py:%s:" % os.urandom(6).hex()).encode()
# redis-py drops the "ERR " code from the message of a plain ResponseError.
INT_ERR = "value is not an integer or out of range"


def k(name):
    return P + (name.encode() if isinstance(name, str) else name)


class Failed(Exception):
    pass


def expect(cond, what):
    if not cond:
        raise Failed(what)


def check(name, fn):
    try:
        fn()
    except Exception as e:  # a failed assertion or an unexpected library error
        print("FAIL %s: %s: %s" % (name, type(e).__name__, e))
        cleanup()
        sys.exit(1)
    print("ok   " + name)


r = redis.Redis.from_url(URL, client_name="ct-python")
u = urllib.parse.urlparse(URL)
USER = urllib.parse.unquote(u.username) if u.username else None
PASS = urllib.parse.unquote(u.password) if u.password else None


def cleanup():
    try:
        r.delete(*[x for x in r.keys(P + b"*")] or [k("none")])
    except Exception:
        pass


def t_ping():
    expect(r.ping() is True, "PING did not answer PONG")


def t_select():
    expect(r.execute_command("SELECT", u.path.strip("/") or "0") in (True, b"OK"), "SELECT not OK")


def t_set_get():
    expect(r.set(k("s"), "hello") is True, "SET not OK")
    expect(r.get(k("s")) == b"hello", "GET returned wrong value")
    expect(r.get(k("missing")) is None, "GET of a missing key is not None")


def t_expire_ttl():
    r.set(k("ex"), "v", ex=100)
    ttl = r.ttl(k("ex"))
    expect(0 < ttl <= 100, "TTL after SET EX 100 is %r" % ttl)
    r.set(k("e2"), "v")
    expect(r.ttl(k("e2")) == -1, "TTL without expiry is not -1")
    expect(r.expire(k("e2"), 50) is True, "EXPIRE did not return true")
    expect(0 < r.ttl(k("e2")) <= 50, "TTL after EXPIRE 50 out of range")
    expect(r.ttl(k("missing")) == -2, "TTL of a missing key is not -2")


def t_mset_mget():
    expect(r.mset({k("m1"): "a", k("m2"): "b", k("m3"): "c"}) is True, "MSET not OK")
    got = r.mget([k("m1"), k("missing"), k("m2"), k("m3")])
    expect(got == [b"a", None, b"b", b"c"], "MGET returned %r" % got)


def t_incr():
    expect(r.incr(k("n")) == 1, "INCR of a new key is not 1")
    expect(r.incrby(k("n"), 41) == 42, "INCRBY 41 is not 42")
    expect(r.get(k("n")) == b"42", "GET after INCR is not '42'")


def t_int_error():
    r.set(k("notint"), "abc")
    try:
        r.incr(k("notint"))
    except redis.ResponseError as e:
        expect(INT_ERR in str(e), "error text is %r" % str(e))
        print("     surfaced as %s(%r)" % (type(e).__name__, str(e)))
    else:
        raise Failed("INCR on a non-integer raised nothing")
    expect(r.ping(), "connection unusable after an error reply")


def t_pipeline():
    p = r.pipeline(transaction=False)
    for i in range(100):
        p.set(k("p%d" % i), str(i))
    p.incr(k("notint"))
    for i in range(100):
        p.get(k("p%d" % i))
    res = p.execute(raise_on_error=False)
    expect(res[:100] == [True] * 100, "pipelined SETs not all OK")
    expect(isinstance(res[100], redis.ResponseError) and INT_ERR in str(res[100]),
           "pipelined INCR error is %r" % res[100])
    expect(res[101:] == [str(i).encode() for i in range(100)], "pipelined GETs wrong")


def t_binary():
    val = bytes(range(256)) * 4 + b"\r\n\x00end"
    key = k(b"bin\x00\r\n\xff")
    r.set(key, val)
    expect(r.get(key) == val, "binary value not byte-exact")
    expect(r.strlen(key) == len(val), "STRLEN of binary value wrong")


def big(size):
    def t():
        val = os.urandom(size)
        expect(r.set(k("big%d" % size), val) is True, "SET of %d bytes not OK" % size)
        got = r.get(k("big%d" % size))
        expect(got is not None and len(got) == size, "read back %s bytes" % (got and len(got)))
        expect(got == val, "%d-byte value not byte-exact" % size)
    return t


def t_del_exists():
    n = r.exists(k("s"), k("m1"), k("missing"))
    expect(n == 2, "EXISTS counted %r" % n)
    expect(r.delete(k("s"), k("m1"), k("missing")) == 2, "DEL did not count 2")
    expect(r.exists(k("s"), k("m1")) == 0, "keys still exist after DEL")


def t_wrong_password():
    if PASS is None:
        print("     (URL has no password: wrong-password check skipped)")
        return
    bad = redis.Redis(host=u.hostname, port=u.port or 6379, username=USER,
                      password=PASS + "-wrong", socket_timeout=5)
    try:
        bad.ping()
    except redis.RedisError as e:  # WRONGPASS is a ResponseError in 4.3, NOAUTH an AuthenticationError
        expect("WRONGPASS" in str(e) or "invalid" in str(e), "error text is %r" % str(e))
        print("     wrong password: %s(%r)" % (type(e).__name__, str(e)))
    else:
        raise Failed("connection with a wrong password was accepted")
    finally:
        bad.close()
    anon = redis.Redis(host=u.hostname, port=u.port or 6379, socket_timeout=5)
    try:
        anon.get(k("s"))
    except redis.RedisError as e:  # WRONGPASS is a ResponseError in 4.3, NOAUTH an AuthenticationError
        expect("Authentication required" in str(e), "error text is %r" % str(e))  # NOAUTH code is dropped
        print("     no auth: %s(%r)" % (type(e).__name__, str(e)))
    else:
        raise Failed("command without AUTH was accepted")
    finally:
        anon.close()


def t_hash_set():
    h, s, s2 = k("hash1"), k("set1"), k("set2")
    expect(r.hset(h, mapping={"a": "1", "b": "two"}) == 2, "HSET of two new fields is not 2")
    expect(r.hgetall(h) == {b"a": b"1", b"b": b"two"}, "HGETALL returned %r" % r.hgetall(h))
    expect(r.hincrby(h, "a", 5) == 6, "HINCRBY 5 of 1 is not 6")
    expect(r.hincrbyfloat(h, "f", 1.5) == 1.5, "HINCRBYFLOAT of a new field is not 1.5")
    expect(r.hmget(h, "a", "zz") == [b"6", None], "HMGET returned %r" % r.hmget(h, "a", "zz"))
    expect(r.hdel(h, "b", "zz") == 1, "HDEL of one present field is not 1")
    expect(r.sadd(s, "x", "y", 3) == 3, "SADD of three new members is not 3")
    expect(r.smembers(s) == {b"x", b"y", b"3"}, "SMEMBERS returned %r" % r.smembers(s))
    expect(r.sismember(s, "x") and not r.sismember(s, "nope"), "SISMEMBER")
    r.sadd(s2, "y", "z")
    expect(r.sinter(s, s2) == {b"y"}, "SINTER returned %r" % r.sinter(s, s2))
    expect(r.type(h) == b"hash" and r.type(s) == b"set", "TYPE of a hash or a set")
    try:
        r.get(h)
    except redis.ResponseError as e:
        expect("WRONGTYPE" in str(e), "error text is %r" % str(e))
    else:
        raise Failed("GET of a hash raised nothing")


def t_unix_socket():
    if not SOCKET:
        print("     (REDIS_SOCKET unset: unix socket check skipped)")
        return
    s = redis.Redis(unix_socket_path=SOCKET, username=USER, password=PASS)
    s.set(k("sock"), "via-socket")
    expect(r.get(k("sock")) == b"via-socket", "value set over the socket not seen over TCP")
    s.close()


def t_cleanup():
    keys = r.keys(P + b"*")
    if keys:
        r.delete(*keys)
    expect(r.keys(P + b"*") == [], "keys left after cleanup")


check("connect+ping (%s)" % redis.__version__, t_ping)
check("select db from url", t_select)
check("set/get", t_set_get)
check("expire/ttl", t_expire_ttl)
check("mset/mget", t_mset_mget)
check("incr/incrby", t_incr)
check("incr non-integer error", t_int_error)
check("pipeline 201 commands", t_pipeline)
check("binary-safe key and value", t_binary)
check("1 MiB value", big(1 << 20))
check("8 MiB value", big(8 << 20))
check("del/exists", t_del_exists)
check("hashes and sets", t_hash_set)
check("wrong password / no auth rejected", t_wrong_password)
check("unix socket", t_unix_socket)
check("cleanup", t_cleanup)
print("python3-redis: all checks passed")
