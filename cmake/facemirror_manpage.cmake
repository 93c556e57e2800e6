# cmake -DCLI=<facemirror> -DOUTPUT=<facemirror.1> -DVERSION=<x.y.z> -P facemirror_manpage.cmake
#
# Writes the man page from the CLI's --help pages (the top level and each subcommand) as
# preformatted sections, so it always says what the installed binary does.
foreach(page "" aus mirror openface openface-img)
  execute_process(COMMAND ${CLI} ${page} --help OUTPUT_VARIABLE text RESULT_VARIABLE status)
  if(NOT status EQUAL 0)
    message(FATAL_ERROR "'${CLI} ${page} --help' failed (${status})")
  endif()
  # roff: a backslash is written \e; a line that starts with . or ' would be a request.
  string(REPLACE "\\" "\\e" text "${text}")
  string(REGEX REPLACE "(^|\n)([.'])" "\\1\\\\&\\2" text "${text}")
  string(REPLACE "${CLI}" "facemirror" text "${text}")  # CLI11 prints argv[0]
  string(REPLACE "-" "_" key "${page}")
  set(help_${key} "${text}")
endforeach()
string(TIMESTAMP today "%Y-%m-%d" UTC)
file(WRITE ${OUTPUT}.tmp
".TH FACEMIRROR 1 \"${today}\" \"facemirror ${VERSION}\" \"User Commands\"
.SH NAME
facemirror \\- OpenFace-2.2-compatible facial Action Units from videos, on every core
.SH SYNOPSIS
.B facemirror aus
\\fIINPUT\\fR... \\fB-o\\fR \\fIOUTDIR\\fR [\\fIOPTIONS\\fR]
.br
.B facemirror mirror
\\fIINPUT\\fR... \\fB-o\\fR \\fIOUTDIR\\fR [\\fIOPTIONS\\fR]
.br
.B facemirror openface
\\fIOPENFACE-FLAGS\\fR...
.SH DESCRIPTION
.nf
${help_}
.fi
.SH \"FACEMIRROR AUS\"
.nf
${help_aus}
.fi
.SH \"FACEMIRROR MIRROR\"
.nf
${help_mirror}
.fi
.SH \"FACEMIRROR OPENFACE\"
.nf
${help_openface}
.fi
.SH \"FACEMIRROR OPENFACE-IMG\"
.nf
${help_openface_img}
.fi
.SH \"EXIT STATUS\"
0 every input succeeded, 1 some input failed, 2 usage error, 130 interrupted (unfinished outputs
are removed).
.SH FILES
The models (OpenFace 2.2's AU predictors and CLNF models) are not installed with the program:
fetch them with share/facemirror/fetch_models.sh under the installation prefix.
")
file(RENAME ${OUTPUT}.tmp ${OUTPUT})
