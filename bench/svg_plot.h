// A small SVG chart of the four-quadrant benchmark: per model, peak bytes and
// run time (p50) for each quadrant, as grouped bars, so a person can see the
// result at a glance.
#pragma once

#include <nlohmann/json_fwd.hpp>
#include <string>

namespace bf::bench {

std::string quadrant_plot_svg(const nlohmann::json& results);

}  // namespace bf::bench
