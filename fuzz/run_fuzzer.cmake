# Runs one fuzzer briefly on a fresh copy of its seed corpus (the committed seeds stay as they
# are): cmake -DFUZZER=... -DCORPUS=... -DWORK=... -DRUNS=... -DSECONDS=... -P run_fuzzer.cmake
# Fails if the fuzzer finds a crash, a sanitizer report, a broken invariant, a leak, an input
# slower than 10 s, or a single allocation over 64 MiB; the input is saved under WORK/.
foreach(var FUZZER CORPUS WORK RUNS SECONDS)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "run_fuzzer.cmake: -D${var}=... is missing")
  endif()
endforeach()
file(REMOVE_RECURSE ${WORK})
file(MAKE_DIRECTORY ${WORK}/corpus ${WORK}/artifacts)
file(GLOB seeds ${CORPUS}/*)
if(NOT seeds)
  message(FATAL_ERROR "run_fuzzer.cmake: no seeds in ${CORPUS}")
endif()
file(COPY ${seeds} DESTINATION ${WORK}/corpus)
execute_process(
  COMMAND ${FUZZER} -seed=1 -runs=${RUNS} -max_total_time=${SECONDS} -timeout=10
          -malloc_limit_mb=64 -rss_limit_mb=2048 -print_final_stats=1
          -artifact_prefix=${WORK}/artifacts/ ${WORK}/corpus
  WORKING_DIRECTORY ${WORK}
  RESULT_VARIABLE result
  OUTPUT_VARIABLE output
  ERROR_VARIABLE output)
string(REGEX MATCH "#[0-9]+[ \t]+DONE[^\n]*" done "${output}")
if(NOT result EQUAL 0)
  message("${output}")
  file(GLOB found ${WORK}/artifacts/*)
  message(FATAL_ERROR "${FUZZER} failed (exit ${result}); the input: ${found}\n"
                      "Reproduce: ${FUZZER} ${found}")
endif()
message(STATUS "${done}")
