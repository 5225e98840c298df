# Installs the project into a scratch prefix, then configures, builds and runs a consumer
# project that finds it with find_package(tensorguard).
file(REMOVE_RECURSE ${WORK})
function(run)
  execute_process(COMMAND ${ARGV} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "failed (${rc}): ${ARGV}\n${out}")
  endif()
endfunction()
run(${CMAKE_COMMAND} -S ${SOURCE} -B ${WORK}/build -DTG_BUILD_TESTS=OFF -DTG_BUILD_EXAMPLES=OFF -DTG_CUDA=OFF
    -DCMAKE_INSTALL_PREFIX=${WORK}/prefix)
run(${CMAKE_COMMAND} --install ${WORK}/build)
# The installed package, with tensorguard::tensorguard and with tensorguard::native.
foreach(native OFF ON)
  run(${CMAKE_COMMAND} -S ${CONSUMER} -B ${WORK}/consumer-${native}
      -DCMAKE_PREFIX_PATH=${WORK}/prefix -DCMAKE_BUILD_TYPE=Release -DCONSUMER_NATIVE=${native})
  run(${CMAKE_COMMAND} --build ${WORK}/consumer-${native})
  run(${WORK}/consumer-${native}/consumer)
endforeach()
message(STATUS "consumer built and ran against ${WORK}/prefix, plain and with tensorguard::native")
# The build tree, without installing.
run(${CMAKE_COMMAND} -S ${CONSUMER} -B ${WORK}/consumer-build-tree
    -Dtensorguard_DIR=${WORK}/build -DCMAKE_BUILD_TYPE=Release)
run(${CMAKE_COMMAND} --build ${WORK}/consumer-build-tree)
run(${WORK}/consumer-build-tree/consumer)
message(STATUS "consumer built and ran against the build tree ${WORK}/build")
# pkg-config, without CMake.
find_program(PKG_CONFIG pkg-config)
if(PKG_CONFIG)
  execute_process(COMMAND ${CMAKE_COMMAND} -E env PKG_CONFIG_PATH=${WORK}/prefix/lib/pkgconfig
                          ${PKG_CONFIG} --cflags --libs tensorguard
                  RESULT_VARIABLE rc OUTPUT_VARIABLE flags ERROR_VARIABLE err
                  OUTPUT_STRIP_TRAILING_WHITESPACE)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "pkg-config --cflags --libs tensorguard failed: ${err}")
  endif()
  separate_arguments(flags UNIX_COMMAND "${flags}")
  run(${CXX} -O1 ${CONSUMER}/main.cpp ${flags} -lz -o ${WORK}/consumer-pkg-config)
  run(${WORK}/consumer-pkg-config)
  message(STATUS "consumer built with pkg-config's flags and ran")
else()
  message(FATAL_ERROR "pkg-config not found (cmake/install-deps.sh installs it)")
endif()
