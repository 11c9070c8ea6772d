#include "support/error.h"

namespace bf {

const char* error_kind_name(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::Io:
      return "io";
    case ErrorKind::Parse:
      return "parse";
    case ErrorKind::Unsupported:
      return "unsupported";
    case ErrorKind::Invalid:
      return "invalid";
    case ErrorKind::Shape:
      return "shape";
    case ErrorKind::Usage:
      return "usage";
    case ErrorKind::Internal:
      return "internal";
  }
  return "unknown";
}

Error::Error(ErrorKind kind, std::string message)
    : std::runtime_error(message), kind_(kind), message_(std::move(message)) {
  render();
}

Error& Error::with_file(const std::string& path) {
  if (file_.empty()) {
    file_ = path;
    render();
  }
  return *this;
}

Error& Error::with_node(const std::string& node_name, const std::string& op_type) {
  if (node_.empty() && op_.empty()) {
    node_ = node_name;
    op_ = op_type;
    render();
  }
  return *this;
}

void Error::render() {
  std::string out;
  if (!file_.empty()) out += file_ + ": ";
  if (!node_.empty() || !op_.empty()) {
    out += "node '" + node_ + "'";
    if (!op_.empty()) out += " (" + op_ + ")";
    out += ": ";
  }
  // Keep the message on one line whatever a library handed us.
  for (char c : message_) out += (c == '\n' || c == '\r') ? ' ' : c;
  rendered_ = std::move(out);
}

}  // namespace bf
