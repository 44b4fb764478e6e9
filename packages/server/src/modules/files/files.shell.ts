import { STAT_FIELDS } from './files.domain.js';

/**
 * Small POSIX sh programs run inside the environment (bash or busybox sh alike).
 * User input never becomes part of a script: it is passed as positional
 * arguments ("$1", "$2"), so no quoting can turn a path into a command.
 */

/**
 * What a script's exit status means, the same in every script. Values stay
 * clear of what the tools themselves answer (1, 2, 123–127), so a failing
 * command is never read as one of these.
 */
export const EXIT = {
  /** Nothing (not even a dangling link) is at the path. */
  missing: 4,
  /** Something that is not a folder is where a folder was asked for. */
  notADirectory: 3,
  /** A folder is where a file was asked for. */
  isADirectory: 8,
  /** A device, fifo or socket is where a regular file was asked for. */
  notARegularFile: 9,
  /** The target already exists (and replacing it was not asked for). */
  exists: 5,
  /** A folder that is not empty (and removing or replacing it was not asked for). */
  notEmpty: 6,
  /** A folder or a move could not be made (permissions, a file in the way): stderr says why. */
  cannotCreate: 10,
} as const;

/**
 * Prints the real path of each argument, one per line: symlinks resolved for
 * the part that exists, the rest appended (or an empty line if it cannot be resolved).
 */
export const RESOLVE = `for p in "$@"; do rest=""
  while [ ! -e "$p" ] && [ ! -L "$p" ]; do rest="/\${p##*/}$rest"; p="\${p%/*}"; [ -n "$p" ] || p=/; done
  r=$(readlink -f "$p") || r=""
  [ -n "$r" ] && printf '%s%s\n' "$r" "$rest" || echo
done`;

/** One stat line per entry of folder $1 (the fields, then "|name"). */
export const LIST = `cd "$1" || exit ${EXIT.missing}
for f in .* *; do
  case "$f" in .|..) continue;; esac
  [ -e "$f" ] || [ -L "$f" ] || continue
  stat -c '${STAT_FIELDS}|%n' "$f"
done`;

/** $1's stat fields on line one; for a link, its target (as written in the link) after "@" on the next. */
export const STAT = `[ -e "$1" ] || [ -L "$1" ] || exit ${EXIT.missing}
stat -c '${STAT_FIELDS}' "$1" || exit 1
if [ -L "$1" ]; then printf '@%s\\n' "$(readlink "$1")"; fi`;

/**
 * Stats its arguments in one stat process, then names each link (">path") and
 * its target ("@target"): pairing by name keeps targets right even if an
 * entry vanishes mid-listing. A target holding a newline is left empty.
 */
export const STAT_MANY = `stat -c '${STAT_FIELDS}|%n' "$@"
nl='
'
for f; do if [ -L "$f" ]; then t=$(readlink "$f"); case "$t" in *"$nl"*) t=;; esac; printf '>%s\\n@%s\\n' "$f" "$t"; fi; done`;

/**
 * Entries below folder $1 (links to folders followed for $1 only) down to
 * depth $2, at most $3 of them, stat'ed by script $4 (STAT_MANY) with paths
 * relative as "./…". Names holding a newline are skipped with everything below
 * them: lines could not carry them. find stops at once when head has enough.
 */
export const TREE = `[ -e "$1" ] || exit ${EXIT.missing}
[ -d "$1" ] || exit ${EXIT.notADirectory}
cd "$1" || exit 1
nl='
'
find . -mindepth 1 -maxdepth "$2" -path "*$nl*" -prune -o -print | head -n "$3" | tr '\\n' '\\0' | xargs -0 -r sh -c "$4" sh`;

/** "sha256 mode" of file $1, or nothing when it does not exist. */
export const HASH = `[ -f "$1" ] || exit 0; printf '%s %s' "$(sha256sum "$1" | cut -d' ' -f1)" "$(stat -c '%a' "$1")"`;

export const MKDIR = `mkdir -p "$1"`;

/** Makes folder $1 (and its parents), then stats it: one that exists already (a link to one counts) is EXIT.exists. */
export const MAKE_NEW_DIR = `if [ -d "$1" ]; then exit ${EXIT.exists}; fi
if [ -e "$1" ] || [ -L "$1" ]; then exit ${EXIT.notADirectory}; fi
mkdir -p "$1" || exit ${EXIT.cannotCreate}
${STAT}`;

/** Moves $1 to $2; with $3 = 0 refuses when $2 exists, with $3 = 1 replaces it (folders too). */
export const MOVE = `[ -e "$1" ] || [ -L "$1" ] || exit ${EXIT.missing}
if [ -e "$2" ] || [ -L "$2" ]; then [ "$3" = 1 ] || exit ${EXIT.exists}; rm -rf "$2"; fi
mkdir -p "$(dirname "$2")" && mv "$1" "$2"`;

/**
 * rename(2)'s meaning, which plain mv lacks: mv puts a source *into* an
 * existing folder or into the folder a link points to. So a link at $2 is
 * replaced, and a folder at $2 only when it is empty and $1 is a folder too
 * (EXIT.notEmpty otherwise). Then $2 is shifted to $1 so STAT can follow.
 */
export const RENAME = `[ -e "$1" ] || [ -L "$1" ] || exit ${EXIT.missing}
mkdir -p "$(dirname "$2")" || exit ${EXIT.cannotCreate}
if [ -L "$2" ]; then rm -f "$2"
elif [ -d "$2" ]; then
  if [ ! -d "$1" ] || [ -L "$1" ]; then exit ${EXIT.notEmpty}; fi
  rmdir "$2" 2>/dev/null || exit ${EXIT.notEmpty}
fi
mv -f "$1" "$2" || exit ${EXIT.cannotCreate}
shift
${STAT}`;

/** Removes $1 (a folder only when $2 = 1, else EXIT.notEmpty for a non-empty one). */
export const REMOVE = `[ -e "$1" ] || [ -L "$1" ] || exit ${EXIT.missing}
if [ -d "$1" ] && [ ! -L "$1" ]; then
  if [ "$2" = 1 ]; then rm -rf "$1"; else rmdir "$1" 2>/dev/null || exit ${EXIT.notEmpty}; fi
else rm -f "$1"; fi`;

/** Removes whatever is at $1, folders with everything in them; nothing there is no error. */
export const REMOVE_ANY = `rm -rf "$1"`;

/** Size and real path of file $1 (links followed, as open(2) does). */
export const READ_INFO = `[ -e "$1" ] || exit ${EXIT.missing}
if [ -d "$1" ]; then exit ${EXIT.isADirectory}; fi
[ -f "$1" ] || exit ${EXIT.notARegularFile}
stat -L -c '%s' "$1" && readlink -f "$1"`;

/**
 * Where file $1 really is, its parents created: "mode" then the real path on
 * the next line. An existing file (or a link to one, or a dangling link, which
 * is written through too) keeps its mode; a new one gets 644.
 */
export const PREPARE_WRITE = `if [ -d "$1" ]; then exit ${EXIT.isADirectory}; fi
if [ -e "$1" ] && [ ! -f "$1" ]; then exit ${EXIT.notARegularFile}; fi
mkdir -p "$(dirname "$1")" || exit ${EXIT.cannotCreate}
if [ -e "$1" ] || [ -L "$1" ]; then r=$(readlink -f "$1") || exit ${EXIT.cannotCreate}; mkdir -p "$(dirname "$r")" || exit ${EXIT.cannotCreate}
else r="$(readlink -f "$(dirname "$1")")/\${1##*/}"; fi
[ -f "$1" ] && m=$(stat -L -c '%a' "$1") || m=644
printf '%s\\n%s' "$m" "$r"`;

/** Literal search for $1 under $2, at most $3 matching lines in all; binary files skipped where grep can. */
export const SEARCH = `skip=-I; echo | grep -I x >/dev/null 2>&1; [ $? -eq 2 ] && skip=
grep -rnF $skip -e "$1" "$2" 2>/dev/null | head -n "$3"`;
