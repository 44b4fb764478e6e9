/**
 * Small POSIX sh programs run inside the environment (bash or busybox sh alike).
 * User input never becomes part of a script: it is passed as positional
 * arguments ("$1", "$2"), so no quoting can turn a path into a command.
 */

/** Prints the real path of $1: symlinks resolved for the part that exists, the rest appended. */
export const RESOLVE = `p="$1"; rest=""
while [ ! -e "$p" ] && [ ! -L "$p" ]; do rest="/\${p##*/}$rest"; p="\${p%/*}"; [ -n "$p" ] || p=/; done
r=$(readlink -f "$p") || exit 3
printf '%s%s' "$r" "$rest"`;

/** One line per entry of folder $1: type|size|mode|mtime|name. */
export const LIST = `cd "$1" || exit 4
for f in .* *; do
  case "$f" in .|..) continue;; esac
  [ -e "$f" ] || [ -L "$f" ] || continue
  stat -c '%F|%s|%a|%Y|%n' "$f"
done`;

/** type|size of $1, or exit 4 when it does not exist. */
export const STAT = `[ -e "$1" ] || [ -L "$1" ] || exit 4; stat -c '%F|%s' "$1"`;

/** The sha256 of file $1, or nothing when it does not exist. */
export const HASH = `[ -f "$1" ] || exit 0; sha256sum "$1" | cut -d' ' -f1`;

export const MKDIR = `mkdir -p "$1"`;

/** Moves $1 to $2; with $3 = 0 refuses (exit 5) when $2 exists. */
export const MOVE = `[ -e "$1" ] || [ -L "$1" ] || exit 4
if [ "$3" = 0 ] && { [ -e "$2" ] || [ -L "$2" ]; }; then exit 5; fi
mkdir -p "$(dirname "$2")" && rm -rf "$2.berth-move" && mv -f "$1" "$2"`;

/** Removes $1 (a folder only when $2 = 1, else exit 6 for a non-empty one). */
export const REMOVE = `[ -e "$1" ] || [ -L "$1" ] || exit 4
if [ -d "$1" ] && [ ! -L "$1" ]; then
  if [ "$2" = 1 ]; then rm -rf "$1"; else rmdir "$1" 2>/dev/null || exit 6; fi
else rm -f "$1"; fi`;

/** Literal search for $1 under $2, at most $3 matching lines in all; binary files skipped where grep can. */
export const SEARCH = `skip=-I; echo | grep -I x >/dev/null 2>&1; [ $? -eq 2 ] && skip=
grep -rnF $skip -e "$1" "$2" 2>/dev/null | head -n "$3"`;
