#include "planner/planner_config.h"

#include <nlohmann/json.hpp>

#include "support/error.h"

namespace bf {

const char* planner_version_name(PlannerVersion v) { return v == PlannerVersion::V0 ? "v0" : "v2"; }

const char* partition_policy_name(PartitionPolicy p) { return p == PartitionPolicy::Balanced ? "balanced" : "layer"; }

const char* reuse_policy_name(ReusePolicy p) { return p == ReusePolicy::Exact ? "exact" : "size"; }

const char* plan_domain_name(PlanDomain d) {
  switch (d) {
    case PlanDomain::Interval:
      return "interval";
    case PlanDomain::Primal:
      return "primal";
    case PlanDomain::Linear:
      return "linear";
  }
  return "?";
}

PlannerVersion parse_planner_version(const std::string& s) {
  if (s == "v0") return PlannerVersion::V0;
  if (s == "v2") return PlannerVersion::V2;
  fail(ErrorKind::Usage, "unknown planner '{}' (expected v0 or v2)", s);
}

PartitionPolicy parse_partition_policy(const std::string& s) {
  if (s == "balanced") return PartitionPolicy::Balanced;
  if (s == "layer") return PartitionPolicy::Layer;
  fail(ErrorKind::Usage, "unknown partition policy '{}' (expected balanced or layer)", s);
}

ReusePolicy parse_reuse_policy(const std::string& s) {
  if (s == "exact") return ReusePolicy::Exact;
  if (s == "size") return ReusePolicy::Size;
  fail(ErrorKind::Usage, "unknown reuse policy '{}' (expected exact or size)", s);
}

nlohmann::json config_to_json(const PlannerConfig& c) {
  return nlohmann::json{
      {"planner", planner_version_name(c.version)},
      {"min_tasks", c.min_tasks},
      {"max_ops_per_task", c.max_ops_per_task},
      {"partition_policy", partition_policy_name(c.partition_policy)},
      {"enable_storage_reuse", c.enable_storage_reuse},
      {"reuse_policy", reuse_policy_name(c.reuse_policy)},
      {"domain", plan_domain_name(c.domain)},
      {"dtype", std::string(dtype_name(c.dtype))},
      {"batch", c.batch},
      {"alignment", c.alignment},
      {"verify", c.verify},
      {"export_intermediates", c.export_intermediates},
      {"sound_fp", c.sound_fp},
      {"batch_account", c.batch_account},
  };
}

void check_config(const PlannerConfig& c) {
  BF_CHECK(c.min_tasks >= 1, ErrorKind::Usage, "min_tasks must be >= 1, got {}", c.min_tasks);
  BF_CHECK(c.max_ops_per_task >= 0, ErrorKind::Usage, "max_ops_per_task must be >= 0, got {}", c.max_ops_per_task);
  BF_CHECK(c.batch >= 1, ErrorKind::Usage, "batch must be >= 1, got {}", c.batch);
  BF_CHECK(c.alignment >= 1 && (c.alignment & (c.alignment - 1)) == 0, ErrorKind::Usage,
           "alignment must be a power of two, got {}", c.alignment);
  BF_CHECK(is_floating(c.dtype), ErrorKind::Usage, "plan dtype must be f32 or f64");
}

}  // namespace bf
