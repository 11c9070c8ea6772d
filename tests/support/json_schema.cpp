#include "support/json_schema.h"

#include <stdexcept>

namespace bf::test {
namespace {

bool has_type(const nlohmann::json& v, const std::string& type) {
  if (type == "object") return v.is_object();
  if (type == "array") return v.is_array();
  if (type == "string") return v.is_string();
  if (type == "boolean") return v.is_boolean();
  if (type == "null") return v.is_null();
  if (type == "integer") return v.is_number_integer();
  if (type == "number") return v.is_number();
  throw std::runtime_error("schema uses unknown type '" + type + "'");
}

void check(const nlohmann::json& root, const nlohmann::json& schema, const nlohmann::json& v, const std::string& path,
           std::vector<std::string>& out) {
  if (schema.contains("$ref")) {
    const std::string ref = schema["$ref"].get<std::string>();
    const std::string prefix = "#/definitions/";
    if (ref.rfind(prefix, 0) != 0) throw std::runtime_error("unsupported $ref " + ref);
    check(root, root.at("definitions").at(ref.substr(prefix.size())), v, path, out);
    return;
  }
  if (schema.contains("type")) {
    std::vector<std::string> types;
    if (schema["type"].is_array()) {
      types = schema["type"].get<std::vector<std::string>>();
    } else {
      types = {schema["type"].get<std::string>()};
    }
    bool ok = false;
    for (const auto& t : types) ok |= has_type(v, t);
    if (!ok) {
      out.push_back(path + ": expected " + schema["type"].dump() + ", got " + v.type_name());
      return;
    }
  }
  if (schema.contains("enum")) {
    bool found = false;
    for (const auto& e : schema["enum"]) found |= e == v;
    if (!found) out.push_back(path + ": " + v.dump() + " not in " + schema["enum"].dump());
  }
  if (schema.contains("minimum") && v.is_number() && v.get<double>() < schema["minimum"].get<double>()) {
    out.push_back(path + ": " + v.dump() + " below minimum " + schema["minimum"].dump());
  }
  if (v.is_object()) {
    if (schema.contains("required")) {
      for (const auto& key : schema["required"]) {
        if (!v.contains(key.get<std::string>())) out.push_back(path + ": missing '" + key.get<std::string>() + "'");
      }
    }
    if (schema.contains("properties")) {
      for (const auto& [key, sub] : schema["properties"].items()) {
        if (v.contains(key)) check(root, sub, v[key], path + "." + key, out);
      }
    }
  }
  if (v.is_array() && schema.contains("items")) {
    for (std::size_t i = 0; i < v.size(); ++i)
      check(root, schema["items"], v[i], path + "[" + std::to_string(i) + "]", out);
  }
}

}  // namespace

std::vector<std::string> schema_violations(const nlohmann::json& schema, const nlohmann::json& value) {
  std::vector<std::string> out;
  check(schema, schema, value, "$", out);
  return out;
}

}  // namespace bf::test
