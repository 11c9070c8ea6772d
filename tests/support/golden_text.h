// Golden text files pin a dump format: a test renders a dump and compares it
// byte for byte with tests/golden/<name>. Comparing two dumps made in one process
// proves only determinism; a golden file also catches a format that drifts.
//
// After an intended format change, regenerate with BF_UPDATE_GOLDEN=1 (the test
// then writes the file and passes) and review the diff in git.
#pragma once

#include <string>

namespace bf::test {

// Path of a golden file under tests/golden/.
std::string golden_path(const std::string& name);

// Adds a test failure, with the first differing line, unless `actual` equals the
// golden file's bytes.
void expect_golden_text(const std::string& actual, const std::string& name);

}  // namespace bf::test
