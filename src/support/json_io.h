// JSON files in and out (nlohmann-json), with errors that name the file.
#pragma once

#include <nlohmann/json_fwd.hpp>
#include <string>

namespace bf {

// Parses a JSON file (gzip allowed); bf::Error(Parse) names the file and the position.
nlohmann::json read_json_file(const std::string& path);

// Writes `value` with 2-space indentation and a trailing newline.
void write_json_file(const std::string& path, const nlohmann::json& value);

}  // namespace bf
