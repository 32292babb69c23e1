#!/usr/bin/env bash
# HydraMesh demo: three JACK dummy servers (one per "musician"), three hydrameshd daemons in a
# full mesh on 127.0.0.1, each playing a test tone into the mesh; then per-peer statistics
# (packets, loss, concealment, jitter buffer, drift, ping round trip) and a measured audio round
# trip through a fourth daemon in --loopback mode.
# Env: ARCHIBALD_BUILD_DIR (a build tree), ARCHIBALD_DEMO_DIR (scratch directory).
set -euo pipefail

build="${ARCHIBALD_BUILD_DIR:?set ARCHIBALD_BUILD_DIR}/hydramesh"
dir="${ARCHIBALD_DEMO_DIR:?set ARCHIBALD_DEMO_DIR}/hydramesh"
mkdir -p "$dir"
export JACK_NO_AUDIO_RESERVATION=1

servers=()
pids=()
cleanup() {
  # Daemons and probes first; the JACK servers once their clients are gone.
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  for pid in "${servers[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap cleanup EXIT

secret="$dir/secret"
printf 'demo-session-secret\n' >"$secret"
chmod 600 "$secret"

names=(alice bob carol)
ports=(17701 17702 17703)
freqs=(330 440 550)
for i in 0 1 2; do
  server="hmdemo-${names[i]}-$$"
  jackd -n "$server" -d dummy -r 48000 -p 64 >"$dir/jackd-${names[i]}.log" 2>&1 &
  servers+=($!)
done
for i in 0 1 2; do
  jack_wait -s "hmdemo-${names[i]}-$$" -w -t 20 >/dev/null 2>&1
done

echo "hydramesh demo: 3 JACK servers (48 kHz, 64 frames), 3 daemons in a full mesh, encrypted"
for i in 0 1 2; do
  peers=()
  for j in 0 1 2; do
    [[ $j -ne $i ]] && peers+=(--peer "127.0.0.1:${ports[j]}")
  done
  "$build/hydrameshd" --node-id "${names[i]}" --udp-address 127.0.0.1 --udp-port "${ports[i]}" \
    "${peers[@]}" --secret-file "$secret" --jack-server "hmdemo-${names[i]}-$$" \
    --client-name "hydramesh-${names[i]}" --channels 1 --codec pcm24 --jitter-ms 4 \
    --status-file "$dir/${names[i]}.json" >"$dir/${names[i]}.log" 2>&1 &
  pids+=($!)
done
sleep 2
for i in 0 1 2; do
  "$build/hydramesh-probe" --server "hmdemo-${names[i]}-$$" --name "tone-${names[i]}" \
    --play "hydramesh-${names[i]}-send:send_1" --signal "sine:${freqs[i]}" --milliseconds 20000 \
    >"$dir/tone-${names[i]}.log" 2>&1 &
  pids+=($!)
done
echo "streaming ${freqs[*]} Hz tones for 5 s ..."
sleep 5

for i in 0 1 2; do
  echo
  "$build/hydrameshd" --stats --status-file "$dir/${names[i]}.json"
done

echo
echo "audio round trip: a 4th daemon on carol's server echoes alice's stream (--loopback)"
"$build/hydrameshd" --node-id echo --udp-address 127.0.0.1 --udp-port 17704 \
  --peer "127.0.0.1:${ports[0]}" --secret-file "$secret" --jack-server "hmdemo-carol-$$" \
  --client-name hydramesh-echo --channels 1 --loopback >"$dir/echo.log" 2>&1 &
pids+=($!)
sleep 3
"$build/hydrameshd" --stats --status-file "$dir/alice.json" | awk 'NR <= 2 || $1 == "echo"'
echo "(audio-rtt: alice's send port -> network -> echo -> network -> alice's jitter buffer -> alice's port)"
