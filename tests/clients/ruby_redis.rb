#!/usr/bin/ruby
# Client-library checks with Debian's ruby-redis (redis-rb).
# Target: REDIS_URL (redis://[[user]:pass@]host:port/db), optional REDIS_SOCKET=/path.
# Prints one line per check; exits 1 on the first failed assertion.
require "redis"
require "securerandom"
require "uri"

URL = ENV.fetch("REDIS_URL", "redis://127.0.0.1:6379/0")
SOCKET = ENV["REDIS_SOCKET"]
P = "ct:rb:#{SecureRandom.hex(6)}:"
INT_ERR = "ERR value is not an integer or out of range"
U = URI.parse(URL)
USER = U.user && !U.user.empty? ? URI.decode_www_form_component(U.user) : nil
PASS = U.password ? URI.decode_www_form_component(U.password) : nil

class Failed < StandardError; end

def k(name) = P + name
def expect(cond, what) = (raise Failed, what unless cond)

def cleanup
  keys = $r.keys(P + "*")
  $r.del(*keys) unless keys.empty?
rescue StandardError
  nil
end

def check(name)
  yield
  puts "ok   #{name}"
rescue StandardError => e
  puts "FAIL #{name}: #{e.class}: #{e.message}"
  cleanup
  exit 1
end

# `id:` is redis-rb 4's connection name option (sent as CLIENT SETNAME).
$r = Redis.new(url: URL, id: "ct-ruby", timeout: 10)

check("connect+ping (redis-rb #{Redis::VERSION})") { expect($r.ping == "PONG", "PING did not answer PONG") }
check("select db from url") { expect($r.select(U.path.delete("/").then { |d| d.empty? ? 0 : d.to_i }) == "OK", "SELECT not OK") }
check("set/get") do
  expect($r.set(k("s"), "hello") == "OK", "SET not OK")
  expect($r.get(k("s")) == "hello", "GET returned wrong value")
  expect($r.get(k("missing")).nil?, "GET of a missing key is not nil")
end
check("expire/ttl") do
  $r.set(k("ex"), "v", ex: 100)
  ttl = $r.ttl(k("ex"))
  expect(ttl > 0 && ttl <= 100, "TTL after SET EX 100 is #{ttl}")
  $r.set(k("e2"), "v")
  expect($r.ttl(k("e2")) == -1, "TTL without expiry is not -1")
  expect($r.expire(k("e2"), 50) == true, "EXPIRE did not return true")
  expect((1..50).cover?($r.ttl(k("e2"))), "TTL after EXPIRE 50 out of range")
  expect($r.ttl(k("missing")) == -2, "TTL of a missing key is not -2")
end
check("mset/mget") do
  expect($r.mset(k("m1"), "a", k("m2"), "b", k("m3"), "c") == "OK", "MSET not OK")
  got = $r.mget(k("m1"), k("missing"), k("m2"), k("m3"))
  expect(got == ["a", nil, "b", "c"], "MGET returned #{got.inspect}")
end
check("incr/incrby") do
  expect($r.incr(k("n")) == 1, "INCR of a new key is not 1")
  expect($r.incrby(k("n"), 41) == 42, "INCRBY 41 is not 42")
  expect($r.get(k("n")) == "42", "GET after INCR is not '42'")
end
check("incr non-integer error") do
  $r.set(k("notint"), "abc")
  begin
    $r.incr(k("notint"))
    raise Failed, "INCR on a non-integer raised nothing"
  rescue Redis::CommandError => e
    expect(e.message == INT_ERR, "error text is #{e.message.inspect}")
    puts "     surfaced as #{e.class}(#{e.message.inspect})"
  end
  expect($r.ping == "PONG", "connection unusable after an error reply")
end
check("pipeline 200 commands, then one with an error") do
  res = $r.pipelined do |p|
    100.times { |i| p.set(k("p#{i}"), i.to_s) }
    100.times { |i| p.get(k("p#{i}")) }
  end
  expect(res == ["OK"] * 100 + (0...100).map(&:to_s), "pipelined SET/GET replies wrong")
  begin
    $r.pipelined do |p|
      p.set(k("pe"), "before")
      p.incr(k("notint"))
      p.set(k("pe"), "after")
    end
    raise Failed, "pipeline with an error reply raised nothing"
  rescue Redis::CommandError => e
    # redis-rb 4 raises the pipeline's first error once every reply has been read.
    expect(e.message == INT_ERR, "pipelined INCR error is #{e.message.inspect}")
  end
  expect($r.get(k("pe")) == "after", "commands after the pipelined error not applied")
end
check("binary-safe key and value") do
  val = ((0..255).map(&:chr).join * 4 + "\r\n\0end").b
  key = k("bin\0\r\n\xff".b)
  $r.set(key, val)
  expect($r.get(key).b == val, "binary value not byte-exact")
  expect($r.strlen(key) == val.bytesize, "STRLEN of binary value wrong")
end
{ 1 << 20 => "1 MiB", 8 << 20 => "8 MiB" }.each do |size, label|
  check("#{label} value") do
    val = SecureRandom.random_bytes(size)
    expect($r.set(k("big#{size}"), val) == "OK", "SET of #{size} bytes not OK")
    got = $r.get(k("big#{size}"))
    expect(got && got.bytesize == size, "read back #{got&.bytesize} bytes")
    expect(got.b == val, "#{size}-byte value not byte-exact")
  end
end
check("del/exists") do
  n = $r.exists(k("s"), k("m1"), k("missing"))
  expect(n == 2, "EXISTS counted #{n.inspect}")
  expect($r.del(k("s"), k("m1"), k("missing")) == 2, "DEL did not count 2")
  expect($r.exists(k("s"), k("m1")) == 0, "keys still exist after DEL")
end
check("wrong password / no auth rejected") do
  if PASS.nil?
    puts "     (URL has no password: wrong-password check skipped)"
    next
  end
  # An explicit url: redis-rb would otherwise fall back to ENV["REDIS_URL"] and its credentials.
  plain = "redis://#{U.host}:#{U.port}/0"
  bad = Redis.new(url: plain, username: USER, password: PASS + "-wrong", timeout: 5)
  begin
    bad.ping
    raise Failed, "connection with a wrong password was accepted"
  rescue Redis::BaseError => e
    raise if e.is_a?(Failed)
    expect(e.message.start_with?("WRONGPASS") || e.message.include?("invalid"), "error text is #{e.message.inspect}")
    puts "     wrong password: #{e.class}(#{e.message.inspect})"
  ensure
    bad.close
  end
  anon = Redis.new(url: plain, timeout: 5)
  begin
    anon.get(k("s"))
    raise Failed, "command without AUTH was accepted"
  rescue Redis::BaseError => e
    expect(e.message.start_with?("NOAUTH"), "error text is #{e.message.inspect}")
    puts "     no auth: #{e.class}(#{e.message.inspect})"
  ensure
    anon.close
  end
end
check("unix socket") do
  if SOCKET.nil? || SOCKET.empty?
    puts "     (REDIS_SOCKET unset: unix socket check skipped)"
    next
  end
  s = Redis.new(path: SOCKET, username: USER, password: PASS)
  s.set(k("sock"), "via-socket")
  expect($r.get(k("sock")) == "via-socket", "value set over the socket not seen over TCP")
  s.close
end
check("cleanup") do
  keys = $r.keys(P + "*")
  $r.del(*keys) unless keys.empty?
  expect($r.keys(P + "*").empty?, "keys left after cleanup")
end
puts "ruby-redis: all checks passed"
