# The CUDA backend's compiled component, tensorguard::cuda (docs/backends.md). TG_CUDA: ON (fail
# without the toolkit), OFF, or AUTO (build it when nvcc and the CUDA toolkit are found).
set(TG_CUDA AUTO CACHE STRING "Build the CUDA backend tensorguard::cuda: ON, OFF or AUTO")
set_property(CACHE TG_CUDA PROPERTY STRINGS ON OFF AUTO)
set(TG_CUDA_ARCHITECTURES "80;90" CACHE STRING "GPU architectures the CUDA backend is built for")
set(TG_HAS_CUDA OFF)
if(NOT TG_CUDA STREQUAL "OFF")
  if(NOT CMAKE_CUDA_COMPILER AND NOT DEFINED ENV{CUDACXX} AND EXISTS /usr/local/cuda/bin/nvcc)
    set(CMAKE_CUDA_COMPILER /usr/local/cuda/bin/nvcc)
  endif()
  include(CheckLanguage)
  check_language(CUDA)
  if(CMAKE_CUDA_COMPILER)
    enable_language(CUDA)
    find_package(CUDAToolkit)
    if(CUDAToolkit_FOUND)
      set(TG_HAS_CUDA ON)
    endif()
  endif()
  if(NOT TG_HAS_CUDA)
    if(TG_CUDA STREQUAL "ON")
      message(FATAL_ERROR "TG_CUDA=ON, but no CUDA toolkit was found (nvcc, cudart, cuBLAS): "
                          "install it, set CUDACXX to nvcc, or configure with -DTG_CUDA=OFF")
    endif()
    message(STATUS "CUDA toolkit not found: tensorguard::cuda is not built")
  endif()
endif()

if(TG_HAS_CUDA)
  add_library(tensorguard_cuda STATIC
    src/cuda/context.cu src/cuda/elementwise.cu src/cuda/window.cu src/cuda/reduce.cu)
  add_library(tensorguard::cuda ALIAS tensorguard_cuda)
  set_target_properties(tensorguard_cuda PROPERTIES
    CUDA_ARCHITECTURES "${TG_CUDA_ARCHITECTURES}" POSITION_INDEPENDENT_CODE ON EXPORT_NAME cuda)
  target_include_directories(tensorguard_cuda PUBLIC
    $<BUILD_INTERFACE:${PROJECT_SOURCE_DIR}/include>
    $<INSTALL_INTERFACE:${CMAKE_INSTALL_INCLUDEDIR}>)
  # CMake 3.25 refuses CUDA_STANDARD 20, so the flag is given directly. Warnings are errors,
  # and ptxas fails on a register spill.
  target_compile_options(tensorguard_cuda PRIVATE
    $<$<COMPILE_LANGUAGE:CUDA>:-std=c++20 -Werror=all-warnings -Xptxas=--warn-on-spills,--warning-as-error>)
  target_link_libraries(tensorguard_cuda PUBLIC tensorguard CUDA::cudart_static CUDA::cublas)
  install(TARGETS tensorguard_cuda EXPORT tensorguardTargets ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR})
endif()
