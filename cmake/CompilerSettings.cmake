# Warnings as errors on our own code, sanitizers on request.
#
# cc_apply_warnings(<target>) is called for every target we write. Third-party headers come in
# through imported targets as system includes, so their warnings do not count against us.

function(cc_apply_warnings target)
    if(MSVC)
        # The app on Windows (packaging/windows.md). Not yet /WX: the code has only been built
        # with GCC and Clang; add it once MSVC's first build is clean.
        target_compile_options(${target} PRIVATE /W4 /permissive- /utf-8)
        return()
    endif()
    target_compile_options(${target} PRIVATE
        -Wall -Wextra -Wpedantic -Werror
        -Wshadow -Wnon-virtual-dtor -Wold-style-cast -Wcast-align -Woverloaded-virtual
        -Wconversion -Wsign-conversion -Wdouble-promotion -Wformat=2
        -Wimplicit-fallthrough)
endfunction()

if(CC_SANITIZE AND NOT MSVC)
    add_compile_options(-fsanitize=address,undefined -fno-sanitize-recover=undefined
                        -fno-omit-frame-pointer)
    add_link_options(-fsanitize=address,undefined)
endif()
