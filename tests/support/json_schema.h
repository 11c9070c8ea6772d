// A small JSON Schema checker for the tests: the subset our schemas in docs/
// use (type, required, properties, items, minimum, enum, $ref to #/definitions).
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace bf::test {

// Every violation, as "path: problem"; empty when `value` conforms.
std::vector<std::string> schema_violations(const nlohmann::json& schema, const nlohmann::json& value);

}  // namespace bf::test
