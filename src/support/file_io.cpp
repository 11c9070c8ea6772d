#include "support/file_io.h"

#include <sys/stat.h>
#include <zlib.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>

#include "support/error.h"

namespace bf {
namespace {

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

[[noreturn]] void fail_open(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) throw Error(ErrorKind::Io, "file not found").with_file(path);
  if (S_ISDIR(st.st_mode)) throw Error(ErrorKind::Io, "is a directory, not a file").with_file(path);
  throw Error(ErrorKind::Io, std::string("cannot open: ") + std::strerror(errno)).with_file(path);
}

class PlainStream final : public ByteStream {
 public:
  explicit PlainStream(const std::string& path) : ByteStream(path), file_(std::fopen(path.c_str(), "rb")) {
    if (!file_) fail_open(path);
  }
  ~PlainStream() override {
    if (file_) std::fclose(file_);
  }
  std::size_t read(char* buffer, std::size_t capacity) override {
    std::size_t n = std::fread(buffer, 1, capacity, file_);
    if (n == 0 && std::ferror(file_)) throw Error(ErrorKind::Io, "read error").with_file(path());
    return n;
  }

 private:
  std::FILE* file_;
};

// Streams a gzip file through zlib's inflate. Unlike gzread, inflate reports a
// truncated stream (Z_BUF_ERROR at end of input) instead of returning short data.
class GzipStream final : public ByteStream {
 public:
  explicit GzipStream(const std::string& path) : ByteStream(path), file_(std::fopen(path.c_str(), "rb")) {
    if (!file_) fail_open(path);
    std::memset(&z_, 0, sizeof(z_));
    // 16 + MAX_WBITS: expect a gzip header.
    if (inflateInit2(&z_, 16 + MAX_WBITS) != Z_OK) {
      std::fclose(file_);
      throw Error(ErrorKind::Internal, "zlib inflateInit2 failed").with_file(path);
    }
  }
  ~GzipStream() override {
    inflateEnd(&z_);
    if (file_) std::fclose(file_);
  }
  std::size_t read(char* buffer, std::size_t capacity) override {
    if (finished_ || capacity == 0) return 0;
    z_.next_out = reinterpret_cast<Bytef*>(buffer);
    z_.avail_out = static_cast<uInt>(capacity);
    while (z_.avail_out > 0) {
      if (z_.avail_in == 0) {
        std::size_t n = std::fread(in_, 1, sizeof(in_), file_);
        if (n == 0) {
          if (std::ferror(file_)) throw Error(ErrorKind::Io, "read error").with_file(path());
          throw Error(ErrorKind::Parse, "truncated gzip stream").with_file(path());
        }
        z_.next_in = reinterpret_cast<Bytef*>(in_);
        z_.avail_in = static_cast<uInt>(n);
      }
      int rc = inflate(&z_, Z_NO_FLUSH);
      if (rc == Z_STREAM_END) {
        finished_ = true;
        break;
      }
      if (rc != Z_OK) {
        throw Error(ErrorKind::Parse, std::string("corrupt gzip data: ") + (z_.msg ? z_.msg : "inflate failed"))
            .with_file(path());
      }
    }
    return capacity - z_.avail_out;
  }

 private:
  std::FILE* file_;
  z_stream z_;
  char in_[1 << 16];
  bool finished_ = false;
};

bool has_gzip_magic(const std::string& path) {
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (!f) fail_open(path);
  unsigned char magic[2] = {0, 0};
  std::size_t n = std::fread(magic, 1, 2, f);
  std::fclose(f);
  return n == 2 && magic[0] == 0x1f && magic[1] == 0x8b;
}

}  // namespace

std::unique_ptr<ByteStream> ByteStream::open(const std::string& path) {
  if (has_gzip_magic(path)) return std::make_unique<GzipStream>(path);
  if (ends_with(path, ".gz")) throw Error(ErrorKind::Parse, "named .gz but is not a gzip file").with_file(path);
  return std::make_unique<PlainStream>(path);
}

std::string read_file(const std::string& path) {
  auto stream = ByteStream::open(path);
  std::string out;
  char buffer[1 << 16];
  for (;;) {
    std::size_t n = stream->read(buffer, sizeof(buffer));
    if (n == 0) break;
    out.append(buffer, n);
  }
  return out;
}

void write_file(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out) throw Error(ErrorKind::Io, std::string("cannot write: ") + std::strerror(errno)).with_file(path);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  if (!out) throw Error(ErrorKind::Io, "write failed").with_file(path);
}

bool file_exists(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

std::string resolve_maybe_gz(const std::string& path) {
  if (file_exists(path)) return path;
  if (file_exists(path + ".gz")) return path + ".gz";
  return path;
}

}  // namespace bf
