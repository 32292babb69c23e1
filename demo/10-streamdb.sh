#!/usr/bin/env bash
# Demo part 10 — StreamDB: generate a small sample library of WAV files, import it, list it by
# prefix, search it by suffix, bind a sample into a kit, read it back and verify every checksum.
set -euo pipefail

build="${ARCHIBALD_BUILD_DIR:?run this through scripts/demo.sh}"
scratch="${ARCHIBALD_DEMO_DIR:?run this through scripts/demo.sh}/streamdb"
streamdb="$build/streamdb/streamdb"
rm -rf "$scratch"
mkdir -p "$scratch/library"
db="$scratch/db"

# Little-endian integers for the RIFF header.
le16() { printf '%b' "$(printf '\\x%02x\\x%02x' $(($1 & 255)) $((($1 >> 8) & 255)))"; }
le32() {
  printf '%b' "$(printf '\\x%02x\\x%02x\\x%02x\\x%02x' $(($1 & 255)) $((($1 >> 8) & 255)) \
    $((($1 >> 16) & 255)) $((($1 >> 24) & 255)))"
}
# write_wav FILE FRAMES: 48 kHz stereo 16-bit PCM (noise).
write_wav() {
  local bytes=$(($2 * 4))
  mkdir -p "$(dirname "$1")"
  {
    printf 'RIFF'; le32 $((36 + bytes)); printf 'WAVEfmt '
    le32 16; le16 1; le16 2; le32 48000; le32 192000; le16 4; le16 16
    printf 'data'; le32 "$bytes"
    head -c "$bytes" /dev/urandom
  } >"$1"
}

lib="$scratch/library"
frames=4800
for kit in acoustic electronic; do
  for piece in kick snare hat tom; do
    write_wav "$lib/drums/$kit/$piece.wav" "$frames"
    frames=$((frames + 2400))
  done
done
for sound in sub pluck growl; do write_wav "$lib/bass/$sound.wav" 24000; done
for sound in riser impact; do write_wav "$lib/fx/$sound.wav" 96000; done
mkdir -p "$lib/presets"
echo '{"name": "rock kit", "kick": "/samples/drums/acoustic/kick.wav"}' >"$lib/presets/rock.json"

run() {
  echo "\$ streamdb -d db $*"
  "$streamdb" -d "$db" "$@"
}

echo "--- import a generated library ($(find "$lib" -type f | wc -l) files)"
run import "$lib" /samples
echo "--- list by prefix"
run ls /samples/drums/acoustic/
echo "--- search by suffix: every kick.wav anywhere, then every .wav"
run find /kick.wav
echo "\$ streamdb -d db find .wav | wc -l"
"$streamdb" -d "$db" find .wav | wc -l
echo "--- bind a sample into a kit (one document, two paths)"
run bind /samples/drums/acoustic/kick.wav /kits/rock/kick.wav
run stat /kits/rock/kick.wav
echo "--- read it back and compare with the original file"
"$streamdb" -d "$db" get /kits/rock/kick.wav -o "$scratch/kick.wav"
cmp "$scratch/kick.wav" "$lib/drums/acoustic/kick.wav" && echo "identical"
echo "--- check every stored byte"
run verify
run stats
