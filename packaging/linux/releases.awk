# releases.awk — turns CHANGELOG.md (Keep a Changelog) into AppStream
# <release> elements, newest first, for the metainfo file:
#   awk -f releases.awk CHANGELOG.md
# "## [X.Y.Z] - YYYY-MM-DD" starts a release ("## [Unreleased]" is skipped);
# its text becomes <p>, "### Added" etc. a <p>Added:</p>, "- item" lines
# (with indented continuation lines) <li> items. Markdown emphasis, code
# spans and links are reduced to their text; & < > are escaped. POSIX awk
# (Debian's mawk works).
function md(s) {
	gsub(/\*\*/, "", s); gsub(/\*/, "", s); gsub(/`/, "", s)
	# [text](url) -> text
	while (match(s, /\[[^]]*\]\([^)]*\)/)) {
		link = substr(s, RSTART, RLENGTH)
		sub(/\]\(.*/, "", link); sub(/^\[/, "", link)
		s = substr(s, 1, RSTART - 1) link substr(s, RSTART + RLENGTH)
	}
	gsub(/&/, "\\&amp;", s); gsub(/</, "\\&lt;", s); gsub(/>/, "\\&gt;", s)
	return s
}
function closelist() { if (inlist) { print "          </ul>"; inlist = 0 } }
function flush() {
	if (buf == "") return
	if (kind == "li") {
		if (!inlist) { print "          <ul>"; inlist = 1 }
		print "            <li>" md(buf) "</li>"
	} else {
		closelist()
		print "          <p>" md(buf) "</p>"
	}
	buf = ""
}
function endrelease() {
	if (!inrel) return
	flush(); closelist()
	print "        </description>"
	print "      </release>"
	inrel = 0
}
/^## / {
	endrelease()
	if ($2 ~ /^\[[Uu]nreleased\]$/) next
	version = $2; gsub(/\[|\]/, "", version)
	date = $4
	if (version !~ /^[0-9][0-9A-Za-z.+~-]*$/ || date !~ /^[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]$/) {
		print "releases.awk: cannot read the release heading: " $0 > "/dev/stderr"
		exit 1
	}
	print "      <release version=\"" version "\" date=\"" date "\">"
	print "        <description>"
	inrel = 1; kind = ""; buf = ""
	next
}
!inrel { next }
/^### / { flush(); closelist(); h = $0; sub(/^### */, "", h); print "          <p>" md(h) ":</p>"; next }
/^- / { flush(); kind = "li"; buf = substr($0, 3); next }
/^[ \t]*$/ { flush(); if (kind != "li") kind = ""; next }
/^[ \t]+[^ \t]/ && kind == "li" && buf != "" { l = $0; sub(/^[ \t]+/, "", l); buf = buf " " l; next }
{
	l = $0; sub(/^[ \t]+/, "", l)
	if (kind == "p" && buf != "") buf = buf " " l
	else { flush(); closelist(); kind = "p"; buf = l }
}
END { endrelease() }
