# archibald.audio: real-time audio tuning for the whole system.
#
# One profile picks sensible defaults for the hardware class; every knob can still be set alone.
#   x86-rt: PREEMPT_RT kernel through musnix, 96 kHz, quantum 32.
#   arm:    stock kernel (no RT patch set for these boards), rtirq + das_watchdog, 48 kHz, 128.
# The module reads nothing from the environment or /etc while evaluating.
{ config, lib, pkgs, ... }:

let
  inherit (lib) mkOption mkEnableOption mkIf mkDefault types concatMapStringsSep optional
    optionals optionalString;
  cfg = config.archibald.audio;

  isRt = cfg.profile == "x86-rt";
  cpuList = cpus: concatMapStringsSep "," toString cpus;
  latency = "${toString cfg.quantum}/${toString cfg.rate}";

  profileDefaults = {
    x86-rt = { rate = 96000; quantum = 32; minQuantum = 32; maxQuantum = 256; };
    arm = { rate = 48000; quantum = 128; minQuantum = 64; maxQuantum = 1024; };
  }.${cfg.profile};

  # Moves every interrupt that allows it off the isolated CPUs at boot. The housekeeping set is
  # computed on the running machine (online CPUs minus isolated ones), so the module needs no
  # CPU count at evaluation time.
  irqAffinityScript = pkgs.writeShellScript "archibald-irq-affinity" ''
    isolated=",${cpuList cfg.isolateCpus},"
    housekeeping=""
    for cpu in /sys/devices/system/cpu/cpu[0-9]*; do
      n="''${cpu##*cpu}"
      [ -r "$cpu/online" ] && [ "$(cat "$cpu/online")" = 0 ] && continue
      case "$isolated" in *",$n,"*) continue ;; esac
      housekeeping="''${housekeeping:+$housekeeping,}$n"
    done
    [ -n "$housekeeping" ] || { echo "archibald-irq-affinity: no housekeeping CPU left" >&2; exit 1; }
    echo "$housekeeping" > /proc/irq/default_smp_affinity_list 2>/dev/null || true
    for irq in /proc/irq/[0-9]*; do
      echo "$housekeeping" > "$irq/smp_affinity_list" 2>/dev/null || true
    done
  '';
in
{
  options.archibald.audio = {
    enable = mkEnableOption "ArchibaldOS real-time audio tuning";

    profile = mkOption {
      type = types.enum [ "x86-rt" "arm" ];
      default = "x86-rt";
      description = ''
        Hardware class. `x86-rt` builds a PREEMPT_RT kernel through musnix; `arm` keeps the
        board's kernel and relies on threaded IRQs with rtirq priorities and das_watchdog.
      '';
    };

    rate = mkOption {
      type = types.ints.positive;
      default = profileDefaults.rate;
      defaultText = lib.literalExpression "96000 (x86-rt) or 48000 (arm)";
      description = "Sample rate of the PipeWire graph and of JACK clients, in Hz.";
    };

    quantum = mkOption {
      type = types.ints.positive;
      default = profileDefaults.quantum;
      defaultText = lib.literalExpression "32 (x86-rt) or 128 (arm)";
      description = "Default graph period in frames.";
    };

    minQuantum = mkOption {
      type = types.ints.positive;
      default = profileDefaults.minQuantum;
      description = "Smallest period a client may request, in frames.";
    };

    maxQuantum = mkOption {
      type = types.ints.positive;
      default = profileDefaults.maxQuantum;
      description = "Largest period a client may request, in frames.";
    };

    isolateCpus = mkOption {
      type = types.listOf types.ints.unsigned;
      default = [ ];
      example = [ 2 3 ];
      description = ''
        CPUs reserved for audio threads. Generates `isolcpus`, `nohz_full` and `rcu_nocbs` for
        the same CPUs, and moves device interrupts off them at boot.
      '';
    };

    maxCState = mkOption {
      type = types.nullOr types.ints.unsigned;
      default = null;
      example = 1;
      description = "Deepest CPU idle state allowed (lower: less wake-up latency, more power).";
    };

    threadirqs = mkOption {
      type = types.bool;
      default = true;
      description = "Run interrupt handlers in threads so rtirq can prioritise the sound card's.";
    };

    swappiness = mkOption {
      type = types.ints.between 0 100;
      default = 10;
      description = "vm.swappiness: keep audio buffers in RAM.";
    };

    inotifyWatches = mkOption {
      type = types.ints.positive;
      default = 524288;
      description = "fs.inotify.max_user_watches, for DAWs watching large sample libraries.";
    };

    governor = mkOption {
      type = types.str;
      default = "performance";
      description = "CPU frequency governor.";
    };
  };

  config = mkIf cfg.enable {
    assertions = [
      {
        assertion = cfg.minQuantum <= cfg.quantum && cfg.quantum <= cfg.maxQuantum;
        message = "archibald.audio: need minQuantum <= quantum <= maxQuantum "
          + "(got ${toString cfg.minQuantum} <= ${toString cfg.quantum} <= ${toString cfg.maxQuantum})";
      }
      {
        assertion = !(builtins.elem 0 cfg.isolateCpus);
        message = "archibald.audio.isolateCpus: CPU 0 must stay a housekeeping CPU";
      }
    ];

    # Kernel: musnix provides the PREEMPT_RT build, rtirq and das_watchdog; the rest is ours.
    musnix.kernel.realtime = isRt;
    musnix.rtirq.enable = true;
    musnix.das_watchdog.enable = true;

    boot.kernelParams =
      optional cfg.threadirqs "threadirqs"
      ++ optionals (cfg.isolateCpus != [ ]) [
        "isolcpus=${cpuList cfg.isolateCpus}"
        "nohz_full=${cpuList cfg.isolateCpus}"
        "rcu_nocbs=${cpuList cfg.isolateCpus}"
      ]
      ++ optionals (cfg.maxCState != null) [
        "processor.max_cstate=${toString cfg.maxCState}"
        "intel_idle.max_cstate=${toString cfg.maxCState}"
      ]
      # Mainline arm64 kernels are PREEMPT_DYNAMIC: pick full preemption at boot.
      ++ optional (!isRt) "preempt=full";

    boot.kernel.sysctl = {
      "vm.swappiness" = cfg.swappiness;
      "fs.inotify.max_user_watches" = cfg.inotifyWatches;
      "dev.hpet.max-user-freq" = 3072;
    };

    powerManagement.cpuFreqGovernor = cfg.governor;

    security.rtkit.enable = true;
    security.pam.loginLimits = [
      { domain = "@audio"; item = "rtprio"; type = "-"; value = "95"; }
      { domain = "@audio"; item = "memlock"; type = "-"; value = "unlimited"; }
      { domain = "@audio"; item = "nofile"; type = "-"; value = "99999"; }
    ];

    services.udev.extraRules = ''
      DEVPATH=="/devices/virtual/misc/cpu_dma_latency", OWNER="root", GROUP="audio", MODE="0660"
      KERNEL=="rtc0", GROUP="audio", ATTR{max_user_freq}="3072"
      KERNEL=="hpet", GROUP="audio"
    '';

    systemd.services.archibald-irq-affinity = mkIf (cfg.isolateCpus != [ ]) {
      description = "Keep device interrupts off the CPUs isolated for audio";
      wantedBy = [ "multi-user.target" ];
      after = [ "systemd-udev-settle.service" ];
      serviceConfig = {
        Type = "oneshot";
        RemainAfterExit = true;
        ExecStart = "${irqAffinityScript}";
      };
    };

    services.pipewire = {
      enable = true;
      alsa.enable = true;
      pulse.enable = true;
      jack.enable = true;
      # Keys are flat, quoted dotted strings: PipeWire ignores nested attribute sets.
      extraConfig.pipewire."92-archibald-low-latency" = {
        "context.properties" = {
          "default.clock.rate" = cfg.rate;
          "default.clock.allowed-rates" = [ cfg.rate ];
          "default.clock.quantum" = cfg.quantum;
          "default.clock.min-quantum" = cfg.minQuantum;
          "default.clock.max-quantum" = cfg.maxQuantum;
        };
      };
      extraConfig.jack."92-archibald-low-latency" = {
        "jack.properties" = {
          "node.latency" = latency;
          "node.rate" = "1/${toString cfg.rate}";
          "jack.show-monitor" = true;
        };
      };
      extraConfig.pipewire-pulse."92-archibald-low-latency" = {
        "pulse.properties" = {
          "pulse.min.req" = latency;
          "pulse.default.req" = latency;
          "pulse.min.quantum" = latency;
        };
      };
    };

    environment.sessionVariables.PIPEWIRE_LATENCY = mkDefault latency;
  };
}
