#include "frontend/vnnlib/vnnlib_tokens.h"

#include <fmt/format.h>

#include <cctype>

#include "support/error.h"

namespace bf {
namespace {

// Longer symbols are not VNN-LIB (numbers, names and indices are short); a
// quoted ONNX name may be longer.
constexpr std::size_t kMaxSymbol = 256;
constexpr std::size_t kMaxQuoted = 4096;

bool printable(int c) { return c >= 0x20 && c < 0x7f; }

}  // namespace

void vnnlib_error(const std::string& path, std::int64_t line, const std::string& what) {
  throw Error(ErrorKind::Parse, fmt::format("{}:{}: {}", path, line, what));
}

void vnnlib_unsupported(const std::string& path, std::int64_t line, const std::string& what) {
  throw Error(ErrorKind::Unsupported, fmt::format("{}:{}: {}", path, line, what));
}

VnnlibTokenizer::VnnlibTokenizer(const std::string& path) : path_(path), stream_(ByteStream::open(path)) {}

int VnnlibTokenizer::peek() {
  if (pos_ == size_) {
    size_ = stream_->read(buffer_, sizeof(buffer_));
    pos_ = 0;
    if (size_ == 0) return -1;
  }
  return static_cast<unsigned char>(buffer_[pos_]);
}

int VnnlibTokenizer::get() {
  const int c = peek();
  if (c >= 0) ++pos_;
  if (c == '\n') ++line_;
  return c;
}

std::string VnnlibTokenizer::quoted(char close) {
  const std::int64_t start = line_;
  std::string text;
  for (;;) {
    const int c = get();
    if (c < 0 || c == '\n')
      vnnlib_error(path_, start, fmt::format("a symbol quoted with {} is not closed on its line", close));
    if (c == close) return text;
    if (!printable(c)) vnnlib_error(path_, line_, fmt::format("a quoted symbol holds a byte 0x{:02x}", c));
    text += static_cast<char>(c);
    if (text.size() > kMaxQuoted) vnnlib_error(path_, start, fmt::format("a quoted symbol longer than {}", kMaxQuoted));
  }
}

VnnlibToken VnnlibTokenizer::next() {
  for (;;) {
    const int c = peek();
    if (c < 0) return {VnnlibToken::End, "", line_};
    if (std::isspace(c)) {
      get();
    } else if (c == ';') {
      while (peek() >= 0 && peek() != '\n') get();
    } else {
      break;
    }
  }
  const std::int64_t line = line_;
  const int c = get();
  if (c == '(') return {VnnlibToken::Open, "(", line};
  if (c == ')') return {VnnlibToken::Close, ")", line};
  if (c == '|' || c == '"') return {VnnlibToken::Symbol, quoted(static_cast<char>(c)), line, true};
  if (!printable(c)) vnnlib_error(path_, line, fmt::format("a byte 0x{:02x} that is not text", c));
  std::string text(1, static_cast<char>(c));
  int depth = c == '[' ? 1 : 0;  // inside brackets blanks are dropped and ( ) ; end nothing
  for (;;) {
    const int d = peek();
    if (d < 0) break;
    if (depth == 0 && (std::isspace(d) || d == '(' || d == ')' || d == ';')) break;
    get();
    if (std::isspace(d)) continue;
    if (!printable(d)) vnnlib_error(path_, line_, fmt::format("a byte 0x{:02x} that is not text", d));
    if (d == '[') ++depth;
    if (d == ']' && --depth < 0) vnnlib_error(path_, line_, fmt::format("']' without '[' in '{}]'", text));
    text += static_cast<char>(d);
    if (text.size() > kMaxSymbol)
      vnnlib_error(path_, line, fmt::format("a token longer than {} characters", kMaxSymbol));
  }
  if (depth > 0) vnnlib_error(path_, line, fmt::format("'[' never closed in '{}'", text));
  return {VnnlibToken::Symbol, text, line};
}

}  // namespace bf
