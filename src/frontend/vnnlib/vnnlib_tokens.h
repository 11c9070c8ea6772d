// The tokens of a VNN-LIB file (1.0 and 2.0), read as a stream (.gz directly):
// parentheses and symbols, ';' to the end of the line a comment. A symbol
// runs to whitespace or a parenthesis, except inside brackets: `X[0, 780]` and
// `[1, 784]` are one symbol each, their blanks dropped. `|...|` and `"..."`
// quote a symbol (an ONNX name may hold anything but the closing quote).
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "support/file_io.h"

namespace bf {

struct VnnlibToken {
  enum Kind { Open, Close, Symbol, End } kind = End;
  std::string text;
  std::int64_t line = 0;
  bool quoted = false;  // written as |...| or "..."

  std::string shown() const { return kind == End ? "end of file" : "'" + text + "'"; }
};

class VnnlibTokenizer {
 public:
  explicit VnnlibTokenizer(const std::string& path);

  VnnlibToken next();
  std::int64_t line() const { return line_; }
  const std::string& path() const { return path_; }

 private:
  int peek();
  int get();
  std::string quoted(char close);

  std::string path_;
  std::unique_ptr<ByteStream> stream_;
  char buffer_[1 << 16];
  std::size_t pos_ = 0, size_ = 0;
  std::int64_t line_ = 1;
};

// A parse error: one line naming the file, the line and the problem.
[[noreturn]] void vnnlib_error(const std::string& path, std::int64_t line, const std::string& what);
// The same for a well-formed property we do not decide (a nonlinear term,
// several networks, ...): ErrorKind::Unsupported, which `verify` answers `unknown`.
[[noreturn]] void vnnlib_unsupported(const std::string& path, std::int64_t line, const std::string& what);

}  // namespace bf
