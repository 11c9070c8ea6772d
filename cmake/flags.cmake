# Compiler flags shared by every target.
if(NOT CMAKE_BUILD_TYPE)
  set(CMAKE_BUILD_TYPE Release CACHE STRING "" FORCE)
endif()

# -Wno-restrict: GCC 12 reports false positives on std::string concatenation at -O3.
set(BF_WARNINGS -Wall -Wextra -Wpedantic -Wno-unused-parameter -Wno-restrict)
# x86-64-v3 = AVX2 + FMA + BMI2: the optimised build's floor. oneDNN picks wider ISAs at run time.
set(BF_ARCH_FLAGS -march=x86-64-v3 -mtune=generic)

if(BF_SANITIZE)
  set(BF_SAN_FLAGS -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer)
  add_compile_options(${BF_SAN_FLAGS} -O1 -g)
  add_link_options(${BF_SAN_FLAGS})
  add_compile_definitions(BF_SANITIZE_BUILD=1)
endif()

if(BF_FUZZ)
  if(NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
    message(FATAL_ERROR "BF_FUZZ needs clang (libFuzzer): configure with CXX=clang++")
  endif()
  set(BF_FUZZ_FLAGS -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer)
  add_compile_options(${BF_FUZZ_FLAGS} -O1 -g)
  add_link_options(-fsanitize=address,undefined)
endif()

# No -ffast-math anywhere: bounds must follow IEEE semantics (NaN checks, no reassociation).
set(CMAKE_CXX_FLAGS_RELEASE "-O3 -DNDEBUG")
set(CMAKE_CXX_FLAGS_DEBUG "-O0 -g")
