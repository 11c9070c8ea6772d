// Every option that shapes a plan. All of them appear in the config dump, and
// any of them that changes the plan's layout is part of what an executor's
// compile cache must key on.
#pragma once

#include <cstdint>
#include <nlohmann/json_fwd.hpp>
#include <string>

#include "tensor/dtype.h"

namespace bf {

enum class PlannerVersion : std::uint8_t {
  V0,  // the whole graph as one task
  V2,  // a task DAG cut at topological cut points
};

enum class PartitionPolicy : std::uint8_t {
  Balanced,  // tasks of near-equal op counts, cutting where the fewest buffers cross
  Layer,     // a cut after every activation (Relu, Sigmoid, ...) where possible
};

enum class ReusePolicy : std::uint8_t {
  Exact,  // reuse only a buffer whose storage key (scope/dtype/shape/...) is identical
  Size,   // best fit by bytes among free buffers of the same dtype and device
};

// What the plan's buffers hold.
enum class PlanDomain : std::uint8_t {
  Interval,  // a lower and an upper plane per value (IBP)
  Primal,    // one concrete value per element (forward pass)
  Linear,    // intervals, plus linear bounds (A matrices) of backward sweeps (CROWN family)
};

struct PlannerConfig {
  PlannerVersion version = PlannerVersion::V2;
  std::int64_t min_tasks = 1;
  std::int64_t max_ops_per_task = 0;  // 0: no limit
  PartitionPolicy partition_policy = PartitionPolicy::Balanced;
  bool enable_storage_reuse = false;
  ReusePolicy reuse_policy = ReusePolicy::Exact;
  PlanDomain domain = PlanDomain::Interval;
  DType dtype = DType::F32;
  std::int64_t batch = 1;
  std::int64_t alignment = 64;
  // Run the PlanVerifier after every pass (always done in builds without NDEBUG).
  bool verify = false;
  // Keep the bounds of intermediate values (the inputs of nonlinear activations
  // and pooling) for the caller: their buffers are pinned like graph outputs.
  bool export_intermediates = false;
  // Sound floating point (linear plans): the program carries a rounding
  // account (bound/rounding/), so its bounds hold in exact real arithmetic.
  bool sound_fp = false;
  // sound_fp: one rounding account for the whole batch, from the largest
  // magnitudes of its samples (AccountArgs::batch_max). For batches whose
  // samples lie inside one root (branch and bound's domains), where the
  // samples' magnitudes differ little and per-sample accounts cost as much
  // as the rest of the forward part.
  bool batch_account = false;
};

const char* planner_version_name(PlannerVersion v);
const char* partition_policy_name(PartitionPolicy p);
const char* reuse_policy_name(ReusePolicy p);
const char* plan_domain_name(PlanDomain d);
// Parsers for command-line values; throw bf::Error(Usage) listing the accepted values.
PlannerVersion parse_planner_version(const std::string& s);
PartitionPolicy parse_partition_policy(const std::string& s);
ReusePolicy parse_reuse_policy(const std::string& s);

// Every option, by name (keys sorted: the dump is byte-stable).
nlohmann::json config_to_json(const PlannerConfig& config);
// Throws bf::Error(Usage) for out-of-range values.
void check_config(const PlannerConfig& config);

}  // namespace bf
