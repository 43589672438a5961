// ringside: a Redis-protocol sidecar. `ringside [configfile] [--directive value ...]`.
#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>

#include "proxy/config.h"
#include "proxy/server.h"

namespace {

void SetUpLogging(const ringside::proxy::ServerConfig& cfg) {
  if (!cfg.logfile.empty()) {
    auto logger = spdlog::basic_logger_mt("ringside", cfg.logfile);
    spdlog::set_default_logger(logger);
    spdlog::flush_every(std::chrono::seconds(1));
  }
  spdlog::flush_on(spdlog::level::warn);
  ringside::proxy::ApplyLogLevel(cfg.loglevel);
}

}  // namespace

int main(int argc, char** argv) {
  ringside::proxy::ServerConfig cfg;
  std::string message;
  switch (ringside::proxy::ParseCommandLine(argc, argv, &cfg, &message)) {
    case ringside::proxy::ConfigAction::kExitOk:
      std::fputs(message.c_str(), stdout);
      return 0;
    case ringside::proxy::ConfigAction::kExitError:
      std::fputs(message.c_str(), stderr);
      if (!message.empty() && message.back() != '\n') std::fputc('\n', stderr);
      return 1;
    case ringside::proxy::ConfigAction::kRun:
      break;
  }
  try {
    SetUpLogging(cfg);
  } catch (const spdlog::spdlog_ex& e) {
    std::fprintf(stderr, "Can't open the log file '%s': %s\n", cfg.logfile.c_str(), e.what());
    return 1;
  }
  if (!cfg.pidfile.empty()) {
    std::ofstream(cfg.pidfile) << getpid() << "\n";
  }
  std::string config_file = argc > 1 && argv[1][0] != '-' ? argv[1] : "";
  ringside::proxy::Server server(cfg, config_file);
  server.set_executable(argv[0]);
  const int rc = server.Run();
  if (!cfg.pidfile.empty()) std::remove(cfg.pidfile.c_str());
  spdlog::shutdown();
  return rc;
}
