# `cmake --install`: libfacemirror.so, the public headers, the CLI and its man page, the Python
# module (python/CMakeLists.txt), a CMake package, a pkg-config file, fetch_models.sh; and CPack's
# .deb of the same files. The models stay outside every package (scripts/fetch_models.sh).
include(CMakePackageConfigHelpers)

set(FACEMIRROR_INSTALL_CMAKEDIR ${CMAKE_INSTALL_LIBDIR}/cmake/facemirror)

# (The include folder comes from the target's INSTALL_INTERFACE; INCLUDES DESTINATION here
# would list it twice in the exported target.)
install(TARGETS facemirror EXPORT facemirrorTargets LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR})
install(DIRECTORY ${PROJECT_SOURCE_DIR}/include/facemirror
        DESTINATION ${CMAKE_INSTALL_INCLUDEDIR} FILES_MATCHING PATTERN "*.h")
install(EXPORT facemirrorTargets NAMESPACE facemirror:: FILE facemirrorTargets.cmake
        DESTINATION ${FACEMIRROR_INSTALL_CMAKEDIR})
configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/facemirrorConfig.cmake.in
                              ${PROJECT_BINARY_DIR}/facemirrorConfig.cmake
                              INSTALL_DESTINATION ${FACEMIRROR_INSTALL_CMAKEDIR})
# 0.x: a minor release may break the API, as the SONAME says.
write_basic_package_version_file(${PROJECT_BINARY_DIR}/facemirrorConfigVersion.cmake
                                 COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/facemirrorConfig.cmake
              ${PROJECT_BINARY_DIR}/facemirrorConfigVersion.cmake
        DESTINATION ${FACEMIRROR_INSTALL_CMAKEDIR})

# pkg-config: prefix relative to the .pc file, so an installed tree can be moved.
file(RELATIVE_PATH FACEMIRROR_PC_PREFIX_FROM_PCFILEDIR
     /prefix/${CMAKE_INSTALL_LIBDIR}/pkgconfig /prefix)
configure_file(${PROJECT_SOURCE_DIR}/cmake/facemirror.pc.in ${PROJECT_BINARY_DIR}/facemirror.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/facemirror.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)

# The script with the checksum list it verifies against (it looks beside itself when installed).
install(PROGRAMS ${PROJECT_SOURCE_DIR}/scripts/fetch_models.sh
        DESTINATION ${CMAKE_INSTALL_DATADIR}/facemirror)
install(FILES ${PROJECT_SOURCE_DIR}/models/openface-2.2.0.sha256
        DESTINATION ${CMAKE_INSTALL_DATADIR}/facemirror)
install(FILES ${PROJECT_SOURCE_DIR}/README.md ${PROJECT_SOURCE_DIR}/cmake/debian/copyright
        DESTINATION ${CMAKE_INSTALL_DOCDIR})
# What the README links to (docs/...), beside it as in the source; the C++ examples with their
# CMakeLists.txt, to build against this install (install_test builds these copies).
install(DIRECTORY ${PROJECT_SOURCE_DIR}/docs DESTINATION ${CMAKE_INSTALL_DOCDIR})
install(DIRECTORY ${PROJECT_SOURCE_DIR}/examples DESTINATION ${CMAKE_INSTALL_DOCDIR})

# The .deb: one package with the library, headers, CLI and Python module. Its prefix is the
# configured one, so configure with -DCMAKE_INSTALL_PREFIX=/usr for a Debian-layout package
# (lib/<multiarch>, lib/python3/dist-packages). Library dependencies come from dpkg-shlibdeps;
# only what it cannot see is listed by hand (the Python module's interpreter and NumPy).
set(CPACK_PACKAGE_NAME facemirror)
set(CPACK_PACKAGE_VENDOR "facemirror")
set(CPACK_PACKAGE_CONTACT "facemirror maintainers <facemirror@localhost>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY
    "OpenFace-2.2-compatible facial Action Units from videos, on every core")
set(CPACK_PACKAGE_DESCRIPTION
    "facemirror computes per-frame facial Action Units exactly as OpenFace 2.2 does and writes \
OpenFace's CSV layout; it also produces S1 Face Mirror's mirrored videos. The package holds the \
facemirror CLI, libfacemirror.so with its headers, CMake package and pkg-config file, and the \
Python module. The models are not included: run ${CMAKE_INSTALL_FULL_DATADIR}/facemirror/fetch_models.sh \
(OpenFace's model data: academic or non-profit, non-commercial research use only; see \
${CMAKE_INSTALL_FULL_DOCDIR}/copyright).")
set(CPACK_PACKAGING_INSTALL_PREFIX ${CMAKE_INSTALL_PREFIX})
set(CPACK_GENERATOR DEB)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION science)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS_PRIVATE_DIRS ${PROJECT_BINARY_DIR}/src)
set(CPACK_DEBIAN_PACKAGE_GENERATE_SHLIBS ON)
# dlib is compiled in (its header code; nothing links libdlib.so), but the landmark model the
# trackers start from is Debian's /usr/share/dlib/shape_predictor_68_face_landmarks.dat.
set(CPACK_DEBIAN_PACKAGE_DEPENDS "libdlib-data")
if(FACEMIRROR_BUILD_PYTHON_ENABLED)
  # The extension is built for one interpreter version.
  math(EXPR next_minor "${Python3_VERSION_MINOR} + 1")
  string(APPEND CPACK_DEBIAN_PACKAGE_DEPENDS
         ", python3 (>= ${Python3_VERSION_MAJOR}.${Python3_VERSION_MINOR}), python3 (<< ${Python3_VERSION_MAJOR}.${next_minor}), python3-numpy")
endif()
if(FACEMIRROR_BUILD_PYTHON_ENABLED)
  set(FACEMIRROR_DEB_PYTHON_PACKAGE_DIR
      ${CMAKE_INSTALL_PREFIX}/${FACEMIRROR_PYTHON_INSTALL_DIR}/facemirror)
  configure_file(${PROJECT_SOURCE_DIR}/cmake/debian/prerm.in ${PROJECT_BINARY_DIR}/debian/prerm
                 @ONLY FILE_PERMISSIONS OWNER_READ OWNER_WRITE OWNER_EXECUTE GROUP_READ
                 GROUP_EXECUTE WORLD_READ WORLD_EXECUTE)
  set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA ${PROJECT_BINARY_DIR}/debian/prerm)
endif()
# Building against the headers needs OpenCV's; the CLI runs without them.
set(CPACK_DEBIAN_PACKAGE_SUGGESTS "libopencv-dev, pkg-config, python3-pandas")
include(CPack)
