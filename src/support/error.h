// One error type for all of BoundFlow. It carries the context a user needs to act
// on it (file, node, op type) and renders as a single line.
#pragma once

#include <fmt/format.h>

#include <stdexcept>
#include <string>

namespace bf {

enum class ErrorKind {
  Io,           // cannot open / read / write a file
  Parse,        // the bytes are not what the format says (bad protobuf, bad JSON, bad VNN-LIB)
  Unsupported,  // valid input we do not handle: unknown op, attribute value, dtype
  Invalid,      // structurally wrong model or request: missing initializer, cycles, bad option
  Shape,        // shapes or dtypes do not agree
  Usage,        // bad command-line usage
  Internal,     // a BoundFlow invariant broke: always a bug
};

const char* error_kind_name(ErrorKind kind);

class Error : public std::runtime_error {
 public:
  Error(ErrorKind kind, std::string message);

  ErrorKind kind() const { return kind_; }
  const std::string& message() const { return message_; }
  const std::string& file() const { return file_; }
  const std::string& node() const { return node_; }
  const std::string& op() const { return op_; }

  // Context is filled in as the error travels outwards; the innermost setter wins,
  // so a helper deep in the importer can name the node before the loader names the file.
  Error& with_file(const std::string& path);
  Error& with_node(const std::string& node_name, const std::string& op_type);

  // "<file>: node '<name>' (<op>): <message>" with absent parts left out.
  const char* what() const noexcept override { return rendered_.c_str(); }

 private:
  void render();

  ErrorKind kind_;
  std::string message_;
  std::string file_;
  std::string node_;
  std::string op_;
  std::string rendered_;
};

template <typename... Args>
[[noreturn]] void fail(ErrorKind kind, fmt::format_string<Args...> format, Args&&... args) {
  throw Error(kind, fmt::format(format, std::forward<Args>(args)...));
}

}  // namespace bf

// Checks a condition on user-provided data; throws bf::Error of the given kind.
#define BF_CHECK(cond, kind, ...)                 \
  do {                                            \
    if (!(cond)) ::bf::fail((kind), __VA_ARGS__); \
  } while (0)

// Checks an internal invariant; a failure is a BoundFlow bug, reported with its location.
#define BF_ASSERT(cond)                                                                                       \
  do {                                                                                                        \
    if (!(cond))                                                                                              \
      ::bf::fail(::bf::ErrorKind::Internal, "internal error: {} failed at {}:{}", #cond, __FILE__, __LINE__); \
  } while (0)
