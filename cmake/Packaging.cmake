# Debian packages with CPack (packaging/README.md): `callcommander-server` (the node, its config in
# /etc, a hardened systemd unit running as the `callcommander` system user, the daily retention
# job) and `callcommander` (the app, its desktop entry and icon). Build them from the release
# preset:
#   cmake --preset release && cmake --build --preset release && \
#   cpack --config build/release/CPackConfig.cmake -B build/release/packages
# Files go into the `server` and `app` install components; nothing else is packaged (the call
# simulator, tests and benchmarks are for developers).

set(CC_PACKAGING_DIR "${PROJECT_SOURCE_DIR}/packaging")

if(NOT CMAKE_SYSTEM_NAME STREQUAL "Linux")
    # Windows and macOS ship the app only, with the installer their guide describes
    # (packaging/windows.md, packaging/macos.md); Android builds an APK/AAB, not a CPack package.
    if(WIN32)
        set(CPACK_GENERATOR NSIS ZIP)
        set(CPACK_NSIS_DISPLAY_NAME "Call Commander")
        set(CPACK_NSIS_PACKAGE_NAME "Call Commander")
        set(CPACK_PACKAGE_INSTALL_DIRECTORY "Call Commander")
        set(CPACK_NSIS_INSTALLED_ICON_NAME "bin\\callcommander.exe")
        set(CPACK_PACKAGE_EXECUTABLES callcommander "Call Commander")
    elseif(APPLE)
        set(CPACK_GENERATOR DragNDrop)
    endif()
    set(CPACK_PACKAGE_NAME CallCommander)
    set(CPACK_PACKAGE_VENDOR "Call Commander")
    set(CPACK_PACKAGE_VERSION "${PROJECT_VERSION}")
    set(CPACK_COMPONENTS_ALL app)
    set(CPACK_ARCHIVE_COMPONENT_INSTALL OFF)
    if(NOT ANDROID)
        include(CPack)
    endif()
    return()
endif()

if(CC_BUILD_SERVER)
    install(FILES "${CC_PACKAGING_DIR}/callcommander-server.conf"
            DESTINATION /etc/callcommander
            PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ
            COMPONENT server)
    install(FILES "${CC_PACKAGING_DIR}/callcommander-server.service"
                  "${CC_PACKAGING_DIR}/callcommander-purge.service"
                  "${CC_PACKAGING_DIR}/callcommander-purge.timer"
            DESTINATION /lib/systemd/system
            COMPONENT server)
    install(FILES "${PROJECT_SOURCE_DIR}/README.md"
                  "${PROJECT_SOURCE_DIR}/docs/deployment.md"
                  "${PROJECT_SOURCE_DIR}/docs/security.md"
            DESTINATION share/doc/callcommander-server
            COMPONENT server)
endif()
if(CC_BUILD_APP)
    install(FILES "${CC_PACKAGING_DIR}/callcommander.desktop"
            DESTINATION share/applications
            COMPONENT app)
    install(FILES "${PROJECT_SOURCE_DIR}/resources/icons/callcommander.svg"
            DESTINATION share/icons/hicolor/scalable/apps
            COMPONENT app)
endif()

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME callcommander)
set(CPACK_PACKAGE_VENDOR "Call Commander")
set(CPACK_PACKAGE_CONTACT "Call Commander developers <developers@callcommander.example>")
set(CPACK_PACKAGE_VERSION "${PROJECT_VERSION}")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "${PROJECT_DESCRIPTION}")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_STRIP_FILES ON)
set(CPACK_DEB_COMPONENT_INSTALL ON)
set(CPACK_COMPONENTS_ALL)
if(CC_BUILD_SERVER)
    list(APPEND CPACK_COMPONENTS_ALL server)
endif()
if(CC_BUILD_APP)
    list(APPEND CPACK_COMPONENTS_ALL app)
endif()
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_HOMEPAGE "${PROJECT_HOMEPAGE_URL}")
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
# Library dependencies from the binaries (dpkg-shlibdeps), plus what they load at run time.
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_GENERATE_SHLIBS OFF)

set(CPACK_DEBIAN_SERVER_PACKAGE_NAME callcommander-server)
set(CPACK_DEBIAN_SERVER_PACKAGE_SECTION net)
set(CPACK_DEBIAN_SERVER_PACKAGE_DEPENDS
    "adduser, openssl, coreutils, tzdata, init-system-helpers (>= 1.54~)")
set(CPACK_DEBIAN_SERVER_PACKAGE_SUGGESTS "postgresql-15, nginx")
set(CPACK_COMPONENT_SERVER_DESCRIPTION
    "Call Commander server node\n The HTTPS and secure WebSocket server of Call Commander: sync for the\n store tablets, Twilio voice webhooks and routing, analytics. Runs as the\n callcommander system user under systemd; needs PostgreSQL 15.")
set(CPACK_DEBIAN_SERVER_PACKAGE_CONTROL_EXTRA
    "${CC_PACKAGING_DIR}/debian/conffiles;${CC_PACKAGING_DIR}/debian/postinst;${CC_PACKAGING_DIR}/debian/prerm;${CC_PACKAGING_DIR}/debian/postrm")
set(CPACK_DEBIAN_SERVER_PACKAGE_CONTROL_STRICT_PERMISSION ON)

set(CPACK_DEBIAN_APP_PACKAGE_NAME callcommander)
set(CPACK_DEBIAN_APP_PACKAGE_SECTION comm)
# QML modules and plugins are loaded at run time: dpkg-shlibdeps cannot see them.
set(CPACK_DEBIAN_APP_PACKAGE_DEPENDS
    "qml6-module-qtquick, qml6-module-qtquick-controls, qml6-module-qtquick-templates, qml6-module-qtquick-layouts, qml6-module-qtquick-window, qml6-module-qtqml-workerscript, qml6-module-qtcharts, libqt6sql6-sqlite, libqt6svg6")
set(CPACK_COMPONENT_APP_DESCRIPTION
    "Call Commander app for store tablets and desktops\n The counter app of Call Commander: the queue and the current call with\n the caller's history from every store, customers, tasks, appointments,\n stock checks and dashboards. Keeps working offline.")

include(CPack)
