<?php
// Client-library checks with Debian's php-redis (phpredis) under php-cli.
// Target: REDIS_URL (redis://[[user]:pass@]host:port/db), optional REDIS_SOCKET=/path.
// Prints one line per check; exits 1 on the first failed assertion.
// phpredis takes no URL, so the URL is split here the way a PHP framework would.

$url = getenv('REDIS_URL') ?: 'redis://127.0.0.1:6379/0';
$socket = getenv('REDIS_SOCKET') ?: null;
$u = parse_url($url);
$host = $u['host'] ?? '127.0.0.1';
$port = $u['port'] ?? 6379;
$user = isset($u['user']) && $u['user'] !== '' ? urldecode($u['user']) : null;
$pass = isset($u['pass']) ? urldecode($u['pass']) : null;
$db = (int) trim($u['path'] ?? '/0', '/');
$P = 'ct:php:' . bin2hex(random_bytes(6)) . ':';
const INT_ERR = 'ERR value is not an integer or out of range';

function k($name) { global $P; return $P . $name; }
function expect($cond, $what) { if (!$cond) throw new Exception($what); }
function cleanup() {
    global $r, $P;
    try { $keys = $r->keys($P . '*'); if ($keys) $r->del($keys); } catch (Throwable $e) {}
}
function check($name, $fn) {
    try { $fn(); } catch (Throwable $e) {
        echo "FAIL $name: " . get_class($e) . ': ' . $e->getMessage() . "\n";
        cleanup();
        exit(1);
    }
    echo "ok   $name\n";
}
// AUTH as the application does: [user, pass] for an ACL user, pass alone for requirepass.
function login($redis, $user, $pass) {
    if ($pass === null) return true;
    return $redis->auth($user !== null ? [$user, $pass] : $pass);
}

$r = new Redis();
check('connect+auth+ping (phpredis ' . phpversion('redis') . ')', function () use ($host, $port, $user, $pass) {
    global $r;
    expect($r->connect($host, $port, 5.0), 'connect failed');
    expect(login($r, $user, $pass) === true, 'AUTH failed: ' . $r->getLastError());
    $pong = $r->ping();
    expect($pong === true || $pong === '+PONG', 'PING answered ' . var_export($pong, true));
});
check('client setname', function () {
    global $r;
    expect($r->client('setname', 'ct-php') === true, 'CLIENT SETNAME failed: ' . $r->getLastError());
});
check('select db from url', function () use ($db) {
    global $r;
    expect($r->select($db) === true, 'SELECT failed: ' . $r->getLastError());
});
check('set/get', function () {
    global $r;
    expect($r->set(k('s'), 'hello') === true, 'SET not OK');
    expect($r->get(k('s')) === 'hello', 'GET returned wrong value');
    expect($r->get(k('missing')) === false, 'GET of a missing key is not false');
});
check('expire/ttl', function () {
    global $r;
    $r->set(k('ex'), 'v', ['ex' => 100]);
    $ttl = $r->ttl(k('ex'));
    expect($ttl > 0 && $ttl <= 100, "TTL after SET EX 100 is $ttl");
    $r->set(k('e2'), 'v');
    expect($r->ttl(k('e2')) === -1, 'TTL without expiry is not -1');
    expect($r->expire(k('e2'), 50) === true, 'EXPIRE did not return true');
    $ttl = $r->ttl(k('e2'));
    expect($ttl > 0 && $ttl <= 50, "TTL after EXPIRE 50 is $ttl");
    expect($r->ttl(k('missing')) === -2, 'TTL of a missing key is not -2');
});
check('mset/mget', function () {
    global $r;
    expect($r->mset([k('m1') => 'a', k('m2') => 'b', k('m3') => 'c']) === true, 'MSET not OK');
    $got = $r->mget([k('m1'), k('missing'), k('m2'), k('m3')]);
    expect($got === ['a', false, 'b', 'c'], 'MGET returned ' . json_encode($got));
});
check('incr/incrby', function () {
    global $r;
    expect($r->incr(k('n')) === 1, 'INCR of a new key is not 1');
    expect($r->incrBy(k('n'), 41) === 42, 'INCRBY 41 is not 42');
    expect($r->get(k('n')) === '42', "GET after INCR is not '42'");
});
check('incr non-integer error', function () {
    global $r;
    $r->set(k('notint'), 'abc');
    $r->clearLastError();
    expect($r->incr(k('notint')) === false, 'INCR on a non-integer did not return false');
    // phpredis 5.3.7 leaves a trailing NUL byte on getLastError(): compare the text before it.
    $err = $r->getLastError();
    expect(rtrim($err, "\0") === INT_ERR, 'getLastError() is ' . var_export($err, true));
    echo '     surfaced as false + getLastError() ' . json_encode($err) . "\n";
    expect($r->ping() !== false, 'connection unusable after an error reply');
});
check('pipeline 201 commands', function () {
    global $r;
    $p = $r->pipeline();
    for ($i = 0; $i < 100; $i++) $p->set(k("p$i"), (string) $i);
    $p->incr(k('notint'));
    for ($i = 0; $i < 100; $i++) $p->get(k("p$i"));
    $res = $p->exec();
    expect(count($res) === 201, 'pipeline returned ' . count($res) . ' replies');
    expect(array_slice($res, 0, 100) === array_fill(0, 100, true), 'pipelined SETs not all OK');
    expect($res[100] === false, 'pipelined INCR error is ' . var_export($res[100], true));
    expect(array_slice($res, 101) === array_map('strval', range(0, 99)), 'pipelined GETs wrong');
});
check('binary-safe key and value', function () {
    global $r;
    $val = str_repeat(implode('', array_map('chr', range(0, 255))), 4) . "\r\n\0end";
    $key = k("bin\0\r\n\xff");
    $r->set($key, $val);
    expect($r->get($key) === $val, 'binary value not byte-exact');
    expect($r->strlen($key) === strlen($val), 'STRLEN of binary value wrong');
});
foreach ([1 << 20 => '1 MiB', 8 << 20 => '8 MiB'] as $size => $label) {
    check("$label value", function () use ($size) {
        global $r;
        $val = random_bytes($size);
        expect($r->set(k("big$size"), $val) === true, "SET of $size bytes not OK");
        $got = $r->get(k("big$size"));
        expect(is_string($got) && strlen($got) === $size, 'read back ' . strlen((string) $got) . ' bytes');
        expect($got === $val, "$size-byte value not byte-exact");
    });
}
check('del/exists', function () {
    global $r;
    $n = $r->exists(k('s'), k('m1'), k('missing'));
    expect($n === 2, "EXISTS counted " . var_export($n, true));
    expect($r->del(k('s'), k('m1'), k('missing')) === 2, 'DEL did not count 2');
    expect($r->exists(k('s'), k('m1')) === 0, 'keys still exist after DEL');
});
check('wrong password / no auth rejected', function () use ($host, $port, $user, $pass) {
    if ($pass === null) { echo "     (URL has no password: wrong-password check skipped)\n"; return; }
    $bad = new Redis();
    $bad->connect($host, $port, 5.0);
    try {
        $ok = login($bad, $user, $pass . '-wrong');
        $err = $bad->getLastError();
    } catch (RedisException $e) { $ok = false; $err = $e->getMessage(); }
    expect($ok === false, 'AUTH with a wrong password was accepted');
    expect(strpos((string) $err, 'WRONGPASS') === 0 || strpos((string) $err, 'invalid') !== false,
           'error text is ' . var_export($err, true));
    echo '     wrong password: ' . json_encode($err) . "\n";
    $bad->close();
    $anon = new Redis();
    $anon->connect($host, $port, 5.0);
    try {
        $got = $anon->get(k('s'));
        $err = $anon->getLastError();
    } catch (RedisException $e) { $got = false; $err = $e->getMessage(); }
    expect($got === false && strpos((string) $err, 'NOAUTH') !== false, 'no-auth error is ' . var_export($err, true));
    echo '     no auth: ' . json_encode($err) . "\n";
    $anon->close();
});
check('unix socket', function () use ($socket, $user, $pass) {
    global $r;
    if (!$socket) { echo "     (REDIS_SOCKET unset: unix socket check skipped)\n"; return; }
    $s = new Redis();
    expect($s->connect($socket), "connect to $socket failed");
    expect(login($s, $user, $pass) === true, 'AUTH over the socket failed');
    $s->set(k('sock'), 'via-socket');
    expect($r->get(k('sock')) === 'via-socket', 'value set over the socket not seen over TCP');
    $s->close();
});
check('cleanup', function () {
    global $r, $P;
    $keys = $r->keys($P . '*');
    if ($keys) $r->del($keys);
    expect($r->keys($P . '*') === [], 'keys left after cleanup');
});
echo "php-redis: all checks passed\n";
