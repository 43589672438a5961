#include "backend/aof_manifest.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <fstream>
#include <sstream>

#include "backend/file_write.h"

namespace ringside::backend {

namespace {

bool ParseInt(std::string_view s, int64_t* v) {
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), *v);
  return ec == std::errc() && p == s.data() + s.size();
}

bool SyncDirectory(const std::string& dir, std::string* error) {
  const int fd = open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0 || fsync(fd) != 0) {
    *error = ErrnoText("cannot fsync directory", dir);
    if (fd >= 0) close(fd);
    return false;
  }
  close(fd);
  return true;
}

}  // namespace

bool ParseManifest(std::string_view text, std::vector<AofFileEntry>* entries, std::string* error) {
  std::istringstream in{std::string(text)};
  std::string line;
  for (int number = 1; std::getline(in, line); ++number) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty() || line[0] == '#') continue;
    std::istringstream words(line);
    std::vector<std::string> w;
    for (std::string word; words >> word;) w.push_back(word);
    AofFileEntry e;
    bool has_seq = false, has_type = false;
    bool ok = w.size() % 2 == 0;
    for (size_t i = 0; ok && i + 1 < w.size(); i += 2) {
      const std::string& key = w[i];
      const std::string& value = w[i + 1];
      int64_t n = 0;
      if (key == "file") {
        e.file = value;
        ok = value.find('/') == std::string::npos;
      } else if (key == "seq") {
        ok = ParseInt(value, &e.seq) && e.seq > 0;
        has_seq = true;
      } else if (key == "type") {
        ok = value.size() == 1 && (value[0] == 'b' || value[0] == 'i' || value[0] == 'h');
        e.type = value[0];
        has_type = true;
      } else if (key == "shard") {
        ok = ParseInt(value, &n) && n >= 0 && n < 1 << 20;
        e.shard = static_cast<int>(n);
      }
      // Other keys are ignored, as Redis ignores keys it does not know.
    }
    if (!ok || e.file.empty() || !has_seq || !has_type) {
      *error = "invalid manifest line " + std::to_string(number) + ": " + line;
      return false;
    }
    entries->push_back(std::move(e));
  }
  return true;
}

std::string FormatManifest(std::vector<AofFileEntry> entries) {
  std::stable_sort(entries.begin(), entries.end(),
                   [](const AofFileEntry& a, const AofFileEntry& b) { return a.seq < b.seq; });
  std::string out;
  for (const AofFileEntry& e : entries) {
    out += "file " + e.file + " seq " + std::to_string(e.seq) + " type " + e.type;
    if (e.shard >= 0) out += " shard " + std::to_string(e.shard);
    out += '\n';
  }
  return out;
}

AofManifest::AofManifest(std::string dir, std::string basename)
    : dir_(std::move(dir)), basename_(std::move(basename)) {}

bool AofManifest::Load(std::string* error) {
  std::lock_guard<std::mutex> lock(mu_);
  if (mkdir(dir_.c_str(), 0755) != 0 && errno != EEXIST) {
    *error = ErrnoText("cannot create the AOF directory", dir_);
    return false;
  }
  std::ifstream in(manifest_path(), std::ios::binary);
  if (!in) return true;  // a fresh directory
  std::stringstream text;
  text << in.rdbuf();
  std::vector<AofFileEntry> entries;
  if (!ParseManifest(text.str(), &entries, error)) {
    *error = manifest_path() + ": " + *error;
    return false;
  }
  entries_.clear();
  for (AofFileEntry& e : entries) {
    next_seq_ = std::max(next_seq_, e.seq + 1);
    if (e.type != 'h') entries_.push_back(std::move(e));
  }
  std::stable_sort(entries_.begin(), entries_.end(),
                   [](const AofFileEntry& a, const AofFileEntry& b) { return a.seq < b.seq; });
  return true;
}

std::vector<AofFileEntry> AofManifest::Entries() const {
  std::lock_guard<std::mutex> lock(mu_);
  return entries_;
}

std::vector<AofFileEntry> AofManifest::FilesOf(int shard) const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<AofFileEntry> out;
  for (const AofFileEntry& e : entries_) {
    if (e.shard == shard) out.push_back(e);
  }
  return out;
}

int AofManifest::ShardsNamed() const {
  std::lock_guard<std::mutex> lock(mu_);
  int n = 0;
  for (const AofFileEntry& e : entries_) n = std::max(n, e.shard + 1);
  return n;
}

bool AofManifest::HasForeignEntries() const {
  std::lock_guard<std::mutex> lock(mu_);
  return std::any_of(entries_.begin(), entries_.end(),
                     [](const AofFileEntry& e) { return e.shard < 0; });
}

bool AofManifest::CreateFile(int shard, std::string_view kind, AofFileEntry* entry,
                             std::string* error) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    entry->seq = next_seq_++;
  }
  entry->shard = shard;
  entry->type = 'i';
  entry->file = basename_ + ".s" + std::to_string(shard) + "." + std::to_string(entry->seq) + "." +
                std::string(kind) + ".aof";
  const std::string path = PathOf(entry->file);
  const int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) {
    *error = ErrnoText("cannot create", path);
    return false;
  }
  close(fd);
  return SyncDirectory(dir_, error);
}

bool AofManifest::ReplaceShard(int shard, std::vector<AofFileEntry> files, std::string* error) {
  std::vector<std::string> dropped;
  {
    std::lock_guard<std::mutex> lock(mu_);
    std::vector<AofFileEntry> next;
    for (const AofFileEntry& e : entries_) {
      if (e.shard != shard) {
        next.push_back(e);
        continue;
      }
      const bool kept = std::any_of(files.begin(), files.end(),
                                    [&](const AofFileEntry& f) { return f.file == e.file; });
      if (!kept) dropped.push_back(e.file);
    }
    for (AofFileEntry& f : files) next.push_back(std::move(f));
    std::stable_sort(next.begin(), next.end(),
                     [](const AofFileEntry& a, const AofFileEntry& b) { return a.seq < b.seq; });
    if (!WriteLocked(next, error)) return false;
    entries_ = std::move(next);
  }
  for (const std::string& f : dropped) unlink(PathOf(f).c_str());
  return true;
}

bool AofManifest::WriteLocked(const std::vector<AofFileEntry>& entries, std::string* error) {
  const std::string text = FormatManifest(entries);
  const std::string tmp = manifest_path() + ".tmp";
  const int fd = open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) {
    *error = ErrnoText("cannot create", tmp);
    return false;
  }
  if (const int err = PwriteAll(fd, text, 0); err != 0) {
    errno = err;
    *error = ErrnoText("cannot write", tmp);
    close(fd);
    unlink(tmp.c_str());
    return false;
  }
  if (fsync(fd) != 0) {
    *error = ErrnoText("cannot fsync", tmp);
    close(fd);
    unlink(tmp.c_str());
    return false;
  }
  close(fd);
  if (rename(tmp.c_str(), manifest_path().c_str()) != 0) {
    *error = ErrnoText("cannot rename the manifest into place in", dir_);
    unlink(tmp.c_str());
    return false;
  }
  return SyncDirectory(dir_, error);
}

}  // namespace ringside::backend
