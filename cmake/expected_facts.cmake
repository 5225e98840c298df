# tg_check_expected_facts(SOURCE FIRST WHO): every "// expect: <regex>" line of SOURCE must match
# FIRST, the compiler's first error line; WHO names the compiler in the failure message.
function(tg_check_expected_facts source first who)
  get_filename_component(name ${source} NAME)
  file(STRINGS ${source} expects REGEX "^// expect: ")
  foreach(expect IN LISTS expects)
    string(REPLACE "// expect: " "" pattern "${expect}")
    if(NOT first MATCHES "${pattern}")
      message(FATAL_ERROR "${who}'s first error line for ${name} lacks '${pattern}':\n${first}")
    endif()
  endforeach()
endfunction()
