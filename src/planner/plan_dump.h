// Textual and JSON dumps of a plan (`boundflow plan --dump text|json`). Both are
// byte-identical for the same input and options; timings, the only thing that
// varies between runs, are left out unless asked for. docs/plan_json.md
// documents the JSON.
#pragma once

#include <nlohmann/json_fwd.hpp>
#include <string>

#include "planner/plan_bundle.h"

namespace bf {

nlohmann::json plan_to_json(const PlanBundle& bundle, bool include_timings = false);
std::string plan_to_text(const PlanBundle& bundle, bool include_timings = false);
// The statistics block alone: counts and bytes, logical vs physical vs lower bound.
nlohmann::json storage_stats_json(const PlanBundle& bundle);
nlohmann::json reuse_stats_json(const ReuseStats& stats);
// Bytes of the constants (weights) the tasks read.
std::int64_t param_bytes(const PlanBundle& bundle);

}  // namespace bf
