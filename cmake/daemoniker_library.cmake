# daemoniker_add_library(NAME [STATIC|SHARED] [FAULT_INJECTION])
#
# One variant of the library: the shipped `daemoniker` (static or shared, as
# BUILD_SHARED_LIBS says when no type is given), the static copy the command
# links when the shipped one is shared, and the test build with fault
# injection. Every variant is compiled from the same sources with the same
# features, include directories, warnings, code generation flags and link
# dependencies, so that what the tests exercise is what ships.
#
# Expects DAEMONIKER_SOURCES_ABS, daemoniker_warnings, Threads::Threads and
# DAEMONIKER_NO_PLT (empty where the flag does not apply) from the caller.
function(daemoniker_add_library name)
  cmake_parse_arguments(PARSE_ARGV 1 arg "STATIC;SHARED;FAULT_INJECTION" "" "")
  if(arg_UNPARSED_ARGUMENTS)
    message(FATAL_ERROR "daemoniker_add_library(${name}): unknown arguments ${arg_UNPARSED_ARGUMENTS}")
  endif()
  set(type)
  if(arg_STATIC)
    set(type STATIC)
  elseif(arg_SHARED)
    set(type SHARED)
  endif()
  set(root ${CMAKE_CURRENT_FUNCTION_LIST_DIR}/..)
  add_library(${name} ${type} ${DAEMONIKER_SOURCES_ABS})
  target_compile_features(${name} PUBLIC cxx_std_20)
  target_include_directories(${name}
    PUBLIC $<BUILD_INTERFACE:${root}/include>
           $<INSTALL_INTERFACE:${CMAKE_INSTALL_INCLUDEDIR}>
    PRIVATE ${root}/src)
  target_link_libraries(${name} PRIVATE $<BUILD_INTERFACE:daemoniker_warnings>)
  # Only DAEMONIKER_API symbols are exported from a shared library. 0.x
  # releases may break the ABI between minor versions, so the SOVERSION
  # carries the minor one too.
  set_target_properties(${name} PROPERTIES
    CXX_EXTENSIONS OFF
    CXX_VISIBILITY_PRESET hidden
    VISIBILITY_INLINES_HIDDEN ON
    VERSION ${PROJECT_VERSION}
    SOVERSION ${PROJECT_VERSION_MAJOR}.${PROJECT_VERSION_MINOR})
  get_target_property(built_as ${name} TYPE)
  if(built_as STREQUAL "SHARED_LIBRARY")
    target_compile_definitions(${name} PUBLIC DAEMONIKER_SHARED PRIVATE DAEMONIKER_BUILDING)
  endif()
  if(arg_FAULT_INJECTION)
    # The seam in src/sys.hpp: tests make each system call fail on demand.
    # The shipped library never has it.
    target_compile_definitions(${name} PUBLIC DAEMONIKER_FAULT_INJECTION)
  endif()
  target_compile_options(${name} PRIVATE ${DAEMONIKER_NO_PLT})
  target_link_libraries(${name} PUBLIC Threads::Threads)
  if(WIN32)
    target_link_libraries(${name} PUBLIC advapi32)
  endif()
endfunction()
