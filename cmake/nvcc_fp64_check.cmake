# The float kernels of the CUDA backend must not use double precision (a GPU runs FP64 at a
# fraction of the FP32 rate): each source is compiled with only its float instantiations
# (TG_CUDA_FLOAT_ONLY) and ptxas warns on any FP64 instruction; a warning fails the test.
#   -DNVCC=... -DINCLUDE=... -DSOURCES=a.cu,b.cu -DWORK=...
file(MAKE_DIRECTORY ${WORK})
string(REPLACE "," ";" sources "${SOURCES}")
foreach(source ${sources})
  get_filename_component(name ${source} NAME_WE)
  execute_process(COMMAND ${NVCC} -std=c++20 -O3 -gencode arch=compute_90,code=sm_90
                          -DTG_CUDA_FLOAT_ONLY -I${INCLUDE} -Xptxas=--warn-on-double-precision-use
                          -c ${source} -o ${WORK}/${name}.o
                  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out)
  if(NOT rc EQUAL 0 OR out MATCHES "[Ww]arning")
    message(FATAL_ERROR "${name}.cu: float kernels use FP64 or do not compile:\n${out}")
  endif()
  message(STATUS "${name}.cu: no FP64 in float kernels")
endforeach()
