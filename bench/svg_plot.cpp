#include "svg_plot.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>
#include <vector>

namespace bf::bench {
namespace {

struct Bar {
  std::string quadrant;
  double value;
};

const char* kColours[] = {"#9e9e9e", "#4e79a7", "#f28e2b", "#59a14f"};

// Short labels that fit over a bar: 11.5k, 2.09M, 0.0348.
std::string short_value(double v) {
  if (v >= 1e9) return fmt::format("{:.3g}G", v / 1e9);
  if (v >= 1e6) return fmt::format("{:.3g}M", v / 1e6);
  if (v >= 1e4) return fmt::format("{:.3g}k", v / 1e3);
  return fmt::format("{:.3g}", v);
}

std::string quadrant_name(const nlohmann::json& r) {
  return fmt::format("reuse {} / static {}", r["quadrant"]["planner_reuse"].get<std::string>(),
                     r["quadrant"]["static_plan"].get<bool>() ? "on" : "off");
}

// One panel: a group of four bars per model, each model scaled to its own maximum
// (models differ by orders of magnitude), labelled with the value.
std::string panel(const std::vector<std::string>& models, const std::map<std::string, std::vector<Bar>>& bars,
                  const std::string& title, const std::string& unit, double y0, double width) {
  const double height = 220, top = y0 + 30,
               group = width / static_cast<double>(std::max<std::size_t>(1, models.size()));
  std::string s = fmt::format("<text x='10' y='{}' font-size='15' font-weight='bold'>{}</text>\n", y0 + 18, title);
  for (std::size_t m = 0; m < models.size(); ++m) {
    const auto& group_bars = bars.at(models[m]);
    double max = 0;
    for (const auto& b : group_bars) max = std::max(max, b.value);
    const double x0 = 10 + group * static_cast<double>(m);
    const double bw = (group - 30) / 4.0;
    for (std::size_t q = 0; q < group_bars.size(); ++q) {
      const double h = max > 0 ? height * group_bars[q].value / max : 0;
      const double x = x0 + static_cast<double>(q) * bw;
      s += fmt::format(
          "<rect x='{:.1f}' y='{:.1f}' width='{:.1f}' height='{:.1f}' fill='{}'><title>{}: {:.6g} {}</title></rect>\n",
          x, top + height - h, bw - 2, h, kColours[q % 4], group_bars[q].quadrant, group_bars[q].value, unit);
      s += fmt::format("<text x='{:.1f}' y='{:.1f}' font-size='9' text-anchor='middle'>{}</text>\n", x + bw / 2,
                       top + height - h - 3, short_value(group_bars[q].value));
    }
    s += fmt::format("<text x='{:.1f}' y='{:.1f}' font-size='11' text-anchor='middle'>{}</text>\n",
                     x0 + (group - 30) / 2, top + height + 16, models[m]);
  }
  return s;
}

}  // namespace

std::string quadrant_plot_svg(const nlohmann::json& results) {
  std::vector<std::string> models;
  std::map<std::string, std::vector<Bar>> peak, time;
  std::vector<std::string> quadrants;
  for (const auto& r : results) {
    const std::string model = r["model"].get<std::string>();
    if (!peak.count(model)) models.push_back(model);
    peak[model].push_back({quadrant_name(r), r["runtime"]["peak_bytes"].get<double>()});
    time[model].push_back({quadrant_name(r), r["runtime"]["run_ms_p50"].get<double>()});
    if (quadrants.size() < 4 && std::find(quadrants.begin(), quadrants.end(), quadrant_name(r)) == quadrants.end()) {
      quadrants.push_back(quadrant_name(r));
    }
  }
  const double width = std::max(600.0, 190.0 * static_cast<double>(models.size()));
  std::string s = fmt::format(
      "<svg xmlns='http://www.w3.org/2000/svg' width='{:.0f}' height='620' font-family='sans-serif'>\n"
      "<rect width='100%' height='100%' fill='white'/>\n",
      width + 20);
  s += panel(models, peak, "Peak bytes per run (lower is better; each model scaled to its own maximum)", "bytes", 0,
             width);
  s += panel(models, time, "Run time p50 in ms (lower is better)", "ms", 280, width);
  for (std::size_t q = 0; q < quadrants.size(); ++q) {
    s += fmt::format(
        "<rect x='{}' y='585' width='12' height='12' fill='{}'/><text x='{}' y='595' font-size='11'>{}</text>\n",
        10 + 170 * q, kColours[q], 26 + 170 * q, quadrants[q]);
  }
  return s + "</svg>\n";
}

}  // namespace bf::bench
