// Reading files that may be gzip-compressed. VNN-COMP ships `.onnx.gz` and
// `.vnnlib.gz`; every reader in BoundFlow goes through here so `.gz` works everywhere.
#pragma once

#include <cstddef>
#include <memory>
#include <string>

namespace bf {

// Whole file, transparently gunzipped when it starts with the gzip magic bytes.
// A `.gz` name whose content is not gzip, a truncated gzip stream, a missing or
// unreadable file: each throws bf::Error naming the path.
std::string read_file(const std::string& path);

// Writes bytes to a file, replacing it; throws bf::Error(Io) on failure.
void write_file(const std::string& path, const std::string& bytes);

bool file_exists(const std::string& path);

// Returns `path` if it exists, else `path + ".gz"` if that exists, else `path`
// (expected.csv files name `x.onnx` where the folder holds `x.onnx.gz`).
std::string resolve_maybe_gz(const std::string& path);

// A chunked reader for large text inputs (VNN-LIB): the file is never held whole.
class ByteStream {
 public:
  static std::unique_ptr<ByteStream> open(const std::string& path);
  virtual ~ByteStream() = default;
  // Fills up to `capacity` bytes; returns the count, 0 at end of stream.
  virtual std::size_t read(char* buffer, std::size_t capacity) = 0;
  const std::string& path() const { return path_; }

 protected:
  explicit ByteStream(std::string path) : path_(std::move(path)) {}

 private:
  std::string path_;
};

}  // namespace bf
