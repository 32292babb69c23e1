# A NixOS machine tuned by archibald.audio, checked by `audio-setup check`: the settings the
# module makes must be reported ok. (The RT kernel build is skipped to keep the check fast;
# the kernel's preemption model is therefore not among the asserted findings.)
{ pkgs, modules }:

pkgs.testers.runNixOSTest {
  name = "archibaldos-audio-setup";
  nodes.machine = { lib, ... }: {
    imports = modules;
    archibald.audio.enable = true;
    musnix.kernel.realtime = lib.mkForce false;
    archibald.user.name = "ada";
    system.stateVersion = "26.05";
  };
  testScript = ''
    import json

    machine.wait_for_unit("multi-user.target")
    report = json.loads(machine.succeed("su - ada -c 'audio-setup check --json' || true"))
    status = {c["id"]: c["status"] for c in report["checks"]}
    for check_id in ["swappiness", "inotify_watches", "threadirqs", "rtprio_limit",
                     "memlock_limit", "audio_group", "cpu_dma_latency_access", "rtc_access"]:
        assert status.get(check_id) == "ok", f"{check_id}: {status.get(check_id)}"

    # The wrapper under the name users of the original know.
    # exit status: 0 ok, 1 warnings, 3 failures; 2 (usage) or 4 (operational) would be a bug.
    machine.succeed("/etc/audio-setup.sh check --json > /dev/null; s=$?; [ $s -ne 2 ] && [ $s -ne 4 ]")
  '';
}
