# services.hydramesh: the HydraMesh audio daemon as a systemd service.
#
# Where it runs depends on the audio graph it joins (`graph`):
#   jack      a sandboxed system service (DynamicUser) next to a system JACK server
#             (services.jack.jackd);
#   pipewire  a user service of `user`, inside that user's PipeWire session, loading PipeWire's
#             JACK library (what `pw-jack` does): a system service cannot reach a user's graph.
#
# `settings` mirrors hydrameshd's JSON configuration key for key (kebab-case). The file is
# generated with pkgs.formats.json and checked at build time by `hydrameshd --check-config`,
# so a typo fails `nixos-rebuild`, not the gig. The session secret never enters the Nix store:
# it is passed to the unit as a systemd credential.
{ config, lib, pkgs, ... }:

let
  inherit (lib) mkOption mkEnableOption mkIf mkMerge mkDefault types optional optionalString;
  cfg = config.services.hydramesh;
  onPipewire = cfg.graph == "pipewire";
  pipewireEnabled = (config.services.pipewire.enable or false)
    && (config.services.pipewire.jack.enable or false);
  pipewireJackLib = "${(config.services.pipewire.package or pkgs.pipewire).jack}/lib";
  format = pkgs.formats.json { };

  rawConfig = format.generate "hydramesh.json" cfg.settings;
  checkedConfig = pkgs.runCommand "hydramesh-config.json" { } ''
    ${cfg.package}/bin/hydrameshd --check-config ${rawConfig}
    cp ${rawConfig} $out
  '';

  systemctl = "${pkgs.systemd}/bin/systemctl" + optionalString onPipewire " --user";
  toggle = pkgs.writeShellScriptBin "hydramesh-toggle" ''
    if ${systemctl} is-active --quiet hydramesh.service; then
      exec ${systemctl} stop hydramesh.service
    else
      exec ${systemctl} start hydramesh.service
    fi
  '';
in
{
  options.services.hydramesh = {
    enable = mkEnableOption "the HydraMesh peer-to-peer audio daemon";

    package = mkOption {
      type = types.package;
      default = pkgs.archibald-tools;
      defaultText = lib.literalExpression "pkgs.archibald-tools";
      description = "Package providing bin/hydrameshd.";
    };

    graph = mkOption {
      type = types.enum [ "jack" "pipewire" ];
      default = if pipewireEnabled then "pipewire" else "jack";
      defaultText = lib.literalExpression
        ''if services.pipewire.enable && services.pipewire.jack.enable then "pipewire" else "jack"'';
      description = ''
        The audio graph the daemon joins. `pipewire`: a user service of `user` in that user's
        PipeWire session (through PipeWire's JACK library). `jack`: a sandboxed system service
        beside a system JACK server (`services.jack.jackd`).
      '';
    };

    user = mkOption {
      type = types.nullOr types.str;
      # ArchibaldOS's musician account (archibald.user), when that module is present.
      default = config.archibald.user.name or null;
      defaultText = lib.literalExpression "config.archibald.user.name or null";
      example = "musician";
      description = ''
        With `graph = "pipewire"`: the user whose PipeWire graph the daemon joins. It runs as
        that user, reads `secretFile` (made theirs, mode 0400, at boot) and writes its status
        to `$XDG_RUNTIME_DIR/hydramesh/status.json`.
      '';
    };

    autoStart = mkOption {
      type = types.bool;
      default = true;
      description = "Start at boot. When false, `hydramesh-toggle` starts and stops it.";
    };

    secretFile = mkOption {
      type = types.str;
      example = "/run/keys/hydramesh-secret";
      description = ''
        Path (outside the Nix store) of the session secret shared by the band, as text.
        Passed to the daemon as a systemd credential readable only by the service.
      '';
    };

    openFirewall = mkOption {
      type = types.bool;
      default = true;
      description = "Open the configured UDP port.";
    };

    settings = mkOption {
      default = { };
      description = "hydrameshd configuration; keys as in the daemon's JSON file.";
      type = types.submodule {
        freeformType = format.type;
        options = {
          node-id = mkOption {
            type = types.strMatching "[A-Za-z0-9._-]{1,32}";
            default = config.networking.hostName;
            defaultText = lib.literalExpression "config.networking.hostName";
            description = "This node's name; peers name their receive ports after it.";
          };
          udp-port = mkOption {
            type = types.port;
            default = 7777;
            description = "UDP port for audio.";
          };
          udp-mtu = mkOption {
            type = types.ints.between 256 1472;
            default = 1400;
            description = "Largest datagram sent, in bytes.";
          };
          jack-server = mkOption {
            type = types.str;
            default = "default";
            description = "JACK server name (PipeWire's JACK answers as `default`).";
          };
          status-file = mkOption {
            type = types.str;
            default = "/var/lib/hydramesh/status.json";
            description = "Where the daemon writes per-peer statistics (read by Waybar).";
          };
          peers = mkOption {
            type = types.listOf (types.strMatching ".+:[0-9]+");
            default = [ ];
            example = [ "192.0.2.10:7777" "bandmate.example.org:7777" ];
            description = "Static peers as HOST:PORT.";
          };
          audio = mkOption {
            default = { };
            description = "Audio settings.";
            type = types.submodule {
              freeformType = format.type;
              options = {
                channels = mkOption {
                  type = types.ints.between 1 64;
                  default = 2;
                  description = "Channels sent to every peer.";
                };
                codec = mkOption {
                  type = types.enum [ "pcm16" "pcm24" "float32" "opus" ];
                  default = "pcm24";
                  description = "Wire codec.";
                };
                jitter-ms = mkOption {
                  type = types.either (types.ints.between 0 500) (types.enum [ "auto" ]);
                  default = "auto";
                  description = "Jitter buffer target in milliseconds, or `auto` (adaptive).";
                };
              };
            };
          };
        };
      };
    };
  };

  config = mkIf cfg.enable (mkMerge [
    {
      assertions = [
        {
          assertion = onPipewire -> cfg.user != null;
          message = "services.hydramesh.graph = \"pipewire\" needs services.hydramesh.user: "
            + "the user whose PipeWire graph the daemon joins.";
        }
        {
          assertion = onPipewire -> pipewireEnabled;
          message = "services.hydramesh.graph = \"pipewire\" needs services.pipewire.enable "
            + "and services.pipewire.jack.enable.";
        }
      ];
      environment.systemPackages = [ cfg.package toggle ];
      environment.etc."hydramesh/config.json".source = checkedConfig;
      networking.firewall.allowedUDPPorts = optional cfg.openFirewall cfg.settings.udp-port;
    }

    (mkIf onPipewire {
      # The secret stays outside the store; at boot it becomes the user's, readable by nobody
      # else (hydrameshd refuses a world-readable secret).
      systemd.tmpfiles.rules = [ "z ${cfg.secretFile} 0400 ${cfg.user} - - -" ];
      # With autoStart the user's manager (and so their PipeWire) runs from boot, logged in or
      # not: a stage box has nobody at its console.
      users.users.${cfg.user}.linger = mkDefault cfg.autoStart;

      systemd.user.services.hydramesh = {
        description = "HydraMesh peer-to-peer audio (PipeWire)";
        wantedBy = optional cfg.autoStart "default.target";
        after = [ "pipewire.service" "network-online.target" ];
        requires = [ "pipewire.service" ];
        unitConfig.ConditionUser = cfg.user;
        restartTriggers = [ checkedConfig ];
        # PipeWire's libjack instead of JACK2's: the daemon joins the user's graph.
        environment.LD_LIBRARY_PATH = pipewireJackLib;
        serviceConfig = {
          ExecStart = "${cfg.package}/bin/hydrameshd --config /etc/hydramesh/config.json"
            + " --secret-file ${cfg.secretFile} --status-file %t/hydramesh/status.json";
          RuntimeDirectory = "hydramesh";
          Restart = "on-failure";
          RestartSec = 2;
          # Real-time priority and locked memory come from the @audio PAM limits of the
          # user's session (archibald.audio); a user manager cannot raise them.
          NoNewPrivileges = true;
          LockPersonality = true;
          RestrictAddressFamilies = [ "AF_INET" "AF_INET6" "AF_UNIX" ];
          UMask = "0077";
        };
      };
    })

    (mkIf (!onPipewire) {
      # Members of @audio may start and stop the daemon (hydramesh-toggle, the Waybar block)
      # without a password; nothing else about systemd is opened to them.
      security.polkit.extraConfig = ''
        polkit.addRule(function(action, subject) {
          if (action.id == "org.freedesktop.systemd1.manage-units" &&
              action.lookup("unit") == "hydramesh.service" && subject.isInGroup("audio")) {
            return polkit.Result.YES;
          }
        });
      '';

      systemd.services.hydramesh = {
        description = "HydraMesh peer-to-peer audio";
        wantedBy = optional cfg.autoStart "multi-user.target";
        after = [ "network-online.target" "sound.target" ];
        wants = [ "network-online.target" ];
        restartTriggers = [ checkedConfig ];
        # JACK2 serves clients of another uid only in promiscuous mode, for this group.
        environment.JACK_PROMISCUOUS_SERVER = "jackaudio";
        serviceConfig = {
          ExecStart = "${cfg.package}/bin/hydrameshd --config /etc/hydramesh/config.json"
            + " --secret-file %d/secret";
          LoadCredential = [ "secret:${cfg.secretFile}" ];
          Restart = "on-failure";
          RestartSec = 2;

          DynamicUser = true;
          SupplementaryGroups = [ "audio" "jackaudio" ];
          StateDirectory = "hydramesh";
          LimitRTPRIO = 95;
          LimitMEMLOCK = "infinity";

          # Sandboxing: the daemon needs UDP, the JACK socket in /dev/shm and nothing else.
          ProtectSystem = "strict";
          ProtectHome = true;
          PrivateTmp = true;
          PrivateDevices = false; # JACK shared memory lives in /dev/shm
          NoNewPrivileges = true;
          ProtectKernelTunables = true;
          ProtectKernelModules = true;
          ProtectKernelLogs = true;
          ProtectControlGroups = true;
          ProtectClock = true;
          ProtectHostname = true;
          RestrictNamespaces = true;
          RestrictSUIDSGID = true;
          LockPersonality = true;
          MemoryDenyWriteExecute = true;
          RestrictAddressFamilies = [ "AF_INET" "AF_INET6" "AF_UNIX" ];
          CapabilityBoundingSet = "";
          SystemCallArchitectures = "native";
          SystemCallFilter = [ "@system-service" "~@privileged" "@resources" ];
          UMask = "0077";
        };
      };
    })
  ]);
}
