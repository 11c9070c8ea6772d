# bf_module(NAME SOURCES ... DEPS ...): one static library per folder of src/.
function(bf_module name)
  cmake_parse_arguments(M "" "" "SOURCES;DEPS" ${ARGN})
  add_library(${name} STATIC ${M_SOURCES})
  target_include_directories(${name} PUBLIC ${PROJECT_SOURCE_DIR}/src)
  target_compile_options(${name} PRIVATE ${BF_WARNINGS} ${BF_ARCH_FLAGS})
  target_link_libraries(${name} PUBLIC ${M_DEPS})
endfunction()

# bf_test(NAME SOURCES ... DEPS ... LABELS ...): one GoogleTest executable registered with ctest.
function(bf_test name)
  cmake_parse_arguments(T "" "TIMEOUT" "SOURCES;DEPS;LABELS" ${ARGN})
  add_executable(${name} ${T_SOURCES})
  target_compile_options(${name} PRIVATE ${BF_WARNINGS} ${BF_ARCH_FLAGS})
  target_link_libraries(${name} PRIVATE ${T_DEPS} bf_test_support GTest::gtest GTest::gtest_main)
  target_compile_definitions(${name} PRIVATE
    BF_SOURCE_DIR="${PROJECT_SOURCE_DIR}"
    BF_SHARED_DIR="${BF_SHARED_DIR}"
    BF_ONNX_TESTDATA_DIR="${BF_ONNX_TESTDATA_DIR}"
    BF_BINARY_DIR="${PROJECT_BINARY_DIR}")
  add_test(NAME ${name} COMMAND ${name} WORKING_DIRECTORY ${PROJECT_BINARY_DIR})
  if(NOT T_TIMEOUT)
    set(T_TIMEOUT 600)
  endif()
  # One OpenMP thread per test: ctest runs tests side by side, and oneDNN's
  # spinning OpenMP threads stall badly when the cores are oversubscribed.
  set_tests_properties(${name} PROPERTIES LABELS "${T_LABELS}" TIMEOUT ${T_TIMEOUT} ENVIRONMENT "OMP_NUM_THREADS=1")
  if("unit" IN_LIST T_LABELS)
    add_dependencies(bf_unit_tests ${name})
  endif()
endfunction()
