# SMI plugins built with the addon (included from CMakeLists.txt):
#  - smi_header_check (IMLAGE_BUILD_TESTS): native/include/imlage/smi.h compiled
#    alone as C99 and as C++ with -Wall -Wextra -pedantic (and -Werror under
#    IMLAGE_WERROR / CI);
#  - the plugins shipped in plugins/<name>/ (output to
#    plugins/<name>/lib/<platform>-<arch>/, beside plugin.toml);
#  - the test plugins of tests/abi/plugins (IMLAGE_BUILD_TESTS; output to
#    <build>/test-plugins).
# Every plugin exports only smi_plugin_init: hidden visibility plus a linker
# version script (an exported-symbols list on macOS).

set(SMI_INCLUDE_DIR "${CMAKE_CURRENT_SOURCE_DIR}/native/include")
set(SMI_EXPORTS_MAP "${CMAKE_CURRENT_SOURCE_DIR}/native/smi_exports.map")

# <platform>-<arch> the way Node names them (linux-x64, darwin-arm64, ...).
string(TOLOWER "${CMAKE_SYSTEM_NAME}" _smi_os)
if(_smi_os STREQUAL "windows")
  set(_smi_os "win32")
endif()
string(TOLOWER "${CMAKE_SYSTEM_PROCESSOR}" _smi_cpu)
if(CMAKE_OSX_ARCHITECTURES)
  string(TOLOWER "${CMAKE_OSX_ARCHITECTURES}" _smi_cpu)
endif()
if(_smi_cpu MATCHES "^(x86_64|amd64|x64)$")
  set(_smi_cpu "x64")
elseif(_smi_cpu MATCHES "^(aarch64|arm64)$")
  set(_smi_cpu "arm64")
endif()
set(SMI_PLATFORM "${_smi_os}-${_smi_cpu}")

if(MSVC)
  set(SMI_WARNINGS /W4 $<$<BOOL:${IMLAGE_WERROR}>:/WX>)
else()
  set(SMI_WARNINGS -Wall -Wextra -pedantic $<$<BOOL:${IMLAGE_WERROR}>:-Werror>)
endif()

# imlage_add_smi_plugin(<target> <output dir> <sources...>)
function(imlage_add_smi_plugin target outdir)
  add_library(${target} MODULE ${ARGN})
  set_target_properties(${target} PROPERTIES
    C_STANDARD 99
    C_STANDARD_REQUIRED ON
    C_EXTENSIONS OFF
    C_VISIBILITY_PRESET hidden
    CXX_VISIBILITY_PRESET hidden
    VISIBILITY_INLINES_HIDDEN ON
    PREFIX "lib"
    # .dylib on macOS as the manifests name it (a CMake MODULE defaults to .so there).
    SUFFIX "${CMAKE_SHARED_LIBRARY_SUFFIX}"
    # $<1:...> keeps multi-config generators from appending Release/.
    LIBRARY_OUTPUT_DIRECTORY "$<1:${outdir}>")
  target_include_directories(${target} PRIVATE "${SMI_INCLUDE_DIR}")
  target_compile_options(${target} PRIVATE ${SMI_WARNINGS})
  if(APPLE)
    target_link_options(${target} PRIVATE "LINKER:-exported_symbol,_smi_plugin_init")
  elseif(UNIX)
    target_link_options(${target} PRIVATE "LINKER:--version-script=${SMI_EXPORTS_MAP}" "LINKER:--no-undefined")
    set_property(TARGET ${target} APPEND PROPERTY LINK_DEPENDS "${SMI_EXPORTS_MAP}")
  endif()
  if(NOT MSVC)
    target_link_libraries(${target} PRIVATE m)
  endif()
endfunction()

if(IMLAGE_BUILD_TESTS)
  # The header alone, as C99 and as C++.
  add_library(smi_header_check OBJECT
    tests/abi/header/header_check.c
    tests/abi/header/header_check.cc)
  set_target_properties(smi_header_check PROPERTIES
    C_STANDARD 99 C_STANDARD_REQUIRED ON C_EXTENSIONS OFF
    CXX_STANDARD 11 CXX_STANDARD_REQUIRED ON CXX_EXTENSIONS OFF)
  target_include_directories(smi_header_check PRIVATE "${SMI_INCLUDE_DIR}")
  target_compile_options(smi_header_check PRIVATE ${SMI_WARNINGS})
endif()

if(IMLAGE_BUILD_PLUGINS)
  # A sanitizer build keeps its (instrumented) plugins inside its build dir
  # so they never replace the ones a normal build put in plugins/.
  if(IMLAGE_SANITIZE)
    set(_smi_plugins_root "${CMAKE_BINARY_DIR}/plugins")
  else()
    set(_smi_plugins_root "${CMAKE_CURRENT_SOURCE_DIR}/plugins")
  endif()
  imlage_add_smi_plugin(imlage_colors "${_smi_plugins_root}/colors/lib/${SMI_PLATFORM}"
    plugins/colors/src/colors.c)
endif()

if(IMLAGE_BUILD_TESTS)
  set(_smi_test_out "${CMAKE_BINARY_DIR}/test-plugins")
  imlage_add_smi_plugin(smi_test_noop "${_smi_test_out}" tests/abi/plugins/noop.c)
  # Host ONNX Runtime services (session_*), used by tests/abi/host-ort.test.ts.
  imlage_add_smi_plugin(smi_test_ort_cls "${_smi_test_out}" tests/abi/plugins/ort_cls.c)
  # Fingerprints pixels and crashes every Nth image, for bench/soak.mjs.
  imlage_add_smi_plugin(smi_test_soak "${_smi_test_out}" tests/abi/plugins/soak.c)
  # One source, one behaviour per library (tests/abi/plugins/misbehaving.c).
  foreach(variant
      no_init init_null null_iface small_struct major2 minor7 missing_required
      init_fails bad_score bad_utf8 null_label nan_score too_many_tags
      crash_third hang abort serial concurrent full
      printf_out calls_exit wait_abort bad_id long_id minor0 set_error
      regions bad_regions regions_short)
    imlage_add_smi_plugin(smi_test_${variant} "${_smi_test_out}" tests/abi/plugins/misbehaving.c)
    string(TOUPPER "${variant}" _v)
    target_compile_definitions(smi_test_${variant} PRIVATE SMI_TEST_${_v}=1)
  endforeach()
endif()

if(IMLAGE_SANITIZE)
  foreach(t imlage_colors)
    if(TARGET ${t})
      target_compile_options(${t} PRIVATE -fsanitize=address,undefined -fno-omit-frame-pointer)
      target_link_options(${t} PRIVATE -fsanitize=address,undefined)
    endif()
  endforeach()
endif()
