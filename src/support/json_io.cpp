#include "support/json_io.h"

#include <nlohmann/json.hpp>

#include "support/error.h"
#include "support/file_io.h"

namespace bf {

nlohmann::json read_json_file(const std::string& path) {
  std::string text = read_file(path);
  try {
    return nlohmann::json::parse(text);
  } catch (const nlohmann::json::exception& e) {
    // parse_error, and out_of_range for numbers beyond double (1e999).
    throw Error(ErrorKind::Parse, std::string("invalid JSON: ") + e.what()).with_file(path);
  }
}

void write_json_file(const std::string& path, const nlohmann::json& value) { write_file(path, value.dump(2) + "\n"); }

}  // namespace bf
