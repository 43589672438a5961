#include "proxy/config_directives.h"

#include <arpa/inet.h>
#include <strings.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <climits>
#include <cstdlib>
#include <sstream>
#include <type_traits>

#include "proxy/upstream.h"

namespace ringside::proxy::config_internal {

namespace {

// What CONFIG GET shows for a secret that is set.
constexpr std::string_view kSecretShown = "(set)";

constexpr bool kRuntime = true;  // CONFIG SET may change it
constexpr bool kStartup = false;

constexpr Directive Bool(std::string_view name, Field field, std::string_view default_text,
                         bool runtime, std::string_view meaning) {
  return {name, Kind::kBool, field, default_text, runtime, meaning};
}
constexpr Directive Int(std::string_view name, Field field, std::string_view default_text,
                        bool runtime, int64_t min, int64_t max, std::string_view meaning) {
  return {name, Kind::kInt, field, default_text, runtime, meaning, min, max};
}
constexpr Directive Memory(std::string_view name, Field field, std::string_view default_text,
                           bool runtime, int64_t min, int64_t max, std::string_view meaning) {
  return {name, Kind::kMemory, field, default_text, runtime, meaning, min, max};
}
constexpr Directive String(std::string_view name, Field field, std::string_view default_text,
                           bool runtime, std::string_view meaning) {
  return {name, Kind::kString, field, default_text, runtime, meaning};
}
constexpr Directive Enum(std::string_view name, Field field, std::string_view default_text,
                         bool runtime, std::span<const std::string_view> words,
                         std::string_view meaning) {
  return {name, Kind::kEnum, field, default_text, runtime, meaning, 0, 0, words};
}

bool CheckBind(std::string_view value, std::string* why) {
  std::istringstream in{std::string(value)};
  std::string addr;
  int count = 0;
  while (in >> addr) {
    ++count;
    unsigned char buf[sizeof(in6_addr)];
    if (inet_pton(AF_INET, addr.c_str(), buf) != 1 && inet_pton(AF_INET6, addr.c_str(), buf) != 1) {
      *why = "'" + addr + "' is not a numeric IPv4 or IPv6 address";
      return false;
    }
  }
  if (count == 0) *why = "at least one address is needed";
  return count > 0;
}

bool CheckDaemonize(std::string_view value, std::string* why) {
  if (value == "no") return true;
  *why = "daemonize yes is not supported: ringside runs in the foreground (let systemd manage it)";
  return false;
}

bool CheckFileName(std::string_view value, std::string* why) {
  if (!value.empty() && value.find('/') == std::string_view::npos) return true;
  *why = "a file name is needed, not a path";
  return false;
}

bool CheckUpstream(std::string_view value, std::string* why) {
  UpstreamAddress address;
  if (value.empty() || ParseUpstreamAddress(value, &address)) return true;
  *why = "expected host:port or the path of a unix socket";
  return false;
}

bool IsDecimal(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (!std::isdigit(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

bool CheckSave(std::string_view value, std::string* why) {
  if (value.empty()) return true;
  // Tell a well-formed Redis save schedule apart from garbage, as Redis does.
  std::istringstream in{std::string(value)};
  std::string word;
  int count = 0;
  bool well_formed = true;
  while (in >> word) {
    well_formed = well_formed && IsDecimal(word);
    ++count;
  }
  if (!well_formed || count % 2 != 0) {
    *why = "Invalid save parameters";
  } else {
    *why = "ringside takes no RDB snapshots: only save \"\" is accepted";
  }
  return false;
}

bool CheckOctalPerm(std::string_view value, std::string* why) {
  if (!value.empty() && value.size() <= 4 &&
      value.find_first_not_of("01234567") == std::string_view::npos) {
    return true;
  }
  *why = "expected permission bits in octal, such as 700";
  return false;
}

bool CheckPowerOfTwo(std::string_view value, std::string* why) {
  const long long n = std::strtoll(std::string(value).c_str(), nullptr, 10);
  if (n > 0 && (n & (n - 1)) == 0) return true;
  *why = "argument must be a power of two";
  return false;
}

constexpr std::string_view kLogLevels[] = {"debug", "verbose", "notice", "warning"};
constexpr std::string_view kIoBackends[] = {"io_uring", "libevent", "auto"};
constexpr std::string_view kAppendFsync[] = {"everysec", "always", "no"};
constexpr std::string_view kUpstreamWritePolicies[] = {"async", "sync"};
constexpr std::string_view kPubsubDefaults[] = {"resetchannels", "allchannels"};
constexpr std::string_view kAuthModes[] = {"local", "upstream"};
constexpr std::string_view kTlsAuthClients[] = {"no", "yes", "optional"};
constexpr std::string_view kMaxmemoryPolicies[] = {
    "volatile-lru", "volatile-lfu", "volatile-random", "volatile-ttl",
    "allkeys-lru",  "allkeys-lfu",  "allkeys-random",  "noeviction"};
constexpr int64_t kIntMax = INT_MAX;
constexpr int64_t kMb = 1024 * 1024;

using S = ServerConfig;
constexpr Directive kDirectives[] = {
    String("bind", &S::bind, "127.0.0.1", kStartup,
           "Addresses to listen on: one or more numeric IPv4 or IPv6 addresses.")
        .Variadic()
        .Checked(CheckBind),
    Int("port", &S::port, "6380", kStartup, 0, 65535, "TCP port to accept clients on."),
    String("unixsocket", &S::unixsocket, "\"\"", kStartup,
           "Path of a unix socket to accept clients on as well (every thread serves it); "
           "empty listens on none. A file already there is replaced."),
    String("unixsocketperm", &S::unixsocketperm, "0", kStartup,
           "Permission bits of the unix socket, in octal (700, 770); 0 keeps what the umask "
           "gives.")
        .Checked(CheckOctalPerm),
    Bool("protected-mode", &S::protected_mode, "yes", kRuntime,
         "While the default user has no password, only clients on the loopback interface or "
         "the unix socket are served; others get a DENIED error."),
    Int("tls-port", &S::tls_port, "0", kStartup, 0, 65535,
        "TCP port to accept TLS clients on (every thread serves it, beside port and "
        "unixsocket); 0 listens on none."),
    String("tls-cert-file", &S::tls_cert_file, "\"\"", kRuntime,
           "PEM certificate (chain) shown to TLS clients. CONFIG SET reloads it (with the "
           "other tls- directives) for new connections."),
    String("tls-key-file", &S::tls_key_file, "\"\"", kRuntime, "PEM private key of tls-cert-file."),
    String("tls-key-file-pass", &S::tls_key_file_pass, "\"\"", kRuntime,
           "Passphrase of tls-key-file, when it is encrypted. CONFIG GET shows only whether "
           "one is set.")
        .Secret(),
    String("tls-ca-cert-file", &S::tls_ca_cert_file, "\"\"", kRuntime,
           "PEM bundle of the CAs a client certificate must chain to."),
    String("tls-ca-cert-dir", &S::tls_ca_cert_dir, "\"\"", kRuntime,
           "Directory of CA certificates (c_rehash layout), as well as or instead of "
           "tls-ca-cert-file."),
    String("tls-dh-params-file", &S::tls_dh_params_file, "\"\"", kRuntime,
           "PEM DH parameters for the DHE ciphers; empty uses OpenSSL's."),
    Enum("tls-auth-clients", &S::tls_auth_clients, "yes", kRuntime, kTlsAuthClients,
         "yes: a TLS client must show a certificate the CAs signed; optional: one it shows "
         "must verify; no: none is asked for."),
    String("tls-protocols", &S::tls_protocols, "\"\"", kRuntime,
           "TLS versions served, space-separated (TLSv1 TLSv1.1 TLSv1.2 TLSv1.3); empty: "
           "TLSv1.2 and TLSv1.3."),
    String("tls-ciphers", &S::tls_ciphers, "\"\"", kRuntime,
           "OpenSSL cipher list for TLSv1.2 and below; empty: OpenSSL's default."),
    String("tls-ciphersuites", &S::tls_ciphersuites, "\"\"", kRuntime,
           "TLSv1.3 cipher suites, colon-separated; empty: OpenSSL's default."),
    Bool("tls-prefer-server-ciphers", &S::tls_prefer_server_ciphers, "no", kRuntime,
         "Choose the cipher by this server's order of preference rather than the client's."),
    Bool("tls-session-caching", &S::tls_session_caching, "yes", kRuntime,
         "Let TLS clients resume sessions (a shorter handshake on reconnect)."),
    Int("tls-session-cache-size", &S::tls_session_cache_size, "20480", kRuntime, 0, kIntMax,
        "TLS sessions kept for resumption; 0: no limit."),
    Int("tls-session-cache-timeout", &S::tls_session_cache_timeout, "300", kRuntime, 0, kIntMax,
        "Seconds a TLS session may be resumed for."),
    String("requirepass", &S::requirepass, "\"\"", kRuntime,
           "Password of the default user; empty: clients act as the default user without "
           "authenticating."),
    String("aclfile", &S::aclfile, "\"\"", kStartup,
           "File of users (one `user name rules...` line each) loaded at start-up and by "
           "ACL LOAD, written by ACL SAVE; empty: users come from `user` lines in this file."),
    Int("acllog-max-len", &S::acllog_max_len, "128", kRuntime, 0, kIntMax,
        "Entries ACL LOG keeps (denied commands, keys, channels and failed logins)."),
    Enum("acl-pubsub-default", &S::acl_pubsub_default, "resetchannels", kRuntime, kPubsubDefaults,
         "Channels a new user may use before any channel rule: resetchannels (none) or "
         "allchannels."),
    Enum("auth-mode", &S::auth_mode, "local", kStartup, kAuthModes,
         "Who checks a client's AUTH and HELLO AUTH: local (requirepass, user lines, aclfile) "
         "or upstream (the upstream's own users: each login is checked there and the user's "
         "rights read from there; needs upstream)."),
    Int("auth-cache-ttl", &S::auth_cache_ttl, "60", kRuntime, 1, 86400,
        "With auth-mode upstream, seconds a login the upstream accepted, and the rights read "
        "with it, are reused before the upstream is asked again; connections logged in longer "
        "are checked again at their next command."),
    Int("threads", &S::threads, "auto", kStartup, 0, 1024,
        "Worker threads, each with its own reactor and shard; auto = one per CPU in the "
        "process's affinity mask.")
        .AutoWord("auto"),
    Enum("loglevel", &S::loglevel, "notice", kRuntime, kLogLevels,
         "Log verbosity: debug, verbose, notice or warning."),
    String("logfile", &S::logfile, "\"\"", kStartup,
           "Log file path; empty logs to standard error."),
    Int("maxclients", &S::maxclients, "10000", kRuntime, 1, 4294967295LL,
        "Most clients connected at once; further connections are refused."),
    Int("timeout", &S::timeout, "0", kRuntime, 0, kIntMax,
        "Close a client after this many idle seconds; 0 never does."),
    Int("tcp-backlog", &S::tcp_backlog, "511", kStartup, 0, kIntMax,
        "Pending-connection queue length given to listen(2)."),
    Int("tcp-keepalive", &S::tcp_keepalive, "300", kRuntime, 0, kIntMax,
        "Seconds between TCP keepalive probes to idle clients; 0 disables them."),
    Memory("proto-max-bulk-len", &S::proto_max_bulk_len, "512mb", kRuntime, kMb, INT64_MAX,
           "Largest bulk string a client may send."),
    Memory("client-query-buffer-limit", &S::client_query_buffer_limit, "1gb", kRuntime, kMb,
           INT64_MAX, "Largest unparsed input a client may hold; past it the client is closed."),
    Memory("bigbulk-threshold", &S::bigbulk_threshold, "16kb", kRuntime, 0, INT64_MAX,
           "Bulk arguments at least this long that are still arriving get their own buffer; "
           "0 turns BigBulk ingest off."),
    Memory("bigbulk-direct-read", &S::bigbulk_direct_read, "32kb", kRuntime, 0, INT64_MAX,
           "With at least this much of a big argument still to come, io_uring reads it "
           "straight into its buffer; 0 never does."),
    Enum("io-backend", &S::io_backend, "auto", kStartup, kIoBackends,
         "Socket I/O engine: io_uring, libevent, or auto (io_uring where the kernel allows it, "
         "else libevent, with one warning saying why)."),
    Int("databases", &S::databases, "16", kStartup, 1, kIntMax,
        "Number of logical databases (SELECT 0..N-1)."),
    String("dir", &S::dir, "./", kStartup, "Working directory for data files."),
    String("pidfile", &S::pidfile, "\"\"", kStartup,
           "File to write the process id to; empty writes none."),
    Bool("daemonize", &S::daemonize, "no", kStartup,
         "Only no: ringside stays in the foreground, systemd supervises it.")
        .Checked(CheckDaemonize),
    String("save", &S::save, "\"\"", kRuntime,
           "RDB snapshot schedule; only \"\" (ringside takes no snapshots).")
        .Variadic()
        .Checked(CheckSave),
    Bool("appendonly", &S::appendonly, "no", kStartup,
         "Append-only file persistence: every write is logged in Redis's AOF format, one file "
         "per shard, and replayed at start-up."),
    String("appenddirname", &S::appenddirname, "appendonlydir", kStartup,
           "Folder inside dir for the append-only files and their manifest.")
        .Checked(CheckFileName),
    String("appendfilename", &S::appendfilename, "appendonly.aof", kStartup,
           "Base name of the append-only files and of the manifest.")
        .Checked(CheckFileName),
    Enum("appendfsync", &S::appendfsync, "everysec", kRuntime, kAppendFsync,
         "When the append-only file is fsynced: everysec (once a second), always (a reply "
         "waits until its write is durable), or no (when the kernel flushes)."),
    Bool("aof-load-truncated", &S::aof_load_truncated, "yes", kRuntime,
         "At start-up, load a file that ends inside a command (a crash mid-write) up to there "
         "and cut it, instead of refusing to start."),
    Int("auto-aof-rewrite-percentage", &S::auto_aof_rewrite_percentage, "100", kRuntime, 0, kIntMax,
        "A shard rewrites its append-only file once it grew by this many percent since the "
        "last rewrite (or start-up); 0 never does."),
    Memory("auto-aof-rewrite-min-size", &S::auto_aof_rewrite_min_size, "64mb", kRuntime, 0,
           INT64_MAX, "No automatic rewrite while a shard's files are smaller than this."),
    Memory("maxmemory", &S::maxmemory, "0", kRuntime, 0, INT64_MAX,
           "Most memory the keys may take, as used_memory counts it (keys, values and a fixed "
           "cost per key), split evenly among the shards; past it, writes that add data evict "
           "keys by maxmemory-policy, or fail with OOM. 0: no limit."),
    Enum("maxmemory-policy", &S::maxmemory_policy, "noeviction", kRuntime, kMaxmemoryPolicies,
         "Which keys go at maxmemory: allkeys-lru, allkeys-lfu, allkeys-random, the volatile- "
         "forms of these and volatile-ttl (keys with a TTL only), or noeviction (writes fail). "
         "With an upstream, only keys whose writes it acknowledged."),
    Int("maxmemory-samples", &S::maxmemory_samples, "5", kRuntime, 1, 64,
        "Keys an LRU or LFU eviction looks at per database; more is closer to exact, and "
        "slower."),
    Int("hash-max-listpack-entries", &S::hash_max_listpack_entries, "128", kRuntime, 0, kIntMax,
        "A hash with more fields than this is kept as a hash table, not a compact listpack."),
    Int("hash-max-listpack-value", &S::hash_max_listpack_value, "64", kRuntime, 0, kIntMax,
        "A hash with a field or value longer than this many bytes is kept as a hash table."),
    Int("set-max-intset-entries", &S::set_max_intset_entries, "512", kRuntime, 0, kIntMax,
        "A set of integers with more members than this is kept as a hash table, not an "
        "intset."),
    Int("list-max-listpack-size", &S::list_max_listpack_size, "-2", kRuntime, INT_MIN, kIntMax,
        "How big a list's nodes grow: at most this many elements each when positive; -1 to -5, "
        "at most 4, 8, 16, 32 or 64 KiB each."),
    Int("list-compress-depth", &S::list_compress_depth, "0", kRuntime, 0, kIntMax,
        "Accepted for Redis's configuration files; ringside never compresses list nodes."),
    Int("lfu-log-factor", &S::lfu_log_factor, "10", kRuntime, 0, kIntMax,
        "How slowly a key's LFU access counter grows: about a million hits fill it at 10."),
    Int("lfu-decay-time", &S::lfu_decay_time, "1", kRuntime, 0, kIntMax,
        "Minutes of idleness per step a key's LFU access counter loses; 0 never decays it."),
    String("upstream", &S::upstream, "\"\"", kStartup,
           "The Redis every write is forwarded to, as host:port or a unix socket path; empty "
           "runs without one.")
        .Checked(CheckUpstream),
    String("upstream-user", &S::upstream_user, "\"\"", kStartup,
           "ACL user for AUTH on every upstream connection; empty sends the password alone."),
    String("upstream-password", &S::upstream_password, "\"\"", kStartup,
           "Password for AUTH on every upstream connection; empty sends no AUTH. CONFIG GET "
           "shows only whether one is set.")
        .Secret(),
    Int("upstream-db", &S::upstream_db, "0", kStartup, 0, kIntMax,
        "The upstream database that database 0 is kept in: database d goes to upstream-db + d, "
        "for writes, reads and commands passed through alike."),
    Enum("upstream-write-policy", &S::upstream_write_policy, "async", kStartup,
         kUpstreamWritePolicies,
         "async: a write is answered once applied here and forwarded in the background; "
         "sync: its reply waits until the upstream acknowledged it."),
    Memory("upstream-queue-memory", &S::upstream_queue_memory, "64mb", kStartup, 0, INT64_MAX,
           "Memory each shard keeps records the upstream has not acknowledged in; past it they "
           "wait in the upstream journal only. 0 keeps them all in memory."),
    Memory("upstream-journal-rewrite-size", &S::upstream_journal_rewrite_size, "64mb", kStartup,
           kMb, INT64_MAX,
           "A shard's upstream journal this long is replaced by one with only the records the "
           "upstream has not acknowledged, once those are under 1mb."),
    Int("upstream-connect-timeout", &S::upstream_connect_timeout, "2000", kStartup, 1, kIntMax,
        "Milliseconds a connection to the upstream may take to look its host name up, and "
        "then to connect to each address, before the attempt counts as failed (and is "
        "retried after the backoff)."),
    Bool("upstream-tls", &S::upstream_tls, "no", kStartup,
         "Every connection to the upstream (write-through, invalidation, read-through, "
         "relays, pass-through) over TLS; a connection whose handshake fails is retried, "
         "never made in plaintext."),
    String("upstream-tls-ca-cert-file", &S::upstream_tls_ca_cert_file, "\"\"", kRuntime,
           "PEM bundle of the CAs the upstream's certificate must chain to; with "
           "upstream-tls-ca-cert-dir also empty, the system's CA store. CONFIG SET of this and the "
           "other files, protocols and ciphers applies to the next connections."),
    String("upstream-tls-ca-cert-dir", &S::upstream_tls_ca_cert_dir, "\"\"", kRuntime,
           "Directory of CA certificates for the upstream's certificate (c_rehash layout)."),
    String("upstream-tls-cert-file", &S::upstream_tls_cert_file, "\"\"", kRuntime,
           "PEM client certificate shown to an upstream that asks for one (mutual TLS)."),
    String("upstream-tls-key-file", &S::upstream_tls_key_file, "\"\"", kRuntime,
           "PEM private key of upstream-tls-cert-file."),
    String("upstream-tls-key-file-pass", &S::upstream_tls_key_file_pass, "\"\"", kRuntime,
           "Passphrase of upstream-tls-key-file, when it is encrypted. CONFIG GET shows only "
           "whether one is set.")
        .Secret(),
    String("upstream-tls-server-name", &S::upstream_tls_server_name, "\"\"", kStartup,
           "Name sent as SNI and checked against the upstream's certificate; empty: the host "
           "of upstream."),
    Bool("upstream-tls-verify", &S::upstream_tls_verify, "yes", kStartup,
         "Check the upstream's certificate and name; no accepts any (logged as a warning)."),
    String("upstream-tls-protocols", &S::upstream_tls_protocols, "\"\"", kRuntime,
           "TLS versions offered to the upstream, as tls-protocols names them."),
    String("upstream-tls-ciphers", &S::upstream_tls_ciphers, "\"\"", kRuntime,
           "Cipher list offered to the upstream for TLSv1.2 and below."),
    String("upstream-tls-ciphersuites", &S::upstream_tls_ciphersuites, "\"\"", kRuntime,
           "TLSv1.3 cipher suites offered to the upstream."),
    Int("upstream-timeout", &S::upstream_timeout, "5000", kRuntime, 0, kIntMax,
        "Milliseconds a command waits for the upstream to answer a key it fetches, or to "
        "answer it when passed through, before it fails with an error; 0 waits as long as it "
        "takes."),
    Bool("upstream-read-through", &S::upstream_read_through, "yes", kStartup,
         "A command on a key not held here fetches it from the upstream first, and keeps it "
         "while the upstream's CLIENT TRACKING says no one else changed it; no: the keys "
         "here are all there is."),
    Memory("upstream-read-through-max-size", &S::upstream_read_through_max_size, "1mb", kRuntime, 0,
           INT64_MAX,
           "The largest hash or set read-through fetches, by the upstream's MEMORY USAGE; a "
           "bigger one stays upstream and its commands are passed through. 0: no hash or set "
           "is fetched. Strings are always fetched."),
    Int("hz", &S::hz, "10", kRuntime, 0, kIntMax,
        "Active-expiry cycles per second, kept within 1..500.")
        .Clamped(1, 500),
    Int("io-uring-entries", &S::io_uring_entries, "1024", kStartup, 1, 32768,
        "Submission queue entries of each thread's io_uring."),
    Int("recv-buffers", &S::recv_buffers, "256", kStartup, 1, 32768,
        "Buffers in each thread's io_uring provided-buffer ring for recv (a power of two).")
        .Checked(CheckPowerOfTwo),
    Memory("recv-buffer-size", &S::recv_buffer_size, "16384", kStartup, 512, 16 * kMb,
           "Bytes in each recv buffer; with libevent, the most one read takes."),
};

std::string Join(const std::vector<std::string>& parts) {
  std::string out;
  for (const std::string& p : parts) {
    if (!out.empty()) out += ' ';
    out += p;
  }
  return out;
}

std::vector<std::string> SplitSpaces(std::string_view s) {
  std::istringstream in{std::string(s)};
  std::vector<std::string> out;
  for (std::string w; in >> w;) out.push_back(w);
  return out;
}

// Integers as Redis's string2ll takes them: an optional '-' and digits, nothing else.
bool ParseInt(std::string_view s, int64_t* out) {
  if (s.empty() || s[0] == '+') return false;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
  return ec == std::errc() && end == s.data() + s.size();
}

// Memory sizes as Redis's memtoull takes them: digits then b, k, kb, m, mb, g or gb.
bool ParseMemory(std::string_view s, int64_t* out) {
  size_t digits = 0;
  while (digits < s.size() && std::isdigit(static_cast<unsigned char>(s[digits]))) ++digits;
  if (digits == 0) return false;
  const std::string_view unit = s.substr(digits);
  static constexpr std::pair<std::string_view, int64_t> kUnits[] = {{"", 1},
                                                                    {"b", 1},
                                                                    {"k", 1000},
                                                                    {"kb", 1024},
                                                                    {"m", 1000 * 1000},
                                                                    {"mb", 1024 * 1024},
                                                                    {"g", 1000000000},
                                                                    {"gb", 1024LL * 1024 * 1024}};
  for (const auto& [name, mul] : kUnits) {
    if (!EqualsNoCase(unit, name)) continue;
    int64_t n;
    if (!ParseInt(s.substr(0, digits), &n)) return false;
    return !__builtin_mul_overflow(n, mul, out);
  }
  return false;
}

}  // namespace

std::span<const Directive> Directives() { return kDirectives; }

bool EqualsNoCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && strncasecmp(a.data(), b.data(), a.size()) == 0;
}

const Directive* FindDirective(std::string_view name) {
  for (const Directive& d : kDirectives) {
    if (EqualsNoCase(d.name, name)) return &d;
  }
  return nullptr;
}

std::string FormatValue(const Directive& d, const ServerConfig& cfg) {
  return std::visit(
      [&](auto member) -> std::string {
        const auto& v = cfg.*member;
        if constexpr (std::is_same_v<std::remove_cvref_t<decltype(v)>, std::string>) {
          if (d.secret) return v.empty() ? std::string() : std::string(kSecretShown);
        }
        using T = std::remove_cvref_t<decltype(v)>;
        if constexpr (std::is_same_v<T, bool>) {
          return v ? "yes" : "no";
        } else if constexpr (std::is_enum_v<T>) {
          return std::string(d.words[static_cast<size_t>(v)]);
        } else if constexpr (std::is_integral_v<T>) {
          if (v == 0 && !d.auto_word.empty()) return std::string(d.auto_word);
          return std::to_string(v);
        } else if constexpr (std::is_same_v<T, std::string>) {
          return v;
        } else {
          return Join(v);
        }
      },
      d.field);
}

bool ApplyArgs(const Directive& d, const std::vector<std::string>& args, ServerConfig* cfg,
               std::string* why) {
  if (args.empty() || (!d.variadic && args.size() != 1)) {
    *why = "wrong number of arguments";
    return false;
  }
  const std::string& arg = args[0];
  int64_t number = 0;
  switch (d.kind) {
    case Kind::kBool:
      if (EqualsNoCase(arg, "yes")) {
        number = 1;
      } else if (!EqualsNoCase(arg, "no")) {
        *why = "argument must be 'yes' or 'no'";
        return false;
      }
      break;
    case Kind::kInt:
    case Kind::kMemory:
      if (d.kind == Kind::kInt && !d.auto_word.empty() && EqualsNoCase(arg, d.auto_word)) {
        number = 0;
      } else if (d.kind == Kind::kInt && !ParseInt(arg, &number)) {
        *why = "argument couldn't be parsed into an integer";
        return false;
      } else if (d.kind == Kind::kMemory && !ParseMemory(arg, &number)) {
        *why = "argument must be a memory value";
        return false;
      }
      if (number < d.min || number > d.max) {
        *why = "argument must be between " + std::to_string(d.min) + " and " +
               std::to_string(d.max) + " inclusive";
        return false;
      }
      if (d.clamp_hi > 0) number = std::clamp(number, d.clamp_lo, d.clamp_hi);
      break;
    case Kind::kEnum: {
      size_t i = 0;
      while (i < d.words.size() && !EqualsNoCase(arg, d.words[i])) ++i;
      if (i == d.words.size()) {
        *why = "argument(s) must be one of the following: ";
        for (size_t k = 0; k < d.words.size(); ++k) {
          *why += (k ? ", " : "") + std::string(d.words[k]);
        }
        return false;
      }
      number = static_cast<int64_t>(i);
      break;
    }
    case Kind::kString:
      break;
  }
  std::visit(
      [&](auto member) {
        auto& v = cfg->*member;
        using T = std::remove_cvref_t<decltype(v)>;
        if constexpr (std::is_same_v<T, bool>) {
          v = number != 0;
        } else if constexpr (std::is_enum_v<T> || std::is_integral_v<T>) {
          v = static_cast<T>(number);
        } else if constexpr (std::is_same_v<T, std::string>) {
          v = Join(args);
        } else {
          // One argument holding several space-separated values is split, as Redis does.
          v = args.size() == 1 ? SplitSpaces(arg) : args;
          if (v.empty()) v = args;
        }
      },
      d.field);
  return d.check == nullptr || d.check(FormatValue(d, *cfg), why);
}

}  // namespace ringside::proxy::config_internal
