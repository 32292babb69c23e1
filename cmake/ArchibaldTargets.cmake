# Shared target settings: warnings, sanitizers, test registration.

set(ARCHIBALD_TEST_LABELS unit integration slow nix)

# Sanitizer flags for one target (compile, and link unless it is a static/object library).
function(_archibald_sanitize target)
  if(NOT ARCHIBALD_SANITIZE)
    return()
  endif()
  list(JOIN ARCHIBALD_SANITIZE "," sanitizers)
  target_compile_options(${target} PRIVATE -fsanitize=${sanitizers} -fno-omit-frame-pointer
                                           -fno-sanitize-recover=all)
  get_target_property(type ${target} TYPE)
  if(NOT type STREQUAL "STATIC_LIBRARY" AND NOT type STREQUAL "OBJECT_LIBRARY")
    target_link_options(${target} PRIVATE -fsanitize=${sanitizers})
  endif()
endfunction()

# archibald_target_defaults(target): warnings (errors under ARCHIBALD_WERROR) and sanitizers.
function(archibald_target_defaults target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wshadow -Wnon-virtual-dtor
                                           -Wold-style-cast -Wcast-align -Wunused
                                           -Woverloaded-virtual -Wpedantic)
  if(ARCHIBALD_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
  _archibald_sanitize(${target})
endfunction()

# C sources are compiled with the same rules minus the C++-only warnings.
function(archibald_c_target_defaults target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic)
  if(ARCHIBALD_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
  _archibald_sanitize(${target})
endfunction()

# Every test carries one of ARCHIBALD_TEST_LABELS; TIMEOUT defaults to 120 s. REALTIME marks a
# test that judges audio through JACK servers in real time: ctest runs it with nothing beside it
# (RUN_SERIAL), because on a 2-core machine a neighbouring test's load becomes xruns and late
# packets that the test cannot tell from faults of its own.
macro(_archibald_test_args name)
  cmake_parse_arguments(ARG "REALTIME" "LABEL;TIMEOUT" "SOURCES;LIBS;COMMAND" ${ARGN})
  if(NOT ARG_LABEL IN_LIST ARCHIBALD_TEST_LABELS)
    message(FATAL_ERROR "${name}: LABEL must be one of ${ARCHIBALD_TEST_LABELS}, got '${ARG_LABEL}'")
  endif()
  if(NOT ARG_TIMEOUT)
    set(ARG_TIMEOUT 120)
  endif()
  # Sanitizer builds: leaks that system libraries keep until exit are not ours (the file says
  # which); harmless without sanitizers.
  set(ARG_ENV "LSAN_OPTIONS=suppressions=${PROJECT_SOURCE_DIR}/cmake/lsan-suppressions.txt")
endmacro()

# archibald_add_gtest(NAME SOURCES a.cc... LIBS lib... LABEL unit|integration|slow|nix
#                     [TIMEOUT seconds] [REALTIME])
# Builds a GoogleTest binary and registers each of its tests with ctest, labelled.
function(archibald_add_gtest name)
  _archibald_test_args(${name} ${ARGN})
  add_executable(${name} ${ARG_SOURCES})
  target_link_libraries(${name} PRIVATE ${ARG_LIBS} GTest::gmock GTest::gtest_main)
  archibald_target_defaults(${name})
  gtest_discover_tests(${name}
    PROPERTIES LABELS "${ARG_LABEL}" TIMEOUT ${ARG_TIMEOUT} ENVIRONMENT "${ARG_ENV}"
               RUN_SERIAL ${ARG_REALTIME}
    DISCOVERY_TIMEOUT 60)
endfunction()

# archibald_add_script_test(NAME COMMAND cmd... LABEL label [TIMEOUT seconds] [REALTIME])
# Registers a non-GoogleTest test (a script or a program run with arguments).
function(archibald_add_script_test name)
  _archibald_test_args(${name} ${ARGN})
  add_test(NAME ${name} COMMAND ${ARG_COMMAND})
  set_tests_properties(${name} PROPERTIES LABELS "${ARG_LABEL}" TIMEOUT ${ARG_TIMEOUT}
    ENVIRONMENT "${ARG_ENV}" RUN_SERIAL ${ARG_REALTIME})
endfunction()
