# The console's pages as byte arrays: web/src/ (plain ES modules, HTML, CSS) and the pinned
# uPlot from web/node_modules (`npm ci` in web/, run by scripts/install-deps.sh). Without
# node_modules the console still builds, and its plot says how to get uPlot.
set(CONSOLE_EMBED_SCRIPT "${CMAKE_CURRENT_LIST_DIR}/embed_assets_run.cmake")

function(console_embed_assets output)
  set(web "${PROJECT_SOURCE_DIR}/web")
  file(GLOB sources CONFIGURE_DEPENDS "${web}/src/*.js" "${web}/src/*.css")
  set(assets "/index.html=${web}/src/index.html")
  set(files "${web}/src/index.html")
  foreach(source IN LISTS sources)
    get_filename_component(name "${source}" NAME)
    if(NOT name STREQUAL "uplot-missing.js")
      list(APPEND assets "/assets/${name}=${source}")
      list(APPEND files "${source}")
    endif()
  endforeach()
  set(uplot "${web}/node_modules/uplot/dist")
  if(EXISTS "${uplot}/uPlot.iife.min.js")
    list(APPEND assets "/assets/uPlot.iife.min.js=${uplot}/uPlot.iife.min.js"
                       "/assets/uPlot.min.css=${uplot}/uPlot.min.css")
    list(APPEND files "${uplot}/uPlot.iife.min.js" "${uplot}/uPlot.min.css")
  else()
    message(WARNING "web/node_modules/uplot is missing: `ac console` is built without its lag "
                    "plot; run scripts/install-deps.sh (npm ci in web/) and configure again")
    list(APPEND assets "/assets/uPlot.iife.min.js=${web}/src/uplot-missing.js")
    list(APPEND files "${web}/src/uplot-missing.js")
  endif()
  string(REPLACE ";" "|" assets_arg "${assets}")
  add_custom_command(
    OUTPUT "${output}"
    COMMAND "${CMAKE_COMMAND}" "-DOUTPUT=${output}" "-DASSETS=${assets_arg}"
            -P "${CONSOLE_EMBED_SCRIPT}"
    DEPENDS ${files} "${CONSOLE_EMBED_SCRIPT}"
    COMMENT "Embedding the console's pages"
    VERBATIM)
endfunction()
