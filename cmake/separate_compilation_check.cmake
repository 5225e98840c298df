# Checks of separate compilation (tests/CMakeLists.txt), run with cmake -P:
#  -DHEADER=exe -DCOMPILED=exe -DWORK=dir: the twin program built both ways computes the same.
#  -DOBJECTS=obj -DNM=nm: the program's object file uses the compiled part's functions and
#   defines none of them (with headers only it defines them all, as weak symbols).
if(DEFINED OBJECTS)
  execute_process(COMMAND ${NM} -C ${OBJECTS} OUTPUT_VARIABLE symbols RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "${NM} failed on ${OBJECTS}")
  endif()
  string(REPLACE "\n" ";" lines "${symbols}")
  set(compiled_part
    "tensorguard::cpu::Convolution::convolve<float" "tensorguard::cpu::Blas::gemm<float>"
    "tensorguard::detail::TrainingMonitor::loss" "tensorguard::detail::GuardSink::fire"
    "tensorguard::detail::parse_checkpoint<float>" "tensorguard::detail::checkpoint_bytes<float>"
    "tensorguard::detail::check_shift<float>" "tensorguard::detail::augment_images<float>"
    "tensorguard::detail::write_file_atomically" "tensorguard::ProgressDisplay::end_epoch")
  set(failures "")
  foreach(name ${compiled_part})
    set(used OFF)
    foreach(line ${lines})
      string(FIND "${line}" "${name}" at)
      if(at EQUAL -1)
        continue()
      endif()
      if(line MATCHES "^ +U ")
        set(used ON)
      else()
        string(APPEND failures "\n  defined here: ${line}")
      endif()
    endforeach()
    if(NOT used)
      string(APPEND failures "\n  not called from the compiled part: ${name}")
    endif()
  endforeach()
  if(failures)
    message(FATAL_ERROR "a program built with TG_SEPARATE_COMPILATION compiled code that "
                        "tensorguard::compiled provides:${failures}")
  endif()
  message(STATUS "the program's object file calls the compiled part and defines none of it")
  return()
endif()

file(REMOVE_RECURSE ${WORK})
file(MAKE_DIRECTORY ${WORK}/header ${WORK}/compiled)
execute_process(COMMAND ${COMPILED} ${WORK}/compiled OUTPUT_VARIABLE compiled_out
                RESULT_VARIABLE rc)
message(STATUS "compiled apart:\n${compiled_out}")
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "the build against tensorguard::compiled failed (${rc})")
endif()
file(WRITE ${WORK}/compiled.txt "${compiled_out}")
execute_process(COMMAND ${HEADER} ${WORK}/header ${WORK}/compiled.txt OUTPUT_VARIABLE header_out
                RESULT_VARIABLE rc)
message(STATUS "headers only, compared:\n${header_out}")
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "the two builds differ, or the headers-only build failed (${rc})")
endif()
