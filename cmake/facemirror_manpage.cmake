# cmake -DCLI=<facemirror> -DOUTPUT=<facemirror.1> -DVERSION=<x.y.z> -P facemirror_manpage.cmake
#
# Writes the man page from the CLI's --help pages (the top level and each subcommand) as
# preformatted sections, so it always says what the installed binary does.
set(pages aus mirror summary report app openface openface-img openface-multi)
foreach(page "" ${pages})
  execute_process(COMMAND ${CLI} ${page} --help OUTPUT_VARIABLE text RESULT_VARIABLE status)
  if(NOT status EQUAL 0)
    message(FATAL_ERROR "'${CLI} ${page} --help' failed (${status})")
  endif()
  # roff: a backslash is written \e; a line that starts with . or ' would be a request.
  string(REPLACE "\\" "\\e" text "${text}")
  string(REGEX REPLACE "(^|\n)([.'])" "\\1\\\\&\\2" text "${text}")
  string(REPLACE "${CLI}" "facemirror" text "${text}")  # CLI11 prints argv[0]
  if(page STREQUAL "")
    set(description "${text}")
  else()
    string(TOUPPER "${page}" title)
    string(APPEND synopsis ".B facemirror ${page}\n\\fIARGUMENTS\\fR (see below)\n.br\n")
    string(APPEND sections ".SH \"FACEMIRROR ${title}\"\n.nf\n${text}\n.fi\n")
  endif()
endforeach()
string(TIMESTAMP today "%Y-%m-%d" UTC)
file(WRITE ${OUTPUT}.tmp
".TH FACEMIRROR 1 \"${today}\" \"facemirror ${VERSION}\" \"User Commands\"
.SH NAME
facemirror \\- OpenFace-2.2-compatible facial Action Units from videos, on every core
.SH SYNOPSIS
${synopsis}.SH DESCRIPTION
.nf
${description}
.fi
${sections}.SH \"EXIT STATUS\"
0 every input succeeded, 1 some input failed, 2 usage error, 130 interrupted (unfinished outputs
are removed).
.SH FILES
The models (OpenFace 2.2's AU predictors and CLNF models) are not installed with the program:
fetch them with share/facemirror/fetch_models.sh under the installation prefix.
")
file(RENAME ${OUTPUT}.tmp ${OUTPUT})
