#!/usr/bin/env bash
# Writes the imago-cli(1) man page from the built tool's own --help texts, so the page lists
# exactly the verbs and options the binary has. The hand-written parts (description,
# environment, files, exit status, examples) are in the here-documents below.
#   usage: gen-manpage.sh IMAGO_CLI VERSION OUT.1
set -euo pipefail
cli=$1 version=$2 out=$3
export QT_QPA_PLATFORM=offscreen OMP_NUM_THREADS=1
# Defaults printed in the help (e.g. the model folder) must not show the builder's own paths.
unset IMAGO_MODEL IMAGO_MODEL_DIR IMAGO_LIBRARY HF_ENDPOINT XDG_DATA_HOME XDG_CONFIG_HOME
export HOME='~'

# troff-escape plain text: backslashes, leading dots/quotes, and hyphens (as \-).
esc() { sed -e 's/\\/\\e/g' -e "s/^\\([.']\\)/\\\\\\&\\1/" -e 's/-/\\-/g'; }

# One verb's --help (Qt's QCommandLineParser layout) as man(7) markup: the synopsis with the
# verb's own arguments, the description lines as a paragraph, each option as a .TP entry.
# Macro lines leave awk behind a \001 so that esc() leaves them alone; the last sed drops it.
verb_section() { # verb-words summary
  local words=$1 summary=$2
  printf '.SS "%s"\n' "$words"
  printf '%s\n' "$summary" | esc
  "$cli" $words --help | awk -v words="$words" '
    function macro(s) { if (s != last) print "\001" s; last = s }
    function text(s) { print s; last = "" }
    NR == 1 && /^Usage:/ {
      sub(/^Usage: [^ ]+ /, ""); macro(".PP"); macro(".B imago-cli " words); text($0)
      macro(".PP"); next }
    /^Options:$/ { mode = "opt"; next }
    /^Arguments:$/ { mode = "skip"; next }
    mode == "" && NF { text($0); next }
    mode == "" && !NF { macro(".PP"); next }
    mode == "opt" && /^  -/ {
      line = $0; sub(/^ +/, "", line)
      n = match(line, /  +/)                 # the option and its text are 2+ spaces apart
      macro(".TP"); text(substr(line, 1, n - 1))
      rest = substr(line, n); sub(/^ +/, "", rest); text(rest); next }
    mode == "opt" && /^    / { line = $0; sub(/^ +/, "", line); text(line); next }
  ' | esc | sed 's/^\x01//' | awk '$0 == ".PP" { pp = 1; next } pp && $0 != ".TP" { print ".PP" } { pp = 0; print }'
}

{
cat <<MAN
.\\" Generated at build time by installer/gen-manpage.sh from imago-cli --help; do not edit.
.TH IMAGO\\-CLI 1 "" "imago ${version}" "User Commands"
.SH NAME
imago\\-cli \\- index, search and inspect a photo library from scripts and servers
.SH SYNOPSIS
.B imago\\-cli
.I verb
.RI [ options ]
.RI [ arguments ]
.br
.B imago\\-cli
.BR \\-\\-help " | " \\-\\-version
.SH DESCRIPTION
Imago finds your own photos by what is in them, offline. It runs Meta's FLAVA model natively:
photos and text queries are embedded into one retrieval space, and FLAVA's image\\-text matching
(ITM) head reranks the best candidates.
.B imago\\-cli
is the command\\-line side of the
.BR imago (1)
desktop app and uses the same library and model folders.
.PP
A \\fImodel folder\\fR has the Hugging Face layout of \\fBfacebook/flava\\-full\\fR
(\\fIconfig.json\\fR, \\fImodel.safetensors\\fR or \\fIpytorch_model.bin\\fR, \\fIvocab.txt\\fR);
\\fBimago\\-cli model download\\fR fetches one. A \\fIlibrary\\fR is a folder holding the photo
catalog (SQLite) and the vector index.
.SH VERBS
MAN
"$cli" --help | awk '/^Verbs:$/ { on = 1; next } on && /^  [a-z]/ { print } on && !NF { exit }' |
  while read -r verb summary; do
    if [ "$verb" = model ]; then
      # model has sub-verbs, each with its own options.
      printf '.SS "model"\n%s\n' "$(printf '%s\n' "$summary" | esc)"
      "$cli" model --help 2>&1 | awk '/^  [a-z]+  / { print $1 }' | while read -r sub; do
        sub_summary=$("$cli" model --help 2>&1 | awk -v s="$sub" '$1 == s { $1 = ""; sub(/^ +/, ""); print }')
        verb_section "model $sub" "$sub_summary"
      done
    else
      verb_section "$verb" "$summary"
    fi
  done
cat <<'MAN'
.SH ENVIRONMENT
.TP
.B IMAGO_MODEL
The model folder when \-\-model is not given.
.TP
.B IMAGO_LIBRARY
The library folder when \-\-library is not given.
.TP
.B IMAGO_MODEL_DIR
Where \fBmodel download\fR puts the model (default: the per\-user data folder below).
.TP
.B IMAGO_PLUGIN_DIR
Another folder to look for the SentencePiece tokenizer plugin in (default:
\fI/usr/lib/imago/plugins\fR, next to the installed program).
.TP
.B OMP_WAIT_POLICY
Imago sets PASSIVE unless it is already set, so idle OpenMP threads do not spin.
.SH FILES
.TP
.I ~/.local/share/imago/imago/library/
The default library: the catalog and the vector index.
.TP
.I ~/.local/share/imago/imago/models/
Downloaded and imported models (\fImodels.json\fR names the active one).
.TP
.I ~/.config/imago/imago.conf
Settings shared with the desktop app.
.TP
.I ~/.cache/thumbnails/
Thumbnails made by the desktop app (the shared freedesktop.org cache).
.SH EXIT STATUS
.TP
.B 0
Done.
.TP
.B 1
The work failed (details on standard error).
.TP
.B 2
Wrong command line.
.TP
.B 130
\fBindex\fR was interrupted with Ctrl\-C after committing the batch in flight.
.SH EXAMPLES
.nf
imago\-cli model download
imago\-cli index ~/Pictures
imago\-cli search "two kids building a sandcastle at dusk"
imago\-cli search \-\-json \-\-top 5 "beach \-people"
imago\-cli embed \-\-model DIR \-\-text "a red triangle" \-\-json
.fi
.SH SEE ALSO
.BR imago (1)
MAN
} > "$out.tmp"
mv "$out.tmp" "$out"
