// Server configuration: redis.conf syntax, redis-server's command line, CONFIG GET / SET.
//
// Every directive is declared once, in the table in config_directives.cc (name, type, default,
// whether CONFIG SET may change it, meaning), and bound there to one field of ServerConfig.
// Parsing, defaults, CONFIG GET, CONFIG SET, --help and the documented conf/ringside.conf all
// follow from that table.
//
// ServerConfig is a plain value: whoever holds one owns it. These functions keep no state and
// are safe to call from any thread on distinct ServerConfig objects.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "shards/eviction.h"

namespace ringside::proxy {

// Enum fields keep the order of their directive's allowed words in the table.
enum class LogLevel { kDebug, kVerbose, kNotice, kWarning };
enum class IoBackend { kIoUring, kLibevent, kAuto };
enum class AppendFsync { kEverysec, kAlways, kNo };
enum class UpstreamWritePolicy { kAsync, kSync };
// The channels a new user may use: none, or all.
enum class AclPubsubDefault { kResetChannels, kAllChannels };
// Who checks a client's AUTH: ringside's own users, or the upstream's.
enum class AuthMode { kLocal, kUpstream };
// tls-auth-clients: whether a TLS client must show a certificate.
enum class TlsAuthClients { kNo, kYes, kOptional };

struct ServerConfig {
  // Every field starts at its table default.
  ServerConfig();

  std::vector<std::string> bind;  // numeric IPv4 / IPv6 addresses, at least one
  int port;
  std::string unixsocket;      // path of a unix socket to accept clients on; empty: none
  std::string unixsocketperm;  // its permission bits, in octal; "0" leaves the umask's
  bool protected_mode;
  // Clients over TLS, with Redis's directives and meanings. tls_port 0: no TLS listener.
  int tls_port;
  std::string tls_cert_file;
  std::string tls_key_file;
  std::string tls_key_file_pass;
  std::string tls_ca_cert_file;
  std::string tls_ca_cert_dir;
  std::string tls_dh_params_file;
  TlsAuthClients tls_auth_clients;
  std::string tls_protocols;  // space-separated; empty: TLSv1.2 and TLSv1.3
  std::string tls_ciphers;
  std::string tls_ciphersuites;
  bool tls_prefer_server_ciphers;
  bool tls_session_caching;
  int tls_session_cache_size;
  int tls_session_cache_timeout;  // seconds
  std::string requirepass;        // the default user's password; empty: the default user has none
  std::string aclfile;  // users file for ACL LOAD / SAVE; empty: users come from `user` lines
  int acllog_max_len;
  AclPubsubDefault acl_pubsub_default;
  AuthMode auth_mode;
  int auth_cache_ttl;  // seconds an upstream check of a login, and the rights it read, hold
  // Each `user` line of the configuration, its words after "user" (name, then rules).
  std::vector<std::vector<std::string>> users;
  int threads;  // 0 means auto: see ResolveThreads
  LogLevel loglevel;
  std::string logfile;  // empty means stderr
  int64_t maxclients;
  int timeout;  // idle seconds before a client is closed; 0 never
  int tcp_backlog;
  int tcp_keepalive;  // seconds; 0 disables
  int64_t proto_max_bulk_len;
  int64_t client_query_buffer_limit;
  int64_t bigbulk_threshold;    // 0 = BigBulk ingest off
  int64_t bigbulk_direct_read;  // 0 = never switch to direct reads
  IoBackend io_backend;
  int databases;
  std::string dir;
  std::string pidfile;  // empty means no pid file
  bool daemonize;
  std::string save;  // always empty: ringside takes no RDB snapshots
  bool appendonly;
  std::string appenddirname;   // inside dir
  std::string appendfilename;  // base name of the files and the manifest
  AppendFsync appendfsync;
  bool aof_load_truncated;
  int auto_aof_rewrite_percentage;    // 0 turns automatic rewrites off
  int64_t auto_aof_rewrite_min_size;  // per shard
  int64_t maxmemory;                  // 0: no limit
  shards::EvictionPolicy maxmemory_policy;
  int maxmemory_samples;
  int hash_max_listpack_entries;
  int hash_max_listpack_value;
  int set_max_intset_entries;
  int list_max_listpack_size;
  int list_compress_depth;
  int lfu_log_factor;
  int lfu_decay_time;
  std::string upstream;  // host:port or a unix socket path; empty means none
  std::string upstream_user;
  std::string upstream_password;
  int upstream_db;  // upstream database of database 0
  UpstreamWritePolicy upstream_write_policy;
  int64_t upstream_queue_memory;  // per shard; 0 means no bound
  int64_t upstream_journal_rewrite_size;
  bool upstream_read_through;
  int64_t upstream_read_through_max_size;  // bytes; 0: no hash or set is fetched
  int upstream_timeout;                    // milliseconds; 0: no limit
  int upstream_connect_timeout;            // milliseconds
  // ringside's own connections to the upstream over TLS.
  bool upstream_tls;
  std::string upstream_tls_ca_cert_file;  // both empty: the system's CA store
  std::string upstream_tls_ca_cert_dir;
  std::string upstream_tls_cert_file;  // a client certificate, when the upstream asks for one
  std::string upstream_tls_key_file;
  std::string upstream_tls_key_file_pass;
  std::string upstream_tls_server_name;  // SNI and the name checked; empty: the upstream's host
  bool upstream_tls_verify;
  std::string upstream_tls_protocols;
  std::string upstream_tls_ciphers;
  std::string upstream_tls_ciphersuites;
  int hz;  // active-expiry cycles per second, kept within [1, 500] as Redis does
  int io_uring_entries;
  int recv_buffers;  // a power of two
  int64_t recv_buffer_size;
};

enum class ConfigAction { kRun, kExitOk, kExitError };

// Parses argv like redis-server: `ringside [configfile] [--directive value ...]`. The file is
// read first, then the command-line directives are applied in order on top of it. --help / -h
// and --version / -v put their text in *message and return kExitOk. On any error *message holds
// the whole report (naming the file and line, or the command line, and the directive) and the
// result is kExitError; *cfg is then unspecified.
ConfigAction ParseCommandLine(int argc, char** argv, ServerConfig* cfg, std::string* message);

// Applies redis.conf-style text on top of *cfg. `source_name` is the file name used in error
// reports. All or nothing: on failure *cfg is unchanged and *error holds the report.
bool LoadConfigText(std::string_view text, std::string_view source_name, ServerConfig* cfg,
                    std::string* error);

// The number of worker threads: cfg.threads, or for auto the number of CPUs in this process's
// affinity mask (at least 1).
int ResolveThreads(const ServerConfig& cfg);

// CONFIG GET: (name, value) for every directive matching any of the glob patterns, without
// case. A pattern with no glob characters is looked up exactly and reported under the name as
// given, as Redis 7.0 does. Values are formatted as CONFIG GET shows them in Redis: memory
// sizes as byte counts, booleans yes/no, lists space-separated.
std::vector<std::pair<std::string, std::string>> ConfigGet(
    const ServerConfig& cfg, std::span<const std::string_view> patterns);

// CONFIG SET of name/value pairs (the command's arguments after SET), all or nothing: on
// failure *cfg is unchanged and *error holds the reply text, worded as Redis 7.0 words it.
bool ConfigSet(ServerConfig* cfg, std::span<const std::string_view> name_value_pairs,
               std::string* error);

struct DirectiveInfo {
  std::string_view name;
  std::string_view default_text;  // as written in ringside.conf
  std::string_view meaning;       // one line
  bool mutable_at_runtime;
};

// Every directive, in table order.
std::vector<DirectiveInfo> AllDirectives();

// CONFIG GET's text for one directive, or false when there is no such directive.
bool FormatDirective(const ServerConfig& cfg, std::string_view name, std::string* value);

}  // namespace ringside::proxy
