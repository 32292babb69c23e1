# services.hydramesh: the HydraMesh audio daemon as a sandboxed systemd service.
#
# `settings` mirrors hydrameshd's JSON configuration key for key (kebab-case). The file is
# generated with pkgs.formats.json and checked at build time by `hydrameshd --check-config`,
# so a typo fails `nixos-rebuild`, not the gig. The session secret never enters the Nix store:
# it is passed to the unit as a systemd credential.
{ config, lib, pkgs, ... }:

let
  inherit (lib) mkOption mkEnableOption mkIf types optional;
  cfg = config.services.hydramesh;
  format = pkgs.formats.json { };

  rawConfig = format.generate "hydramesh.json" cfg.settings;
  checkedConfig = pkgs.runCommand "hydramesh-config.json" { } ''
    ${cfg.package}/bin/hydrameshd --check-config ${rawConfig}
    cp ${rawConfig} $out
  '';

  toggle = pkgs.writeShellScriptBin "hydramesh-toggle" ''
    if ${pkgs.systemd}/bin/systemctl is-active --quiet hydramesh.service; then
      exec ${pkgs.systemd}/bin/systemctl stop hydramesh.service
    else
      exec ${pkgs.systemd}/bin/systemctl start hydramesh.service
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

  config = mkIf cfg.enable {
    environment.systemPackages = [ cfg.package toggle ];
    environment.etc."hydramesh/config.json".source = checkedConfig;

    networking.firewall.allowedUDPPorts = optional cfg.openFirewall cfg.settings.udp-port;

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
  };
}
