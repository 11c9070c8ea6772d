#include "planner/plan_bundle.h"

namespace bf {

const char* sweep_rows_name(SweepRows rows) { return rows == SweepRows::All ? "all" : "unstable"; }

}  // namespace bf
