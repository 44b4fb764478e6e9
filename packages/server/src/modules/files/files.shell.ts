/**
 * Small POSIX sh programs run inside the environment (bash or busybox sh alike).
 * User input never becomes part of a script: it is passed as positional
 * arguments ("$1", "$2"), so no quoting can turn a path into a command.
 */

/**
 * Prints the real path of each argument, one per line: symlinks resolved for
 * the part that exists, the rest appended (or an empty line if it cannot be resolved).
 */
export const RESOLVE = `for p in "$@"; do rest=""
  while [ ! -e "$p" ] && [ ! -L "$p" ]; do rest="/\${p##*/}$rest"; p="\${p%/*}"; [ -n "$p" ] || p=/; done
  r=$(readlink -f "$p") || r=""
  [ -n "$r" ] && printf '%s%s\n' "$r" "$rest" || echo
done`;

/** One line per entry of folder $1: type|size|mode|mtime|name. */
export const LIST = `cd "$1" || exit 4
for f in .* *; do
  case "$f" in .|..) continue;; esac
  [ -e "$f" ] || [ -L "$f" ] || continue
  stat -c '%F|%s|%a|%Y|%n' "$f"
done`;

/** type|size of $1, or exit 4 when it does not exist. */
export const STAT = `[ -e "$1" ] || [ -L "$1" ] || exit 4; stat -c '%F|%s' "$1"`;

/** "sha256 mode" of file $1, or nothing when it does not exist. */
export const HASH = `[ -f "$1" ] || exit 0; printf '%s %s' "$(sha256sum "$1" | cut -d' ' -f1)" "$(stat -c '%a' "$1")"`;

export const MKDIR = `mkdir -p "$1"`;

/** Moves $1 to $2; with $3 = 0 refuses (exit 5) when $2 exists, with $3 = 1 replaces it (folders too). */
export const MOVE = `[ -e "$1" ] || [ -L "$1" ] || exit 4
if [ -e "$2" ] || [ -L "$2" ]; then [ "$3" = 1 ] || exit 5; rm -rf "$2"; fi
mkdir -p "$(dirname "$2")" && mv "$1" "$2"`;

/** Removes $1 (a folder only when $2 = 1, else exit 6 for a non-empty one). */
export const REMOVE = `[ -e "$1" ] || [ -L "$1" ] || exit 4
if [ -d "$1" ] && [ ! -L "$1" ]; then
  if [ "$2" = 1 ]; then rm -rf "$1"; else rmdir "$1" 2>/dev/null || exit 6; fi
else rm -f "$1"; fi`;

/** Literal search for $1 under $2, at most $3 matching lines in all; binary files skipped where grep can. */
export const SEARCH = `skip=-I; echo | grep -I x >/dev/null 2>&1; [ $? -eq 2 ] && skip=
grep -rnF $skip -e "$1" "$2" 2>/dev/null | head -n "$3"`;
