# Evaluates ArchibaldOS's NixOS modules with nixpkgs' `lib` alone and checks what they map to.
# Usage: nix-instantiate --eval --strict --json eval-modules.nix --arg libPath /path/to/nixpkgs.lib
# Returns { checks = [ { name; ok; detail; } ... ]; hydrameshConfig = "<json>"; }: detail says
# what was found when ok is false; hydrameshConfig is the file services.hydramesh writes, for
# the runner to hand to `hydrameshd --check-config`.
{ libPath, ... }:

let
  lib = import (libPath + "/lib");
  inherit (lib) elem filter attrNames all any hasPrefix;
  pkgs = import ./stub-pkgs.nix { inherit lib; };

  eval = settings:
    (lib.evalModules {
      modules = [
        ./upstream-stubs.nix
        ../modules/default.nix
        { _module.args.pkgs = pkgs; }
        settings
      ];
    }).config;

  failedAssertions = config: map (a: a.message) (filter (a: !a.assertion) config.assertions);

  check = name: ok: detail: { inherit name ok; detail = if ok then "" else detail; };
  show = builtins.toJSON;

  # --- audio -------------------------------------------------------------------------------
  isolated = eval { archibald.audio = { enable = true; isolateCpus = [ 2 3 ]; }; };
  isolatedParams = isolated.boot.kernelParams;

  rt = eval { archibald.audio.enable = true; };
  arm = eval { archibald.audio = { enable = true; profile = "arm"; }; };
  off = eval { };

  pw = rt.services.pipewire.extraConfig.pipewire."92-archibald-low-latency"."context.properties";
  jack = rt.services.pipewire.extraConfig.jack."92-archibald-low-latency"."jack.properties";

  badQuantum = eval { archibald.audio = { enable = true; quantum = 16; minQuantum = 32; }; };
  isolateZero = eval { archibald.audio = { enable = true; isolateCpus = [ 0 1 ]; }; };

  # --- desktop and users ---------------------------------------------------------------------
  hypr = eval { archibald.desktop = "hyprland"; archibald.user.name = "ada"; };
  waybar = builtins.fromJSON hypr.environment.etc."xdg/waybar/config".text;
  noDesktop = eval { archibald.desktop = "none"; };

  # --- hydramesh -------------------------------------------------------------------------------
  mesh = eval {
    networking.hostName = "stage-left";
    services.hydramesh = {
      enable = true;
      secretFile = "/run/keys/band";
      settings.peers = [ "127.0.0.1:7778" ];
      settings.audio.codec = "pcm16";
    };
  };
  meshUnit = mesh.systemd.services.hydramesh;
  # On an ArchibaldOS audio system the graph is PipeWire: the daemon is the user's service.
  meshPw = eval {
    archibald.audio.enable = true;
    archibald.desktop = "hyprland";
    services.hydramesh = { enable = true; secretFile = "/run/keys/band"; user = "ada"; };
  };
  meshPwUnit = meshPw.systemd.user.services.hydramesh;
  meshPwToggle = lib.findFirst (p: p.name == "hydramesh-toggle") { text = ""; }
    meshPw.environment.systemPackages;
  meshPwNoUser = eval {
    archibald.audio.enable = true;
    services.hydramesh = { enable = true; secretFile = "/k"; };
  };
  meshToggleOff = eval {
    services.hydramesh = { enable = true; secretFile = "/k"; autoStart = false; openFirewall = false; };
  };
in
{
  hydrameshConfig = builtins.toJSON mesh.services.hydramesh.settings;
  checks = [
  (check "isolateCpus [2 3] gives isolcpus, nohz_full and rcu_nocbs for the same CPUs"
    (all (p: elem p isolatedParams) [ "isolcpus=2,3" "nohz_full=2,3" "rcu_nocbs=2,3" ])
    (show isolatedParams))
  (check "isolateCpus adds the boot service that moves IRQs off the isolated CPUs"
    (isolated.systemd.services ? archibald-irq-affinity
      && !(rt.systemd.services ? archibald-irq-affinity))
    (show (attrNames isolated.systemd.services)))
  (check "no isolated CPUs: no isolcpus parameter"
    (!(any (hasPrefix "isolcpus") rt.boot.kernelParams))
    (show rt.boot.kernelParams))
  (check "x86-rt profile: PREEMPT_RT kernel through musnix, 96 kHz, quantum 32"
    (rt.musnix.kernel.realtime && pw."default.clock.rate" == 96000
      && pw."default.clock.quantum" == 32)
    (show { realtime = rt.musnix.kernel.realtime; inherit pw; }))
  (check "arm profile: no RT kernel, rtirq and das_watchdog on, 48 kHz, quantum 128"
    (!arm.musnix.kernel.realtime && arm.musnix.rtirq.enable && arm.musnix.das_watchdog.enable
      && arm.services.pipewire.extraConfig.pipewire."92-archibald-low-latency"."context.properties"."default.clock.quantum" == 128)
    (show arm.musnix))
  (check "PipeWire keys are flat quoted dotted strings, not nested attribute sets"
    (elem "default.clock.quantum" (attrNames pw) && !(pw ? default)
      && all (v: !builtins.isAttrs v) (builtins.attrValues pw))
    (show pw))
  (check "JACK clients get the same period and rate as the graph"
    (jack."node.latency" == "32/96000" && jack."node.rate" == "1/96000")
    (show jack))
  (check "threadirqs, swappiness and inotify watches are set"
    (elem "threadirqs" rt.boot.kernelParams && rt.boot.kernel.sysctl."vm.swappiness" == 10
      && rt.boot.kernel.sysctl."fs.inotify.max_user_watches" == 524288)
    (show rt.boot.kernel.sysctl))
  (check "@audio gets rtprio and unlimited memlock; cpu_dma_latency is group audio"
    (any (l: l.domain == "@audio" && l.item == "rtprio") rt.security.pam.loginLimits
      && any (l: l.item == "memlock" && l.value == "unlimited") rt.security.pam.loginLimits
      && lib.hasInfix "cpu_dma_latency" rt.services.udev.extraRules)
    (show rt.security.pam.loginLimits))
  (check "disabled module sets nothing"
    (off.boot.kernelParams == [ ] && off.services.pipewire == { } && !off.musnix.kernel.realtime)
    (show off.boot.kernelParams))
  (check "quantum below minQuantum is rejected with a message naming the options"
    (any (lib.hasInfix "minQuantum <= quantum") (failedAssertions badQuantum))
    (show (failedAssertions badQuantum)))
  (check "isolating CPU 0 is rejected"
    (any (lib.hasInfix "CPU 0") (failedAssertions isolateZero))
    (show (failedAssertions isolateZero)))
  (check "hyprland: compositor and Waybar with a HydraMesh block that toggles the daemon"
    (hypr.programs.hyprland.enable && hypr.programs.waybar.enable
      && waybar."custom/hydramesh".on-click == "hydramesh-toggle"
      && elem "custom/hydramesh" waybar.modules-right)
    (show waybar))
  (check "every desktop brings a file manager, an editor and a browser; none brings none"
    (all (p: elem p (map (x: x.name) hypr.environment.systemPackages)) [ "pcmanfm" "mousepad" "firefox" ]
      && noDesktop.environment.systemPackages == [ ])
    (show (map (x: x.name) hypr.environment.systemPackages)))
  (check "the musician's account is in the audio and jackaudio groups"
    (elem "audio" hypr.users.users.ada.extraGroups && elem "jackaudio" hypr.users.users.ada.extraGroups)
    (show hypr.users.users.ada))
  (check "hydramesh: node-id defaults to the host name, udp-port to 7777, peers kept"
    (mesh.services.hydramesh.settings.node-id == "stage-left"
      && mesh.services.hydramesh.settings.udp-port == 7777
      && mesh.services.hydramesh.settings.peers == [ "127.0.0.1:7778" ])
    (show mesh.services.hydramesh.settings))
  (check "hydramesh: the firewall opens exactly the configured UDP port, or nothing"
    (mesh.networking.firewall.allowedUDPPorts == [ 7777 ]
      && meshToggleOff.networking.firewall.allowedUDPPorts == [ ])
    (show mesh.networking.firewall.allowedUDPPorts))
  (check "hydramesh unit: DynamicUser, StateDirectory, RT limits, secret as a credential"
    (meshUnit.serviceConfig.DynamicUser && meshUnit.serviceConfig.StateDirectory == "hydramesh"
      && meshUnit.serviceConfig.LimitRTPRIO == 95 && meshUnit.serviceConfig.LimitMEMLOCK == "infinity"
      && meshUnit.serviceConfig.LoadCredential == [ "secret:/run/keys/band" ]
      && lib.hasInfix "--secret-file %d/secret" meshUnit.serviceConfig.ExecStart)
    (show meshUnit.serviceConfig))
  (check "hydramesh: @audio members may start and stop exactly hydramesh.service (polkit)"
    (lib.hasInfix ''action.lookup("unit") == "hydramesh.service"'' mesh.security.polkit.extraConfig
      && lib.hasInfix ''isInGroup("audio")'' mesh.security.polkit.extraConfig
      && off.security.polkit.extraConfig == "")
    mesh.security.polkit.extraConfig)
  (check "hydramesh: autoStart = false leaves the unit for hydramesh-toggle"
    (meshToggleOff.systemd.services.hydramesh.wantedBy == [ ] && meshUnit.wantedBy == [ "multi-user.target" ]
      && any (p: p.name == "hydramesh-toggle") meshToggleOff.environment.systemPackages)
    (show meshToggleOff.systemd.services.hydramesh.wantedBy))
  (check "hydramesh on PipeWire: a user service of the musician, loading PipeWire's libjack"
    (meshPw.services.hydramesh.graph == "pipewire" && mesh.services.hydramesh.graph == "jack"
      && !(meshPw.systemd.services ? hydramesh)
      && meshPwUnit.unitConfig.ConditionUser == "ada"
      && meshPwUnit.environment.LD_LIBRARY_PATH == "${pkgs.pipewire.jack}/lib"
      && elem "pipewire.service" meshPwUnit.requires
      && lib.hasInfix "--secret-file /run/keys/band" meshPwUnit.serviceConfig.ExecStart
      && lib.hasInfix "--status-file %t/hydramesh/status.json" meshPwUnit.serviceConfig.ExecStart)
    (show meshPwUnit))
  (check "hydramesh on PipeWire: the secret becomes the user's (0400); toggle uses --user"
    (elem "z /run/keys/band 0400 ada - - -" meshPw.systemd.tmpfiles.rules
      && lib.hasInfix "systemctl --user is-active" meshPwToggle.text
      && meshPw.security.polkit.extraConfig == "")
    (show { rules = meshPw.systemd.tmpfiles.rules; toggle = meshPwToggle.text; }))
  (check "hydramesh on PipeWire without a user is rejected with a message naming the option"
    (any (lib.hasInfix "services.hydramesh.user") (failedAssertions meshPwNoUser)
      && failedAssertions meshPw == [ ])
    (show (failedAssertions meshPwNoUser)))
  ];
}
