# facemirror_module(<name> [DEPS <targets>...] [PRIVATE_DEPS <targets>...])
#
# Declares the static library facemirror_<name> from every .cpp under src/<name>/. Public
# headers live in include/facemirror/<name>/. Globbing (with CONFIGURE_DEPENDS) keeps module
# owners from editing a shared file list. Every module is also recorded in the global property
# FACEMIRROR_MODULES, whose objects src/CMakeLists.txt links into the one libfacemirror.so.
function(facemirror_module name)
  cmake_parse_arguments(ARG "" "" "DEPS;PRIVATE_DEPS" ${ARGN})
  file(GLOB sources CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/${name}/*.cpp)
  set(target facemirror_${name})
  add_library(${target} STATIC ${sources})
  add_library(facemirror::${name} ALIAS ${target})
  target_include_directories(${target} PUBLIC ${PROJECT_SOURCE_DIR}/include
                                       PRIVATE ${PROJECT_SOURCE_DIR}/src)
  target_link_libraries(${target} PUBLIC ${ARG_DEPS} PRIVATE ${ARG_PRIVATE_DEPS} facemirror_warnings)
  set_target_properties(${target} PROPERTIES POSITION_INDEPENDENT_CODE ON)
  set_property(GLOBAL APPEND PROPERTY FACEMIRROR_MODULES ${target})
endfunction()
